import type { Alert } from '../model/audit.js';
import { postJson, type AlertSink } from './sink.js';

/** Options of the webhook sink. */
export interface WebhookSinkOptions {
  name?: string;
  url: string;
  headers?: Record<string, string>;
}

/** POSTs each alert as a JSON document `{ "alert": {...} }` (the alert schema of `audit scan -o json`). */
export function createWebhookSink(o: WebhookSinkOptions): AlertSink {
  return {
    name: o.name ?? 'webhook',
    send: (alert: Alert, signal: AbortSignal) => postJson(o.url, { source: 'palisade', alert }, signal, o.headers),
  };
}
