import { createHash } from 'node:crypto';
import { validateAuditEvent, type AcceptedAuditEvent } from '../inputs/audit/webhook.js';
import { auditEventTime, type Alert, type AuditFormat } from '../model/audit.js';
import type { AlertOccurrence, AuditStore, FollowPosition, IngestResult, JournalEvent, StoredAlert, Suppression } from '../storage/audit/index.js';
import type { RuleSet } from '../threats/compile.js';
import { entityKey } from '../threats/dedupe.js';
import { ThreatEngine, type EngineStats } from '../threats/engine.js';
import { ipInRanges } from '../threats/ip.js';

/** Default deduplication window of stored alerts: one hour from an alert's first occurrence. */
export const DEFAULT_ALERT_WINDOW_MS = 3_600_000;

/** One event accepted by an input (webhook or file follow), with the JSON text to journal. */
export type AcceptedEvent = AcceptedAuditEvent;

/** A batch handed to the pipeline by an input. */
export interface PipelineBatch {
  source: string;
  events: readonly AcceptedEvent[];
  rejected?: Readonly<Record<string, number>>;
  position?: FollowPosition;
}

/** Where new alerts go after they are stored (the sink dispatcher). Must not block. */
export interface AlertPublisher {
  publish(alert: Alert): void;
}

/** Options of {@link AuditPipeline}. */
export interface AuditPipelineOptions {
  store: AuditStore;
  ruleSet: RuleSet;
  /** Deduplication window in ms (default one hour). */
  windowMs?: number;
  publisher?: AlertPublisher;
  /** Detector states are saved with a processing step at most this often, and on close (default 10 s). */
  stateSaveIntervalMs?: number;
  now?: () => Date;
  /** Processing failures (the events stay journaled and are processed again with the next batch). */
  log?: (line: string) => void;
}

/** Counters of a running pipeline. */
export interface PipelineStats {
  batches: number;
  accepted: number;
  duplicates: number;
  processed: number;
  alertsCreated: number;
  alertsMerged: number;
  suppressed: number;
  /** Journaled events that no longer parse (should never happen). */
  unreadable: number;
  /** Processing steps that failed after their batch was journaled. */
  processingErrors: number;
  engine: EngineStats;
}

const globCache = new Map<string, RegExp>();

/** `*` matches any run of characters; everything else is literal; case-sensitive (usernames are). */
function glob(pattern: string, value: string | undefined): boolean {
  if (!pattern.includes('*')) return pattern === (value ?? '');
  let re = globCache.get(pattern);
  if (!re) {
    re = new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 's');
    globCache.set(pattern, re);
  }
  return re.test(value ?? '');
}

/** True when a suppression rule covers an alert: every field it sets matches. */
export function suppressionMatches(s: Pick<Suppression, 'rule' | 'user' | 'namespace' | 'resource' | 'sourceIp'>, a: Alert): boolean {
  const e = a.entities;
  if (s.rule !== undefined && s.rule.toLowerCase() !== a.ruleId.toLowerCase() && s.rule !== a.slug) return false;
  if (s.user !== undefined && !glob(s.user, e.user)) return false;
  if (s.namespace !== undefined && !glob(s.namespace, e.namespace)) return false;
  if (s.resource !== undefined) {
    const full = e.subresource ? `${e.resource ?? ''}/${e.subresource}` : (e.resource ?? '');
    if (!glob(s.resource, full) && !(s.resource.indexOf('/') < 0 && glob(s.resource, e.resource))) return false;
  }
  if (s.sourceIp !== undefined && (e.sourceIP === undefined || !ipInRanges(e.sourceIP, [s.sourceIp]))) return false;
  return true;
}

/** The dedupe key of an alert: its rule and entities, hashed. */
export function alertDedupeKey(a: Alert): string {
  return createHash('sha256').update(entityKey(a)).digest('hex');
}

/** The alert shape of the model (what sinks receive) for a stored alert. */
export function storedToAlert(s: StoredAlert): Alert {
  return {
    ruleId: s.ruleId,
    slug: s.slug,
    title: s.title,
    severity: s.severity,
    mitre: s.mitre,
    output: s.output,
    entities: s.entities,
    time: s.firstSeen,
    ...(s.count > 1 ? { lastTime: s.lastSeen } : {}),
    auditIds: s.auditIds,
    count: s.count,
    source: s.source,
    equivalents: s.equivalents,
  };
}

/** An event or alert time as ISO-8601 UTC, or undefined when absent or unreadable. */
export function isoOf(t: string | undefined): string | undefined {
  if (t === undefined) return undefined;
  const n = Date.parse(t);
  return Number.isNaN(n) ? undefined : new Date(n).toISOString();
}

/**
 * The live detection pipeline: journal first, then detect. `ingest` commits a batch to the store (the input
 * acknowledges it only after that), then processes every journaled event past the cursor through the threat
 * engine; a processing step commits its alerts (deduplicated against stored alerts, minus suppressed ones),
 * suppression hits, detector states and the new cursor in one transaction. Events journaled before a crash but
 * not processed are processed when the pipeline next starts, none twice.
 */
