import { AuditLogParser } from '../inputs/audit/parse.js';
import { FileFollower, type FollowedLine } from '../inputs/audit/follow.js';
import { AuditWebhookServer, type AuditWebhookOptions, type WebhookStats } from '../inputs/audit/webhook.js';
import type { SinkConfig } from '../model/alert-sinks.js';
import { auditDbPath, AuditStore, defaultDataDir } from '../storage/audit/index.js';
import type { AlertDispatcher } from '../sinks/index.js';
import { openAlertDispatcher } from './alert-delivery.js';
import { loadThreatRules, type LoadRulesOptions } from './audit.js';
import { AuditPipeline, type AcceptedEvent, type PipelineStats } from './audit-pipeline.js';
import { suppressionReport } from './alerts.js';

/** The data folder of a command: `--data-dir`, else `$PALISADE_DATA_DIR`, `$XDG_DATA_HOME/palisade`, `~/.local/share/palisade`. */
export function resolveDataDir(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return flag ?? defaultDataDir(env);
}

/** Opens the audit store of a data folder. */
export function openAuditStore(dataDir: string, o: { synchronous?: 'full' | 'normal' } = {}): AuditStore {
  return AuditStore.open(auditDbPath(dataDir), o);
}

/** Options shared by the live inputs (`audit serve`, `audit watch`). */
export interface LiveOptions extends LoadRulesOptions {
  dataDir: string;
  /** Deduplication window of stored alerts, ms. */
  windowMs?: number;
  sinks?: readonly SinkConfig[];
  env?: NodeJS.ProcessEnv;
  /** Receives what `jsonl` sinks with path `-` write. */
  stdout?: (s: string) => void;
  /** Log lines (refusals, rotations, suppressions to review). */
  log?: (line: string) => void;
  synchronous?: 'full' | 'normal';
  /** Journaled events older than this (ms) that no alert links to are deleted, hourly (default 7 days; 0 keeps all). */
  retentionMs?: number;
}

/** Default journal retention: seven days. */
export const DEFAULT_RETENTION_MS = 7 * 86_400_000;

/** A running live input. */
export interface LiveHandle {
  store: AuditStore;
  pipeline: AuditPipeline;
  /** Stops the input, saves detector states, drains the sinks (up to `graceMs`) and closes the store. */
  stop(graceMs?: number): Promise<void>;
}

interface Core {
  store: AuditStore;
  pipeline: AuditPipeline;
  dispatcher?: AlertDispatcher;
  pruner?: NodeJS.Timeout;
}

function openCore(o: LiveOptions): Core {
  const ruleSet = loadThreatRules(o);
  const store = openAuditStore(o.dataDir, o.synchronous ? { synchronous: o.synchronous } : {});
  try {
    const dispatcher = o.sinks && o.sinks.length > 0 ? openAlertDispatcher(o.sinks, { ...(o.env ? { env: o.env } : {}), ...(o.stdout ? { stdout: o.stdout } : {}) }) : undefined;
    const pipeline = new AuditPipeline({ store, ruleSet, ...(o.log ? { log: o.log } : {}), ...(o.windowMs !== undefined ? { windowMs: o.windowMs } : {}), ...(dispatcher ? { publisher: dispatcher } : {}) });
    // Events journaled but not processed before the last stop (or crash) are processed first.
    const backlog = pipeline.drain();
    if (backlog > 0) o.log?.(`processed ${backlog} events journaled before the last stop`);
    for (const line of suppressionReport(store.listSuppressions(), new Date()).lines) o.log?.(line);
    const retention = o.retentionMs ?? DEFAULT_RETENTION_MS;
    let pruner: NodeJS.Timeout | undefined;
    if (retention > 0) {
      const prune = (): void => {
        const n = store.pruneEvents(new Date(Date.now() - retention).toISOString());
        if (n > 0) o.log?.(`pruned ${n} journaled events older than the retention`);
      };
      prune();
      pruner = setInterval(prune, 3_600_000);
      pruner.unref();
    }
    return { store, pipeline, ...(dispatcher ? { dispatcher } : {}), ...(pruner ? { pruner } : {}) };
  } catch (e) {
    store.close();
    throw e;
  }
}

