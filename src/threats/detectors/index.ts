import { authFailureBurst } from './auth-failure-burst.js';
import type { Detector } from './detector.js';
import { execThenSecretRead } from './exec-then-secret-read.js';
import { exposedPostgresTrustAuth } from './exposed-postgres-trust-auth.js';
import { saNewOperation } from './sa-new-operation.js';
import { saNewUserAgent } from './sa-new-user-agent.js';
import { secretsMassRead } from './secrets-mass-read.js';

/** Every stateful detector, explicitly listed (the registry test checks this list against the folder). */
export const ALL_DETECTORS: readonly Detector[] = [exposedPostgresTrustAuth, saNewOperation, saNewUserAgent, authFailureBurst, secretsMassRead, execThenSecretRead];

export type { Detector, DetectorFinding, DetectorState, EventContext } from './detector.js';
