import { Writable } from 'node:stream';
import type { SinkConfig } from '../model/alert-sinks.js';
import type { Alert } from '../model/audit.js';
import type { PalisadeConfig } from '../model/config.js';
import { AlertDispatcher, createSinks, parseSinkFlag, type SinkMetrics } from '../sinks/index.js';

/** The sinks of a run: `alerts.sinks` of the config file, then the `--sink` flags. */
export function sinkConfigs(config: PalisadeConfig, flags: readonly string[] = []): SinkConfig[] {
  return [...(config.alerts?.sinks ?? []), ...flags.map(parseSinkFlag)];
}

/** Options of alert delivery. */
export interface DeliveryRunOptions {
  env?: NodeJS.ProcessEnv;
  /** Receives what `jsonl` sinks with path `-` write. */
  stdout?: (s: string) => void;
  /** How long to keep delivering (and retrying) after the last alert, in ms (default 30 s). */
  graceMs?: number;
}

/** A dispatcher over the configured sinks (`${ENV}` references expanded), for callers that publish as they go. */
export function openAlertDispatcher(configs: readonly SinkConfig[], o: DeliveryRunOptions = {}, minQueue = 0): AlertDispatcher {
  const stdout = o.stdout ? lineWriter(o.stdout) : undefined;
  const sinks = createSinks(configs, { ...(o.env ? { env: o.env } : {}), ...(stdout ? { stdout } : {}) });
  // Without an explicit queueSize, a batch's queue holds the whole batch.
  return new AlertDispatcher(sinks.map((s) => ({ ...s, delivery: { ...s.delivery, queueSize: s.delivery.queueSize ?? Math.max(1000, minQueue) } })));
}

/**
 * Sends a batch of alerts (a finished scan) to every sink and waits, at most the grace period, for delivery;
 * returns each sink's counters. Unless a sink sets queueSize, its queue holds the whole batch.
 */
export async function deliverAlerts(alerts: readonly Alert[], configs: readonly SinkConfig[], o: DeliveryRunOptions = {}): Promise<SinkMetrics[]> {
  const d = openAlertDispatcher(configs, o, alerts.length);
  for (const a of alerts) d.publish(a);
  await d.close(o.graceMs ?? 30_000);
  return d.metrics();
}

function lineWriter(write: (s: string) => void): NodeJS.WritableStream {
  return new Writable({
    write(chunk: Buffer | string, _enc, cb) {
      write(chunk.toString());
      cb();
    },
  });
}
