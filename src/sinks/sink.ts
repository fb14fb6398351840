import type { Alert } from '../model/audit.js';

/** A destination of alerts. `send` rejects when the alert was not delivered; the dispatcher retries it. */
export interface AlertSink {
  /** Label in metrics and messages. */
  readonly name: string;
  /** Delivers one alert; `signal` aborts a slow attempt. */
  send(alert: Alert, signal: AbortSignal): Promise<void>;
  /** Releases sockets and files. */
  close?(): Promise<void>;
}

/** A failure that retrying cannot fix (a 4xx answer other than 408 and 429): the alert is given up at once. */
export class PermanentSinkError extends Error {
  override readonly name = 'PermanentSinkError';
}

/** One line naming the alert, for chat and syslog messages. */
export function alertLine(a: Alert): string {
  return `[${a.severity.toUpperCase()}] ${a.ruleId} ${a.title}: ${a.output}${a.count > 1 ? ` (x${a.count})` : ''}`;
}

/** Sends a JSON body with POST; any answer outside 2xx rejects (4xx other than 408/429 permanently). */
export async function postJson(url: string, body: unknown, signal: AbortSignal, headers: Record<string, string> = {}): Promise<void> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'user-agent': 'palisade', ...headers }, body: JSON.stringify(body), signal });
  // Drain the body so the connection can be reused.
  const text = await res.text().catch(() => '');
  if (res.ok) return;
  const message = `${url.replace(/\/\/[^/]*@/, '//***@').replace(/(\/\/[^/]+\/).+/, '$1...')} answered ${res.status}${text ? `: ${text.slice(0, 200)}` : ''}`;
  if (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429) throw new PermanentSinkError(message);
  throw new Error(message);
}
