import { sinkConfigSchema, type SinkConfig, type SinkType } from '../model/alert-sinks.js';
import { PalisadeError } from '../model/errors.js';
import type { DeliveryOptions } from './dispatcher.js';
import { createJsonlSink } from './jsonl.js';
import type { AlertSink } from './sink.js';
import { createSlackSink } from './slack.js';
import { createSyslogSink } from './syslog.js';
import { createWebhookSink } from './webhook.js';

export { AlertDispatcher, backoffDelay, type DeliveryOptions, type DispatcherClock, type SinkMetrics } from './dispatcher.js';
export { formatSyslog, SD_ID } from './syslog.js';
export { slackMessage } from './slack.js';
export { PermanentSinkError, type AlertSink } from './sink.js';

/** Every sink type, explicitly listed: how to build it from its (expanded) configuration. */
export const SINK_FACTORIES: { readonly [T in SinkType]: (c: Extract<SinkConfig, { type: T }>) => AlertSink } = {
  webhook: (c) => createWebhookSink({ url: c.url, ...(c.name ? { name: c.name } : {}), ...(c.headers ? { headers: c.headers } : {}) }),
  slack: (c) => createSlackSink({ url: c.url, ...(c.name ? { name: c.name } : {}) }),
  syslog: (c) => createSyslogSink({ protocol: c.protocol, host: c.host, port: c.port, facility: c.facility, appName: c.appName, ...(c.hostname ? { hostname: c.hostname } : {}), ...(c.name ? { name: c.name } : {}) }),
  jsonl: (c) => createJsonlSink({ path: c.path, ...(c.name ? { name: c.name } : {}) }),
};

/** Where `jsonl` sinks with path `-` write (the CLI's standard output; process.stdout by default). */
export interface SinkEnvironment {
  env?: NodeJS.ProcessEnv;
  stdout?: NodeJS.WritableStream;
}

/** Replaces `${NAME}` in every string of a value by the environment variable; a missing variable is an error. */
export function expandEnv<T>(value: T, env: NodeJS.ProcessEnv, where: string): T {
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string')
      return v.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_m, name: string) => {
        const x = env[name];
        if (x === undefined || x === '') throw new PalisadeError('E_CONFIG', `${where}: environment variable ${name} is not set`);
        return x;
      });
    if (Array.isArray(v)) return v.map(walk);
    if (typeof v === 'object' && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(value) as T;
}

/**
 * A `--sink` flag: `webhook=<url>`, `slack=<url>`, `syslog=udp://host[:port]`, `syslog=tcp://host[:port]`,
 * `jsonl=-` or `jsonl=<file>`.
 */
export function parseSinkFlag(spec: string): SinkConfig {
  const eq = spec.indexOf('=');
  const type = eq === -1 ? spec : spec.slice(0, eq);
  const target = eq === -1 ? '' : spec.slice(eq + 1);
  let raw: Record<string, unknown>;
  switch (type) {
    case 'webhook':
    case 'slack':
      raw = { type, url: target };
      break;
    case 'jsonl':
      raw = { type, path: target || '-' };
      break;
    case 'syslog': {
      const m = /^(udp|tcp):\/\/(\[[^\]]+\]|[^:/]+)(?::(\d+))?\/?$/.exec(target);
      if (!m) throw new PalisadeError('E_USAGE', `--sink ${spec}: expected syslog=udp://host:514 or syslog=tcp://host:601`);
      raw = { type, protocol: m[1], host: m[2]!.replace(/^\[|\]$/g, ''), ...(m[3] ? { port: Number(m[3]) } : {}) };
      break;
    }
    default:
      throw new PalisadeError('E_USAGE', `--sink ${spec}: unknown sink type "${type}" (webhook, slack, syslog, jsonl)`);
  }
  const parsed = sinkConfigSchema.safeParse(raw);
  if (!parsed.success) throw new PalisadeError('E_USAGE', `--sink ${spec}: ${parsed.error.issues[0]!.message}`);
  return parsed.data;
}

/** Builds the sinks of a configuration, expanding `${ENV}` references and checking URLs. */
export function createSinks(configs: readonly SinkConfig[], { env = process.env, stdout }: SinkEnvironment = {}): Array<{ sink: AlertSink; delivery: DeliveryOptions }> {
  return configs.map((raw, i) => {
    const c = expandEnv(raw, env, `alerts.sinks[${i}] (${raw.type})`);
    if ((c.type === 'webhook' || c.type === 'slack') && !/^https?:\/\/[^/]/.test(c.url)) throw new PalisadeError('E_CONFIG', `alerts.sinks[${i}] (${c.type}): url must start with http:// or https://`);
    const sink = c.type === 'jsonl' && c.path === '-' && stdout ? createJsonlSink({ path: '-', stdout, ...(c.name ? { name: c.name } : {}) }) : (SINK_FACTORIES[c.type] as (x: SinkConfig) => AlertSink)(c);
    const delivery: DeliveryOptions = {
      ...(c.minSeverity ? { minSeverity: c.minSeverity } : {}),
      ...(c.queueSize !== undefined ? { queueSize: c.queueSize } : {}),
      ...(c.retries !== undefined ? { retries: c.retries } : {}),
      ...(c.backoffMs !== undefined ? { backoffMs: c.backoffMs } : {}),
      ...(c.timeoutMs !== undefined ? { timeoutMs: c.timeoutMs } : {}),
    };
    return { sink, delivery };
  });
}
