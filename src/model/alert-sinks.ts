import { z } from 'zod';
import { severitySchema } from './severity.js';

/**
 * Where alerts are sent (`alerts.sinks` in palisade.yaml, `--sink` on the command line). Any string may name an
 * environment variable as `${NAME}` (webhook URLs carry their secret in the path), expanded when the sink is
 * created, so the secret stays out of the file.
 */

/** Delivery settings every sink shares. */
const deliverySchema = {
  /** Label in metrics and messages (default: the type). */
  name: z.string().min(1).optional(),
  /** Only alerts at least this severe. */
  minSeverity: severitySchema.optional(),
  /** Alerts waiting for delivery at most; when full, the oldest is dropped and counted. */
  queueSize: z.number().int().min(1).max(1_000_000).optional(),
  /** Attempts per alert after the first failure (exponential backoff with jitter between them). */
  retries: z.number().int().min(0).max(100).optional(),
  /** First backoff delay in milliseconds (doubles on each retry, capped at 60 s). */
  backoffMs: z.number().int().min(1).max(600_000).optional(),
  /** Give up on one attempt after this many milliseconds. */
  timeoutMs: z.number().int().min(1).max(600_000).optional(),
};

const url = z.string().min(1, 'a URL is required');

export const webhookSinkSchema = z.object({ type: z.literal('webhook'), url, headers: z.record(z.string(), z.string()).optional(), ...deliverySchema }).strict();
export const slackSinkSchema = z.object({ type: z.literal('slack'), url, ...deliverySchema }).strict();
export const syslogSinkSchema = z
  .object({
    type: z.literal('syslog'),
    protocol: z.enum(['udp', 'tcp']).default('udp'),
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535).default(514),
    /** Syslog facility number (default 4, security/authorization; 16-23 are local0-local7). */
    facility: z.number().int().min(0).max(23).default(4),
    appName: z.string().min(1).max(48).default('palisade'),
    /** HOSTNAME field of each message (default: this machine's host name). */
    hostname: z.string().min(1).max(255).optional(),
    ...deliverySchema,
  })
  .strict();
export const jsonlSinkSchema = z.object({ type: z.literal('jsonl'), /** A file (appended to), or `-` for standard output. */ path: z.string().min(1), ...deliverySchema }).strict();

/** One configured sink. */
export const sinkConfigSchema = z.discriminatedUnion('type', [webhookSinkSchema, slackSinkSchema, syslogSinkSchema, jsonlSinkSchema]);
export type SinkConfig = z.infer<typeof sinkConfigSchema>;
export type SinkType = SinkConfig['type'];

/** `alerts.sinks` of palisade.yaml. */
export const alertSinksSchema = z.array(sinkConfigSchema).default([]);