export class AuditPipeline {
  readonly stats: PipelineStats;
  private readonly engine: ThreatEngine;
  private readonly store: AuditStore;
  private readonly windowMs: number;
  private readonly now: () => Date;
  private readonly stateSaveIntervalMs: number;
  private lastStateSave = 0;
  /** Events just journaled, by sequence number, so processing does not parse them again. */
  private readonly fresh = new Map<number, AcceptedEvent>();

  constructor(private readonly o: AuditPipelineOptions) {
    this.store = o.store;
    this.windowMs = o.windowMs ?? DEFAULT_ALERT_WINDOW_MS;
    this.now = o.now ?? (() => new Date());
    this.stateSaveIntervalMs = o.stateSaveIntervalMs ?? 10_000;
    this.engine = new ThreatEngine(o.ruleSet, { detectorStates: this.store.loadStates() });
    this.lastStateSave = this.now().getTime();
    this.stats = { batches: 0, accepted: 0, duplicates: 0, processed: 0, alertsCreated: 0, alertsMerged: 0, suppressed: 0, unreadable: 0, processingErrors: 0, engine: this.engine.stats };
  }

  /** Journals a batch durably, then processes it (and any backlog). Returns what the journal took. */
  ingest(batch: PipelineBatch): IngestResult {
    const result = this.store.ingest({
      source: batch.source,
      events: batch.events.map((e) => ({
        body: e.body,
        stage: e.event.stage,
        format: e.format,
        ...(e.event.auditID !== undefined ? { auditId: e.event.auditID } : {}),
        ...(isoOf(auditEventTime(e.event)) !== undefined ? { eventTime: isoOf(auditEventTime(e.event)) } : {}),
      })),
      ...(batch.rejected ? { rejected: batch.rejected } : {}),
      ...(batch.position ? { position: batch.position } : {}),
    });
    this.stats.batches++;
    this.stats.accepted += result.accepted;
    this.stats.duplicates += result.duplicates;
    result.seqs.forEach((seq, i) => seq !== undefined && this.fresh.set(seq, batch.events[i]!));
    // The batch is stored: a failure from here on must not refuse it. Its events stay past the cursor and are
    // processed with the next batch or at the next start.
    try {
      this.drain();
    } catch (e) {
      this.fresh.clear();
      this.stats.processingErrors++;
      this.o.log?.(`processing failed, events kept for the next attempt: ${(e as Error).message}`);
    }
    return result;
  }

  /** Processes every journaled event past the cursor, in steps of `step` events. Returns how many. */
  drain(step = 2000): number {
    let total = 0;
    for (;;) {
      const rows = this.store.unprocessed(step);
      if (rows.length === 0) break;
      this.processStep(rows);
      total += rows.length;
    }
    this.fresh.clear();
    return total;
  }

  private processStep(rows: readonly JournalEvent[]): void {
    const at = this.now();
    const nowIso = at.toISOString();
    const suppressions = this.store.activeSuppressions(nowIso);
    const occurrences: AlertOccurrence[] = [];
    const suppressed = new Map<number, { at: string; count: number }>();
    for (const row of rows) {
      let accepted = this.fresh.get(row.seq);
      if (!accepted) {
        try {
          const v = validateAuditEvent(JSON.parse(row.body));
          if ('error' in v) throw new Error(v.error);
          accepted = { event: v.event, body: row.body, format: row.format as AuditFormat };
        } catch {
          this.stats.unreadable++;
          continue;
        }
      }
      const alerts = this.engine.evaluate({ event: accepted.event, file: row.source, format: accepted.format });
      for (const a of alerts) {
        const when = isoOf(a.time) ?? row.receivedAt;
        const s = suppressions.find((x) => suppressionMatches(x, a));
        if (s) {
          const h = suppressed.get(s.id);
          suppressed.set(s.id, { at: h && h.at > when ? h.at : when, count: (h?.count ?? 0) + 1 });
          this.stats.suppressed++;
          continue;
        }
        occurrences.push({ alert: a, dedupeKey: alertDedupeKey(a), at: when, eventSeq: row.seq });
      }
    }
    const saveStates = at.getTime() - this.lastStateSave >= this.stateSaveIntervalMs;
    const result = this.store.commitProcessed({
      cursor: rows[rows.length - 1]!.seq,
      occurrences,
      suppressed,
      windowMs: this.windowMs,
      ...(saveStates ? { detectorStates: this.engine.saveDetectorStates() } : {}),
    });
    if (saveStates) this.lastStateSave = at.getTime();
    this.stats.processed += rows.length;
    this.stats.alertsCreated += result.created.length;
    this.stats.alertsMerged += result.merged;
    for (const c of result.created) this.o.publisher?.publish(storedToAlert(c));
  }

  /** Saves the detector states now (on shutdown). */
  saveStates(): void {
    for (const [k, v] of Object.entries(this.engine.saveDetectorStates())) this.store.saveState(k, v);
    this.lastStateSave = this.now().getTime();
  }
}
