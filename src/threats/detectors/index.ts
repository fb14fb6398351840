import type { Detector } from './detector.js';
import { exposedPostgresTrustAuth } from './exposed-postgres-trust-auth.js';

/** Every stateful detector, explicitly listed (the registry test checks this list against the folder). */
export const ALL_DETECTORS: readonly Detector[] = [exposedPostgresTrustAuth];

export type { Detector, DetectorFinding, DetectorState, EventContext } from './detector.js';
