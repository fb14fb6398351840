import type { Check } from '../check.js';
import { hostPid } from './host-pid.js';
import { privilegedContainer } from './privileged-container.js';

/**
 * Every check, explicitly. A test compares this list with the folder, so a check file that is not
 * listed here (or an id used twice) fails the build.
 */
export const ALL_CHECKS: readonly Check[] = [
  // pod security
  privilegedContainer,
  hostPid,
];
