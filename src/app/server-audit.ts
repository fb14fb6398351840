import { dirname, resolve } from 'node:path';
import type { IncomingMessage } from 'node:http';
import {
  DEFAULT_MAX_BATCH_BYTES,
  DEFAULT_MAX_BATCH_EVENTS,
  DEFAULT_MAX_EVENT_BYTES,
  parseEventList,
  readBatchBody,
  validateAuditEvent,
  WebhookRefusal,
  type WebhookBatch,
  type WebhookRejection,
} from '../inputs/audit/webhook.js';
import { auditEventTime, type AuditFormat } from '../model/audit.js';
import type { SinkConfig } from '../model/alert-sinks.js';
import type { AlertDispatcher } from '../sinks/index.js';
import type { AlertOccurrence } from '../storage/audit/index.js';
import type { AlertProcessing, AuditEventRow, Store } from '../storage/store.js';
import type { RuleSet } from '../threats/compile.js';
import { ThreatEngine } from '../threats/engine.js';
import { suppressionReport } from './alerts.js';
import { loadThreatRules, type LoadRulesOptions } from './audit.js';
import { loadConfig } from './config.js';
import { openAlertDispatcher, sinkConfigs } from './alert-delivery.js';
import { DEFAULT_RETENTION_MS } from './audit-live.js';
import { alertDedupeKey, DEFAULT_ALERT_WINDOW_MS, isoOf, storedToAlert, suppressionMatches, type AcceptedEvent, type AlertPublisher, type PipelineStats } from './audit-pipeline.js';

export { WebhookRefusal };

/** Size limits of an ingest request: those of `audit serve`. */
export interface IngestLimits {
  maxEventBytes: number;
  maxBatchBytes: number;
  maxBatchEvents: number;
}

/** Options of {@link ServerAudit}. */
export interface ServerAuditOptions {
  store: Store;
  ruleSet: RuleSet;
  /** Where new alerts go once stored (the sink dispatcher). */
  publisher?: AlertPublisher;
  /** Deduplication window in ms (default one hour). */
  windowMs?: number;
  /** Detector states are saved with a processing step at most this often, and on close (default 10 s). */
  stateSaveIntervalMs?: number;
  limits?: Partial<IngestLimits>;
  now?: () => Date;
  log?: (line: string) => void;
}

/** Counters of the server's audit ingest: those of `audit serve`'s pipeline, and the refusals by reason. */
export type ServerAuditStats = Omit<PipelineStats, 'engine'> & { rejected: Partial<Record<WebhookRejection, number>> };

/**
 * The audit webhook of `palisade serve`: the same journal-first pipeline as `audit serve`, on the server's Store
 * (SQLite or PostgreSQL) and per connector. `ingest` commits a batch to the event journal and only then lets the
 * request be answered; detection reads the journal's unprocessed events, runs them through the threat rules and
 * the connector's stateful detectors, and commits the alerts (deduplicated, suppressions applied), the
 * suppression hits, the detector states and the events' processed mark in one transaction. Events journaled but
 * not processed (a crash, a failed step) are processed at the next batch or start, none twice: a step claims its
 * events, and one whose events another replica claimed first commits nothing.
 */
