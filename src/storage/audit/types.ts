import type { Alert, AlertEntities, MitreRef } from '../../model/audit.js';
import type { FilePosition } from '../../model/follow-position.js';
import type { Severity } from '../../model/severity.js';

/** Lifecycle of a stored alert: new -> acknowledged -> resolved or dismissed (new may go straight to either end). */
export const ALERT_STATUSES = ['new', 'acknowledged', 'resolved', 'dismissed'] as const;
export type AlertStatus = (typeof ALERT_STATUSES)[number];

/** One event to journal. `body` is the event's JSON text, stored as received (after validation). */
export interface JournalInput {
  body: string;
  auditId?: string;
  stage: string;
  /** ISO time of the event (stage, else request received). */
  eventTime?: string;
  /** Log format it was read in (`kubernetes`, `gke`, ...). */
  format: string;
}

/** Where a followed file was read up to: committed with the events read before it. */
export type FollowPosition = FilePosition;

/** A batch to journal: events plus what was refused from the same batch, and the file position when following. */
export interface IngestBatch {
  /** `webhook:<peer>` or the followed file path. */
  source: string;
  events: readonly JournalInput[];
  /** Events of the batch refused before storage, by reason (counted in the ingest log). */
  rejected?: Readonly<Record<string, number>>;
  position?: FollowPosition;
}

/** What `ingest` stored. */
export interface IngestResult {
  accepted: number;
  /** Events already journaled (same audit ID and stage), skipped. */
  duplicates: number;
  /** Journal sequence number of each input event, `undefined` for duplicates. */
  seqs: Array<number | undefined>;
}

/** One journaled event. */
export interface JournalEvent {
  seq: number;
  receivedAt: string;
  source: string;
  format: string;
  body: string;
}

/** One alert occurrence from the engine, ready for deduplication. */
export interface AlertOccurrence {
  alert: Alert;
  /** Rule and entities: equal keys within the window merge. */
  dedupeKey: string;
  /** ISO time the occurrence counts at (the event's time, else when it was received). */
  at: string;
  /** Journal sequence number of the event, for evidence. */
  eventSeq?: number;
}

/** What one processing step commits atomically with the journal cursor. */
export interface ProcessedBatch {
  /** Highest journal sequence number now processed. */
  cursor: number;
  occurrences: readonly AlertOccurrence[];
  /** Suppression hits: suppression id -> latest time matched and count. */
  suppressed?: ReadonlyMap<number, { at: string; count: number }>;
  /** Detector states to save with the batch (key -> JSON value). */
  detectorStates?: Readonly<Record<string, unknown>>;
  /** Deduplication window in ms: a window opens at an alert's first occurrence. */
  windowMs: number;
}

/** A stored alert. */
export interface StoredAlert {
  id: number;
  status: AlertStatus;
  ruleId: string;
  slug: string;
  title: string;
  severity: Severity;
  output: string;
  entities: AlertEntities;
  mitre: MitreRef;
  equivalents: Record<string, string[]>;
  source: Alert['source'];
  /** Audit IDs of the merged events (the first ones, capped). */
  auditIds: string[];
  count: number;
  firstSeen: string;
  lastSeen: string;
  createdAt: string;
  updatedAt: string;
  statusBy?: string;
  statusAt?: string;
  statusReason?: string;
}

/** Result of a processing step. */
export interface ProcessResult {
  /** Alerts created by this step (first occurrences): the ones to send to sinks. */
  created: StoredAlert[];
  /** Occurrences merged into an existing alert. */
  merged: number;
}

/** Filter of `listAlerts`. */
export interface AlertQuery {
  statuses?: readonly AlertStatus[];
  ruleId?: string;
  severities?: readonly Severity[];
  /** ISO time: only alerts seen at or after. */
  since?: string;
  limit?: number;
}

/** A suppression rule: an alert matching every field given is not raised (and the match is counted). */
export interface Suppression {
  id: number;
  /** Rule id or slug. */
  rule?: string;
  /** Username; `*` matches any run of characters. */
  user?: string;
  namespace?: string;
  /** Resource, or `resource/subresource` (`pods/exec`). */
  resource?: string;
  /** Source IP address or CIDR range. */
  sourceIp?: string;
  reason: string;
  owner: string;
  expiresAt?: string;
  createdBy: string;
  createdAt: string;
  removedBy?: string;
  removedAt?: string;
  matchCount: number;
  lastMatchedAt?: string;
}

/** A new suppression rule. */
export type NewSuppression = Pick<Suppression, 'rule' | 'user' | 'namespace' | 'resource' | 'sourceIp' | 'reason' | 'owner' | 'expiresAt'>;

/** One entry of the audit trail: who changed what, when and why. */
export interface TrailEntry {
  id: number;
  at: string;
  actor: string;
  /** `alert.acknowledge`, `alert.resolve`, `alert.dismiss`, `suppression.add`, `suppression.remove`. */
  action: string;
  /** `alert:<id>` or `suppression:<id>`. */
  target: string;
  reason?: string;
  before?: unknown;
  after?: unknown;
}

/** Counters of the store, for status lines. */
export interface AuditStoreStats {
  events: number;
  unprocessed: number;
  alerts: Record<AlertStatus, number>;
  suppressions: number;
  ingest: { accepted: number; duplicates: number; rejected: number; reasons: Record<string, number> };
}
