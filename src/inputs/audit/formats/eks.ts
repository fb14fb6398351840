import type { AuditLogFormat, Unwrapped } from './format.js';
import { isObject, parseEmbeddedJson } from './format.js';

/** The CloudWatch Logs event fields that hold one audit event as a JSON string. */
function fromLogEvent(v: unknown, field: string): Unwrapped {
  if (!isObject(v)) return { error: 'CloudWatch log event is not an object', field };
  const msg = v.message;
  // EKS streams other control-plane logs (authenticator, scheduler) into the same group: only audit streams count.
  if (typeof v.logStreamName === 'string' && !v.logStreamName.startsWith('kube-apiserver-audit')) return { skipped: true, field };
  if (typeof msg === 'string' && !msg.trimStart().startsWith('{')) return { skipped: true, field };
  return { ...parseEmbeddedJson(msg, 'message'), field };
}

/**
 * EKS control-plane audit logs from CloudWatch Logs: `aws logs filter-log-events` / `get-log-events` output
 * (`{"events": [...]}`), subscription-filter payloads (`{"logEvents": [...]}`, as delivered by Firehose or
 * Lambda), and JSON lines of `{timestamp, message}`. The `message` holds the audit event. Exports to S3 write
 * `<timestamp> <event JSON>` lines, which the line reader unwraps before this format sees them.
 */
export const eksFormat = {
  id: 'eks',
  description: 'EKS audit logs from CloudWatch Logs: filter-log-events / get-log-events JSON, subscription payloads (logEvents), {timestamp, message} lines, S3 export lines "<timestamp> <event>"',
  detect(value: unknown): boolean {
    if (!isObject(value)) return false;
    if (Array.isArray(value.events) && value.events.every((e) => isObject(e) && 'message' in e)) return true;
    if (Array.isArray(value.logEvents)) return true;
    return typeof value.message === 'string' && ('timestamp' in value || 'logStreamName' in value || 'ingestionTime' in value || 'eventId' in value || 'id' in value);
  },
  unwrap(value: unknown): Unwrapped[] {
    if (!isObject(value)) return [{ error: 'not an object' }];
    if (value.messageType === 'CONTROL_MESSAGE') return [{ skipped: true }];
    const list = Array.isArray(value.events) ? { name: 'events', items: value.events } : Array.isArray(value.logEvents) ? { name: 'logEvents', items: value.logEvents } : undefined;
    if (list) {
      const stream = typeof value.logStream === 'string' ? value.logStream : undefined;
      return list.items.map((e, i) => fromLogEvent(stream && isObject(e) && !('logStreamName' in e) ? { ...e, logStreamName: stream } : e, `${list.name}[${i}].message`));
    }
    return [fromLogEvent(value, 'message')];
  },
} satisfies AuditLogFormat;