export class ServerAudit {
  readonly stats: ServerAuditStats = { batches: 0, accepted: 0, duplicates: 0, processed: 0, alertsCreated: 0, alertsMerged: 0, suppressed: 0, unreadable: 0, processingErrors: 0, rejected: {} };
  readonly limits: IngestLimits;
  private readonly store: Store;
  private readonly windowMs: number;
  private readonly now: () => Date;
  private readonly stateSaveIntervalMs: number;
  private lastStateSave: number;
  /** One engine (rules and detector memory) per connector: baselines of one cluster never mix with another's. */
  private readonly engines = new Map<string, ThreatEngine>();
  /** Engines whose detector states changed since they were last saved. */
  private readonly dirty = new Set<string>();
  /** Events just journaled, by sequence number, so processing does not parse them again. */
  private readonly fresh = new Map<number, AcceptedEvent>();
  /** Processing steps run one at a time. */
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly o: ServerAuditOptions) {
    this.store = o.store;
    this.windowMs = o.windowMs ?? DEFAULT_ALERT_WINDOW_MS;
    this.now = o.now ?? (() => new Date());
    this.stateSaveIntervalMs = o.stateSaveIntervalMs ?? 10_000;
    this.lastStateSave = this.now().getTime();
    this.limits = {
      maxEventBytes: o.limits?.maxEventBytes ?? DEFAULT_MAX_EVENT_BYTES,
      maxBatchBytes: o.limits?.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES,
      maxBatchEvents: o.limits?.maxBatchEvents ?? DEFAULT_MAX_BATCH_EVENTS,
    };
  }

  /** Counts a refusal (of a request or of one event). */
  count(reason: WebhookRejection, n = 1): void {
    this.stats.rejected[reason] = (this.stats.rejected[reason] ?? 0) + n;
  }

  /**
   * Reads and splits one webhook request of a connector with the limits of `audit serve`: a body over the size or
   * event-count limit, or one that is not an EventList, throws a {@link WebhookRefusal} (counted); refused events
   * are counted and logged while the rest of the batch is returned.
   */
  async readBatch(req: IncomingMessage, connectorId: string, identity: string, log?: (line: string) => void): Promise<WebhookBatch> {
    try {
      const body = await readBatchBody(req, this.limits.maxBatchBytes);
      return parseEventList(body, `connector:${connectorId}`, identity, { maxEventBytes: this.limits.maxEventBytes, maxBatchEvents: this.limits.maxBatchEvents, count: (r) => this.count(r), ...(log ? { log } : {}) });
    } catch (e) {
      if (e instanceof WebhookRefusal) this.count(e.reason);
      throw e;
    }
  }

  /**
   * Journals a connector's batch durably (throws when the commit fails: the request must then be refused with 503
   * so the API server sends it again), then processes it with any backlog. A processing failure does not refuse
   * the batch: its events stay unprocessed for the next step.
   */
  async ingest(connectorId: string, batch: WebhookBatch): Promise<{ accepted: number; duplicates: number }> {
    const result = await this.store.journalAuditEvents(
      connectorId,
      batch.events.map((e) => {
        const eventTime = isoOf(auditEventTime(e.event));
        return { body: e.body, stage: e.event.stage, format: e.format, ...(e.event.auditID !== undefined ? { auditId: e.event.auditID } : {}), ...(eventTime ? { eventTime } : {}) };
      }),
      this.now().toISOString(),
    );
    this.stats.batches++;
    this.stats.accepted += result.accepted;
    this.stats.duplicates += result.duplicates;
    result.seqs.forEach((seq, i) => seq !== undefined && this.fresh.set(seq, batch.events[i]!));
    try {
      await this.drain();
    } catch (e) {
      this.stats.processingErrors++;
      this.o.log?.(`audit processing failed, events kept for the next attempt: ${(e as Error).message}`);
    }
    return { accepted: result.accepted, duplicates: result.duplicates };
  }

  /** Processes every unprocessed journaled event, in steps of `step`; returns how many. Steps never overlap. */
  drain(step = 1000): Promise<number> {
    const run = this.chain.then(async () => {
      let total = 0;
      try {
        for (;;) {
          const rows = await this.store.pendingAuditEvents(step);
          if (rows.length === 0) break;
          const n = await this.processStep(rows);
          // Another replica took these: stop rather than spin on rows it is committing.
          if (n === 0) break;
          total += n;
        }
      } finally {
        this.fresh.clear();
      }
      return total;
    });
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async engineFor(connectorId: string): Promise<ThreatEngine> {
    let engine = this.engines.get(connectorId);
    if (!engine) {
      engine = new ThreatEngine(this.o.ruleSet, { detectorStates: await this.store.loadDetectorStates(connectorId) });
      this.engines.set(connectorId, engine);
    }
    return engine;
  }

  private accepted(row: AuditEventRow): AcceptedEvent | undefined {
    const fresh = this.fresh.get(row.seq);
    if (fresh) return fresh;
    try {
      const v = validateAuditEvent(JSON.parse(row.body));
      if ('error' in v) throw new Error(v.error);
      return { event: v.event, body: row.body, format: row.format as AuditFormat };
    } catch {
      this.stats.unreadable++;
      return undefined;
    }
  }

  private async processStep(rows: readonly AuditEventRow[]): Promise<number> {
    const at = this.now();
    const suppressions = await this.store.activeSuppressions(at.toISOString());
    const occurrences: Array<AlertOccurrence & { connectorId: string }> = [];
    const suppressed = new Map<number, { at: string; count: number }>();
    for (const row of rows) {
      const accepted = this.accepted(row);
      if (!accepted) continue;
      const engine = await this.engineFor(row.connectorId);
      this.dirty.add(row.connectorId);
      for (const a of engine.evaluate({ event: accepted.event, file: `connector:${row.connectorId}`, format: accepted.format })) {
        const when = isoOf(a.time) ?? row.receivedAt;
        const s = suppressions.find((x) => (x.connectorId === undefined || x.connectorId === row.connectorId) && suppressionMatches(x, a));
        if (s) {
          const h = suppressed.get(s.id);
          suppressed.set(s.id, { at: h && h.at > when ? h.at : when, count: (h?.count ?? 0) + 1 });
          this.stats.suppressed++;
          continue;
        }
        occurrences.push({ connectorId: row.connectorId, alert: a, dedupeKey: alertDedupeKey(a), at: when, eventSeq: row.seq });
      }
    }
    const saveStates = at.getTime() - this.lastStateSave >= this.stateSaveIntervalMs;
    const p: AlertProcessing = { seqs: rows.map((r) => r.seq), occurrences, suppressed, windowMs: this.windowMs, ...(saveStates ? { detectorStates: this.takeStates() } : {}) };
    const result = await this.store.commitAlertProcessing(p);
    if (!result) {
      this.o.log?.(`${rows.length} audit events were processed by another process first`);
      return 0;
    }
    if (saveStates) this.lastStateSave = at.getTime();
    this.stats.processed += rows.length;
    this.stats.alertsCreated += result.created.length;
    this.stats.alertsMerged += result.merged;
    for (const c of result.created) this.o.publisher?.publish(storedToAlert(c));
    return rows.length;
  }

  private takeStates(): Array<{ connectorId: string; states: Record<string, unknown> }> {
    const out = [...this.dirty].map((connectorId) => ({ connectorId, states: this.engines.get(connectorId)!.saveDetectorStates() }));
    this.dirty.clear();
    return out;
  }

  /** Saves the detector states of every connector that saw events since the last save (on shutdown). */
  async saveStates(): Promise<void> {
    await this.chain;
    for (const d of this.takeStates()) await this.store.saveDetectorStates(d.connectorId, d.states);
    this.lastStateSave = this.now().getTime();
  }
}

