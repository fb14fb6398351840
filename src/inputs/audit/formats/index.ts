import { aksFormat } from './aks.js';
import { eksFormat } from './eks.js';
import type { AuditLogFormat } from './format.js';
import { gkeFormat } from './gke.js';
import { kubernetesFormat } from './kubernetes.js';

/**
 * Every audit log format, in detection order: the managed-cluster wrappers first (their records never look like
 * a native event), the native format last.
 */
export const AUDIT_LOG_FORMATS: readonly AuditLogFormat[] = [gkeFormat, aksFormat, eksFormat, kubernetesFormat];

export type { AuditLogFormat, Unwrapped } from './format.js';
