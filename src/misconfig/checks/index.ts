import type { Check } from '../check.js';
import { hostPid } from './host-pid.js';
import { privilegedContainer } from './privileged-container.js';

/**
 * Every check, explicitly. A test compares this list with the folder, so a check file that is not
 * listed here (or an id used twice) fails the build.
 */
export const ALL_CHECKS: readonly Check[] = [
  // pod security (PAL-001..029)
  privilegedContainer,
  hostPid,
  // images, resources, probes, reliability (PAL-030..059)
  // rbac and service accounts (PAL-060..079)
  // network exposure and cross-resource (PAL-080..099)
  // secrets and configuration (PAL-100..119)
];
