import type { AuditFormat } from '../../../model/audit.js';

/** What a format made of one JSON value: raw events (validated later), problems, and records that are not audit events. */
export interface Unwrapped {
  /** A native-shaped audit event, not yet validated. */
  event?: unknown;
  /** Why this item is not an audit event (becomes an input error). */
  error?: string;
  /** A record of the log stream that is not an audit event at all (another AKS category, a CloudWatch stream note): counted, not reported. */
  skipped?: boolean;
  /** Where the item sits inside the value (`records[3]`), for error messages. */
  field?: string;
  /** The format the event was unwrapped from, when a wrapper holds another format. */
  format?: AuditFormat;
}

/**
 * One export format of Kubernetes audit logs. `detect` looks at a parsed JSON value (a whole document, or one
 * line of a JSON-lines file); `unwrap` turns it into native `audit.k8s.io` events. Formats never throw on bad
 * data: every problem is an `Unwrapped.error`, so one bad record never stops the rest.
 */
export interface AuditLogFormat {
  id: AuditFormat;
  /** One line for `--help` and the docs. */
  description: string;
  detect(value: unknown): boolean;
  unwrap(value: unknown): Unwrapped[];
}

/** True for a plain JSON object. */
export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Parses a string that holds a JSON object (the `message` of CloudWatch, `properties.log` of AKS). */
export function parseEmbeddedJson(text: unknown, what: string): Unwrapped {
  if (typeof text !== 'string') return { error: `${what} is not a string` };
  try {
    return { event: JSON.parse(text) as unknown };
  } catch (e) {
    return { error: `${what} is not valid JSON: ${(e as Error).message}` };
  }
}