async function closeCore(c: Core, graceMs: number): Promise<void> {
  if (c.pruner) clearInterval(c.pruner);
  c.pipeline.saveStates();
  await c.dispatcher?.close(graceMs);
  c.store.close();
}

/** Options of the audit webhook receiver: those of {@link AuditWebhookServer} and of the live inputs. */
export interface ServeOptions extends LiveOptions, Omit<AuditWebhookOptions, 'onBatch' | 'log'> {}

/** A running receiver. */
export interface ServeHandle extends LiveHandle {
  port: number;
  webhook: WebhookStats;
}

/**
 * Starts the audit webhook receiver: each authenticated batch is journaled (one transaction, synchronous to
 * disk) before it is answered 200, then run through the rules; alerts go to the store and new ones to the sinks.
 */
export async function serveAuditWebhook(o: ServeOptions): Promise<ServeHandle> {
  const core = openCore(o);
  // The receiver reads its own options (host, port, TLS, tokens, limits, log) and ignores the rest.
  const server = new AuditWebhookServer({ ...o, onBatch: (b) => core.pipeline.ingest({ source: b.source, events: b.events, rejected: b.rejected }) });
  let port: number;
  try {
    port = await server.listen();
  } catch (e) {
    await closeCore(core, 0);
    throw e;
  }
  return {
    port,
    store: core.store,
    pipeline: core.pipeline,
    webhook: server.stats,
    stop: async (graceMs = 5000) => {
      await server.close();
      await closeCore(core, graceMs);
    },
  };
}

/** Options of `audit watch`. */
export interface WatchOptions extends LiveOptions {
  file: string;
  pollMs?: number;
  fromEnd?: boolean;
}

/** A running file watch. */
export interface WatchHandle extends LiveHandle {
  follower: FileFollower;
  /** Counts of lines refused, by reason. */
  rejected: Record<string, number>;
}

/** Parses followed lines (JSON lines in any supported log format) into events to journal. */
function parseLines(file: string, lines: readonly FollowedLine[], log?: (line: string) => void): { events: AcceptedEvent[]; malformed: number } {
  const events: AcceptedEvent[] = [];
  let malformed = 0;
  const parser = new AuditLogParser(file, {
    event: (e) => events.push({ event: e.event, body: JSON.stringify(e.event), format: e.format }),
    error: (e) => {
      malformed++;
      const at = e.line !== undefined ? lines[e.line - 1]?.offset : undefined;
      log?.(`${file}${at !== undefined ? ` (byte ${at})` : ''}: ${e.message}`);
    },
    skipped: () => undefined,
  });
  for (const l of lines) parser.pushLine(l.text);
  parser.end();
  return { events, malformed };
}

/**
 * Follows an audit log file (JSON lines), through rotations, journaling each batch of lines with the file
 * position in one transaction, so a restart resumes with no line repeated or skipped.
 */
export function watchAuditFile(o: WatchOptions): WatchHandle {
  const core = openCore(o);
  const rejected: Record<string, number> = {};
  const follower = new FileFollower({
    path: o.file,
    ...(core.store.getPosition(o.file) ? { position: core.store.getPosition(o.file)! } : {}),
    ...(o.fromEnd ? { fromEnd: true } : {}),
    ...(o.pollMs !== undefined ? { pollMs: o.pollMs } : {}),
    ...(o.log ? { log: o.log } : {}),
    onLines: (lines, position, dropped) => {
      const { events, malformed } = parseLines(o.file, lines, o.log);
      const refused: Record<string, number> = {};
      if (malformed > 0) refused['malformed-event'] = malformed;
      if (dropped > 0) {
        refused['event-too-large'] = dropped;
        o.log?.(`${o.file}: ${dropped} lines over the size limit dropped`);
      }
      for (const [k, v] of Object.entries(refused)) rejected[k] = (rejected[k] ?? 0) + v;
      core.pipeline.ingest({ source: o.file, events, rejected: refused, position });
    },
  });
  follower.start();
  return {
    store: core.store,
    pipeline: core.pipeline,
    follower,
    rejected,
    stop: async (graceMs = 5000) => {
      await follower.stop();
      await closeCore(core, graceMs);
    },
  };
}

export type { PipelineStats };
