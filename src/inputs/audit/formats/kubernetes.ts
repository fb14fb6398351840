import type { AuditLogFormat, Unwrapped } from './format.js';
import { isObject } from './format.js';

/** Looks like an `audit.k8s.io` Event: what the API server's log and webhook backends write. */
function looksLikeEvent(v: Record<string, unknown>): boolean {
  return v.kind === 'Event' || typeof v.auditID === 'string' || (typeof v.verb === 'string' && typeof v.stage === 'string');
}

/**
 * Native Kubernetes audit logs: one Event per line (the log backend), an `EventList` (the webhook backend's batch
 * body), or a JSON array of events.
 */
export const kubernetesFormat = {
  id: 'kubernetes',
  description: 'Kubernetes audit log backend (JSON lines of audit.k8s.io/v1 or v1beta1 Events), EventList, or a JSON array of Events',
  detect(value: unknown): boolean {
    if (Array.isArray(value)) return value.length > 0 && value.every((v) => isObject(v) && looksLikeEvent(v));
    return isObject(value) && (value.kind === 'EventList' || looksLikeEvent(value));
  },
  unwrap(value: unknown): Unwrapped[] {
    if (Array.isArray(value)) return value.map((event, i) => ({ event, field: `[${i}]` }));
    if (isObject(value) && value.kind === 'EventList') {
      if (!Array.isArray(value.items)) return [{ error: 'EventList without an items array', field: 'items' }];
      return value.items.map((event, i) => ({ event, field: `items[${i}]` }));
    }
    return [{ event: value }];
  },
} satisfies AuditLogFormat;