/** Options of {@link startServerAudit}. */
export interface StartServerAuditOptions extends LoadRulesOptions {
  /** `alerts.sinks` of the configuration: new alerts are delivered there. */
  sinks?: readonly SinkConfig[];
  env?: NodeJS.ProcessEnv;
  windowMs?: number;
  /** Journaled events older than this that no alert keeps are deleted, hourly (default 7 days; 0 keeps all). */
  retentionMs?: number;
  limits?: Partial<IngestLimits>;
  log?: (line: string) => void;
}

/** The running audit ingest of a server. */
export interface RunningServerAudit {
  audit: ServerAudit;
  /** Saves detector states, stops pruning and drains the sinks (up to `graceMs`). */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Starts the server's audit ingest: loads the threat rules (with overrides), opens the sinks, processes the events
 * journaled before the last stop, reports suppressions that no longer match anything, and prunes the journal hourly.
 */
export async function startServerAudit(store: Store, o: StartServerAuditOptions = {}): Promise<RunningServerAudit> {
  const ruleSet = loadThreatRules(o);
  const dispatcher: AlertDispatcher | undefined = o.sinks && o.sinks.length > 0 ? openAlertDispatcher(o.sinks, o.env ? { env: o.env } : {}) : undefined;
  const audit = new ServerAudit({ store, ruleSet, ...(dispatcher ? { publisher: dispatcher } : {}), ...(o.windowMs !== undefined ? { windowMs: o.windowMs } : {}), ...(o.limits ? { limits: o.limits } : {}), ...(o.log ? { log: o.log } : {}) });
  const backlog = await audit.drain();
  if (backlog > 0) o.log?.(`processed ${backlog} audit events journaled before the last stop`);
  for (const line of suppressionReport(await store.listSuppressions(), new Date()).lines) o.log?.(line);
  const retention = o.retentionMs ?? DEFAULT_RETENTION_MS;
  let pruner: NodeJS.Timeout | undefined;
  if (retention > 0) {
    const prune = async (): Promise<void> => {
      try {
        const n = await store.pruneAuditEvents(new Date(Date.now() - retention).toISOString());
        if (n > 0) o.log?.(`pruned ${n} journaled audit events older than the retention`);
      } catch (e) {
        o.log?.(`pruning the audit journal failed: ${(e as Error).message}`);
      }
    };
    await prune();
    pruner = setInterval(() => void prune(), 3_600_000);
    pruner.unref();
  }
  return {
    audit,
    stop: async (graceMs = 5000) => {
      if (pruner) clearInterval(pruner);
      await audit.saveStates();
      await dispatcher?.close(graceMs);
    },
  };
}

/**
 * The options of the server's audit ingest from the configuration file (`--config`, else `./palisade.yaml` when
 * present): `threatRules.overrides` (relative to the file) and `alerts.sinks`, as `audit serve` reads them.
 */
export function serverAuditOptions(configFile: string | undefined, env: NodeJS.ProcessEnv, log?: (line: string) => void): StartServerAuditOptions {
  const loaded = loadConfig(configFile);
  const base = loaded.file ? dirname(resolve(loaded.file)) : process.cwd();
  return { overrides: (loaded.config.threatRules?.overrides ?? []).map((f) => resolve(base, f)), sinks: sinkConfigs(loaded.config), env, ...(log ? { log } : {}) };
}
