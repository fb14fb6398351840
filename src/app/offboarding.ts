/**
 * Offboarding a connector: nine steps, run in order as a resumable workflow whose state is kept per step in
 * the store (`connector_offboardings`), so a crash or a failure resumes where it stopped and a repeated
 * request is answered, not redone.
 *
 * 1 identify (inactive for a number of days) -> 2 review dependencies -> 3 plan (the dry run, recorded) ->
 * 4 back up (export bundle written and verified) -> 5 stop monitoring (every scheduler, ingest tokens revoked)
 * -> 6 revoke access (credentials destroyed; what to delete in the cluster) -> 7 record (offboarded, by whom,
 * when, why) -> 8 validate (nothing runs, nothing is accepted, no credential remains) -> 9 decommission (data
 * purged after the retention period, or at once).
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { PalisadeError } from '../model/errors.js';
import { CONNECTOR_DATA_KINDS, type ConnectorDataKind, type ConnectorRow, type OffboardingRow, type Store } from '../storage/store.js';
import { lastSyncOf, monitoringStopped } from './connectors.js';
import { accessRemovalOf, type AccessRemoval } from './offboarding-access.js';
import { verifyBundle, writeBundle, type BundleInfo } from './offboarding-bundle.js';
import type { ConnectorActivity } from './scheduler.js';
import type { SecretBox } from './secrets.js';
import type { Actor } from './users.js';

/** The steps, in the order they run. */
export const OFFBOARDING_STEPS = ['identify', 'review', 'plan', 'backup', 'stop', 'revoke', 'record', 'validate', 'decommission'] as const;
export type OffboardingStep = (typeof OFFBOARDING_STEPS)[number];

/** What a person reads for each step. */
export const STEP_TITLES: Record<OffboardingStep, string> = {
  identify: 'Identify: no data or heartbeat for the inactivity period',
  review: 'Review dependencies: schedules, exemptions, notification rules, alerts, findings, ingest tokens',
  plan: 'Plan: everything that will change',
  backup: 'Back up: export bundle written and verified',
  stop: 'Stop monitoring: syncs and watches stopped, ingest tokens revoked',
  revoke: 'Revoke access: stored credentials destroyed; what to delete in the cluster or registry',
  record: 'Record: marked offboarded with who, when and why',
  validate: 'Validate: no job runs or is scheduled, no event is accepted, no credential remains',
  decommission: 'Decommission: data purged after the retention period, or at once',
};

/** The state of one step in the store. */
export interface StepRecord {
  status: 'done' | 'failed' | 'scheduled';
  at: string;
  by: string;
  result?: unknown;
  error?: string;
}

/** Days without data or heartbeat after which a connector counts as inactive, by default. */
export const DEFAULT_INACTIVE_DAYS = 30;
/** Days between offboarding and the purge of the data, by default. */
export const DEFAULT_RETENTION_DAYS = 30;
const DAY = 86_400_000;
/** Ids listed per dependency in a plan; the counts are always complete, the bundle holds every row. */
const MAX_IDS = 1000;

/** What offboarding needs of a running scheduler (SyncScheduler and any other that watches connectors). */
export interface MonitoringControl {
  /** Stops the connector's timers and watches for good and waits for its sync in flight. */
  stopConnector(id: string): Promise<void>;
  /** What runs, waits or watches for the connector. */
  activity(id: string): ConnectorActivity;
}

/** Where offboarding runs: the store, the secret box, the data directory and this process's schedulers. */
export interface OffboardingEnv {
  store: Store;
  /** Opens stored credentials, only to name the account whose access is to be removed. */
  secrets?: SecretBox;
  /** Bundles go to `<dataDir>/offboarding/` unless a folder is given. */
  dataDir?: string;
  /** The schedulers of this process (others learn from the store). */
  monitoring?: () => readonly MonitoringControl[];
  inactiveDays?: number;
  retentionDays?: number;
  /** How long a run holds the workflow before another may take it over (default 15 minutes). */
  leaseMs?: number;
  now?: () => Date;
  /** Called after each step is recorded; a test makes it throw to model a crash between steps. */
  afterStep?: (step: OffboardingStep) => void | Promise<void>;
}

/** Why an offboarding request cannot go on; the API answers with the matching status. */
export type OffboardingProblem = 'not_found' | 'active' | 'in_progress' | 'not_offboarded' | 'bad_request' | 'no_data_dir' | 'step_failed';

/** An expected refusal of an offboarding request. */
export class OffboardingError extends PalisadeError {
  constructor(
    readonly problem: OffboardingProblem,
    message: string,
    readonly step?: OffboardingStep,
  ) {
    super('E_USAGE', message);
    this.name = 'OffboardingError';
  }
}

/** When a connector last showed signs of life, and whether that makes it inactive. */
export interface ConnectorActivitySummary {
  connector: { id: string; name: string; kind: string; createdAt: string };
  /** The newest of the sources, or null when there was never any. */
  lastActivityAt: string | null;
  sources: { lastSyncSuccess: string | null; lastSyncAttempt: string | null; lastAssetSeen: string | null; lastEventAt: string | null; lastIngestAt: string | null };
  /** Whole days since the last activity (since creation when there was none). */
  idleDays: number;
  inactive: boolean;
  /** The period used, in days. */
  thresholdDays: number;
}

/** A dependency a person reviews: how many, and which. */
export interface IdList {
  count: number;
  ids: string[];
  /** More than the ids listed (the bundle holds all of them). */
  truncated?: boolean;
}

/** The dry run: everything an execution would change, and nothing changed to find it out. */
export interface OffboardingPlan {
  connector: { id: string; name: string; kind: string; hasCredentials: boolean; createdAt: string };
  identify: ConnectorActivitySummary;
  dependencies: {
    schedule: { monitored: boolean; thisProcess: ConnectorActivity[]; note: string };
    exemptions: IdList;
    notificationRules: { alertSuppressions: IdList; sinks: string };
    alerts: IdList & { open: number };
    ingestTokens: IdList & { active: number };
    roleBindings: IdList;
    findings: number;
    assets: number;
    relations: number;
    scores: number;
    auditEvents: number;
    detectorState: number;
  };
  counts: Record<ConnectorDataKind, number>;
  changes: Array<{ step: OffboardingStep; action: string; ids?: string[] }>;
  bundleDir: string | null;
  accessRemoval: AccessRemoval;
  purge: { retentionDays: number; at: string; removes: Partial<Record<ConnectorDataKind, number>>; keeps: string[] };
}

/** What an execution is asked to do. */
export interface ExecuteOptions {
  reason: string;
  /** Purge the data at the end instead of after the retention period. */
  purgeNow?: boolean;
  retentionDays?: number;
  /** Offboard a connector that is not inactive. */
  force?: boolean;
  /** Absolute path of a new folder for the bundle (default under the data directory). */
  bundleDir?: string;
}

/** Options an execution keeps in its report, so a resumed run does what the first one was asked. */
interface StoredOptions {
  purgeNow: boolean;
  retentionDays: number;
  bundleDir: string | null;
}

/** One step as the report shows it. */
export interface StepView {
  step: OffboardingStep;
  number: number;
  title: string;
  status: 'pending' | StepRecord['status'];
  at?: string;
  by?: string;
  result?: unknown;
  error?: string;
}

/** One check of the validation step. */
export interface ValidationCheck {
  name: 'monitoring-stopped' | 'no-job' | 'no-event-accepted' | 'no-credential' | 'bundle-verified';
  ok: boolean;
  detail: string;
}

/** The report of an offboarding: its record, every step, the plan, the bundle, what to remove outside, the validation. */
export interface OffboardingReport extends Omit<OffboardingRow, 'connectorId' | 'connectorName' | 'connectorKind' | 'steps' | 'report'> {
  connector: { id: string; name: string; kind: string };
  /** Every step is done (the purge may still be scheduled). */
  complete: boolean;
  steps: StepView[];
  plan?: OffboardingPlan;
  bundle?: BundleInfo;
  accessRemoval?: AccessRemoval;
  validation?: { ok: boolean; at: string; checks: ValidationCheck[] };
  purge?: {
    at: string;
    by: string;
    removed: Record<ConnectorDataKind, number>;
    remaining: Record<ConnectorDataKind, number>;
    /** Image references and scans that no connector claimed any more once this one's data was gone. */
    images?: { references: number; scans: number };
    verified: boolean;
  };
}

const nowOf = (env: OffboardingEnv) => (env.now ? env.now() : new Date());

function daysBetween(from: string, to: Date): number {
  return Math.max(0, Math.floor((to.getTime() - Date.parse(from)) / DAY));
}

function newest(...times: Array<string | null | undefined>): string | null {
  return times.filter((t): t is string => typeof t === 'string').sort().pop() ?? null;
}

/** The signs of life of every connector not being offboarded, with the period used. */
export async function connectorActivitySummaries(env: OffboardingEnv, days = env.inactiveDays ?? DEFAULT_INACTIVE_DAYS): Promise<ConnectorActivitySummary[]> {
  const now = nowOf(env);
  const activity = new Map((await env.store.connectorActivity()).map((a) => [a.connectorId, a]));
  const offboarding = new Set((await env.store.listOffboardings()).map((o) => o.connectorId));
  return (await env.store.listConnectors()).filter((c) => !offboarding.has(c.id)).map((c) => activitySummary(c, activity.get(c.id), now, days));
}

function activitySummary(c: ConnectorRow, a: { lastAssetSeen: string | null; lastEventAt: string | null; lastIngestAt: string | null } | undefined, now: Date, days: number): ConnectorActivitySummary {
  const sync = lastSyncOf(c);
  const sources = { lastSyncSuccess: sync?.lastSuccessAt ?? null, lastSyncAttempt: sync?.at ?? null, lastAssetSeen: a?.lastAssetSeen ?? null, lastEventAt: a?.lastEventAt ?? null, lastIngestAt: a?.lastIngestAt ?? null };
  // A failed sync attempt is no sign of life: a cluster that is gone fails every attempt.
  const lastActivityAt = newest(sources.lastSyncSuccess, sources.lastAssetSeen, sources.lastEventAt, sources.lastIngestAt);
  const idleDays = daysBetween(lastActivityAt ?? c.createdAt, now);
  return { connector: { id: c.id, name: c.name, kind: c.kind, createdAt: c.createdAt }, lastActivityAt, sources, idleDays, inactive: idleDays >= days, thresholdDays: days };
}

/** Connectors with no data or heartbeat for `days` (default {@link DEFAULT_INACTIVE_DAYS}), longest idle first. */
export async function listInactiveConnectors(env: OffboardingEnv, days?: number): Promise<ConnectorActivitySummary[]> {
  return (await connectorActivitySummaries(env, days)).filter((s) => s.inactive).sort((a, b) => b.idleDays - a.idleDays || a.connector.name.localeCompare(b.connector.name));
}

async function idsOf(env: OffboardingEnv, c: ConnectorRow, kind: ConnectorDataKind, pick: (r: Record<string, unknown>) => boolean = () => true): Promise<IdList & { matched: number }> {
  const ids: string[] = [];
  let count = 0;
  let matched = 0;
  let cursor: string | undefined;
  do {
    const p = await env.store.exportConnectorData(c, kind, { limit: 1000, cursor });
    for (const r of p.items) {
      count++;
      if (ids.length < MAX_IDS) ids.push(String(r.id));
      if (pick(r)) matched++;
    }
    cursor = p.next;
  } while (cursor);
  return { count, ids, matched, ...(count > ids.length ? { truncated: true } : {}) };
}

function bundleDirFor(env: OffboardingEnv, c: Pick<ConnectorRow, 'id' | 'name'>, at: Date): string | null {
  if (!env.dataDir) return null;
  const slug = c.name.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 60);
  return join(env.dataDir, 'offboarding', `${slug}-${c.id.slice(0, 8)}-${at.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}`);
}

async function connectorOf(env: OffboardingEnv, id: string): Promise<ConnectorRow> {
  const c = await env.store.getConnector(id);
  if (!c) throw new OffboardingError('not_found', `no connector "${id}"`);
  return c;
}

/** Kinds the purge removes; ingest tokens stay (revoked, so ingest answers 410 Gone) and so does the audit trail. */
const PURGED: readonly ConnectorDataKind[] = CONNECTOR_DATA_KINDS.filter((k) => k !== 'ingest-tokens' && k !== 'audit-trail');

/**
 * The dry run of an offboarding: what identifies the connector as inactive, its dependencies (counts and ids),
 * every change step by step, where the bundle would go, what to delete in the cluster, and what the purge
 * removes. Reads only: nothing in the store, the file system or the schedulers changes.
 */
export async function planOffboarding(env: OffboardingEnv, connectorId: string, opts: { purgeNow?: boolean; retentionDays?: number; bundleDir?: string; at?: Date } = {}): Promise<OffboardingPlan> {
  const c = await connectorOf(env, connectorId);
  const now = opts.at ?? nowOf(env);
  const days = env.inactiveDays ?? DEFAULT_INACTIVE_DAYS;
  const activity = (await env.store.connectorActivity()).find((a) => a.connectorId === c.id);
  const identify = activitySummary(c, activity, now, days);
  const counts = await env.store.countConnectorData(c);
  const exemptions = await idsOf(env, c, 'exemptions');
  const suppressions = await idsOf(env, c, 'alert-suppressions');
  const alerts = await idsOf(env, c, 'alerts', (r) => r.status === 'new' || r.status === 'acknowledged');
  const tokens = await idsOf(env, c, 'ingest-tokens', (r) => !r.revokedAt);
  const bindings = await idsOf(env, c, 'role-bindings');
  const strip = ({ matched: _m, ...rest }: IdList & { matched: number }): IdList => rest;
  const stopped = await monitoringStopped(env.store, c.id);
  const thisProcess = (env.monitoring?.() ?? []).map((m) => m.activity(c.id));
  const retentionDays = opts.retentionDays ?? env.retentionDays ?? DEFAULT_RETENTION_DAYS;
  const bundleDir = opts.bundleDir ?? bundleDirFor(env, c, now);
  const accessRemoval = accessRemovalOf(c, env.secrets);
  const removes = Object.fromEntries(PURGED.map((k) => [k, counts[k]])) as Partial<Record<ConnectorDataKind, number>>;
  const purgeAt = opts.purgeNow ? 'immediately, once validated' : new Date(now.getTime() + retentionDays * DAY).toISOString();
  const rows = Object.values(counts).reduce((n, x) => n + x, 0);
  const changes: OffboardingPlan['changes'] = [
    { step: 'backup', action: `write the export bundle${bundleDir ? ` to ${bundleDir}` : ''}: ${rows} rows in ${CONNECTOR_DATA_KINDS.length} NDJSON files, manifest.json and SHA256SUMS, verified before anything is removed` },
    { step: 'stop', action: stopped ? 'monitoring is already stopped' : `stop scheduled syncs and watches of ${c.name} in every scheduler, for good (recorded in the store, so restarts and other processes keep away)` },
    { step: 'stop', action: `revoke ${tokens.matched} active audit webhook ingest token(s); ingest with them answers 410 Gone`, ids: tokens.ids },
    { step: 'revoke', action: c.secrets ? 'destroy the stored credentials (set to null, then checked)' : 'no stored credentials to destroy' },
    { step: 'revoke', action: `report ${accessRemoval.commands.length ? `${accessRemoval.commands.length} command(s) and the YAML` : 'what'} to remove Palisade's access in the ${c.kind}` },
    { step: 'record', action: 'mark the connector offboarded with who, when and why; an audit-trail entry for every step' },
    { step: 'validate', action: 'check that no job runs or is scheduled, no ingest token is accepted, no credential remains and the bundle verifies' },
    { step: 'decommission', action: `purge ${PURGED.map((k) => `${counts[k]} ${k}`).join(', ')} ${opts.purgeNow ? 'at once' : `after ${retentionDays} days (${purgeAt})`}; keep the revoked ingest tokens and the audit trail` },
  ];
  return {
    connector: { id: c.id, name: c.name, kind: c.kind, hasCredentials: c.secrets !== null, createdAt: c.createdAt },
    identify,
    dependencies: {
      schedule: {
        monitored: !stopped,
        thisProcess,
        note: stopped ? 'monitoring was stopped; no scheduler picks the connector again' : `synced on the server's interval${c.kind === 'cluster' ? ' and watched between syncs' : ''} until monitoring stops`,
      },
      exemptions: strip(exemptions),
      notificationRules: { alertSuppressions: strip(suppressions), sinks: "alert sinks (alerts.sinks of the server's configuration) are shared by every connector; none is scoped to this one, so none changes" },
      alerts: { ...strip(alerts), open: alerts.matched },
      ingestTokens: { ...strip(tokens), active: tokens.matched },
      roleBindings: strip(bindings),
      findings: counts.findings,
      assets: counts.assets,
      relations: counts.relations,
      scores: counts.scores,
      auditEvents: counts['audit-events'],
      detectorState: counts['detector-state'],
    },
    counts,
    changes,
    bundleDir,
    accessRemoval,
    purge: { retentionDays, at: purgeAt, removes, keeps: ['ingest-tokens (revoked: ingest answers 410 Gone)', 'audit-trail', 'this offboarding record and its report'] },
  };
}

/** The report of a stored offboarding. */
export function offboardingReport(o: OffboardingRow): OffboardingReport {
  const steps = o.steps as Partial<Record<OffboardingStep, StepRecord>>;
  const r = o.report as { plan?: OffboardingPlan; bundle?: BundleInfo; accessRemoval?: AccessRemoval; validation?: OffboardingReport['validation']; purge?: OffboardingReport['purge'] };
  const { connectorId, connectorName, connectorKind, steps: _steps, report: _report, ...record } = o;
  return {
    connector: { id: connectorId, name: connectorName, kind: connectorKind },
    ...record,
    complete: OFFBOARDING_STEPS.every((s) => isDone(steps[s])),
    steps: OFFBOARDING_STEPS.map((step, i) => ({ step, number: i + 1, title: STEP_TITLES[step], status: steps[step]?.status ?? 'pending', ...(steps[step] ? { at: steps[step].at, by: steps[step].by, result: steps[step].result, error: steps[step].error } : {}) })),
    ...(r.plan ? { plan: r.plan } : {}),
    ...(r.bundle ? { bundle: r.bundle } : {}),
    ...(r.accessRemoval ? { accessRemoval: r.accessRemoval } : {}),
    ...(r.validation ? { validation: r.validation } : {}),
    ...(r.purge ? { purge: r.purge } : {}),
  };
}

/** The report of a connector's offboarding, or undefined when it has none. */
export async function getOffboardingReport(env: OffboardingEnv, connectorId: string): Promise<OffboardingReport | undefined> {
  const o = await env.store.getOffboarding(connectorId);
  return o && offboardingReport(o);
}

function isDone(s: StepRecord | undefined): boolean {
  return s?.status === 'done' || s?.status === 'scheduled';
}

/** Holds the workflow's lease while `fn` runs, renewing it as steps go by; refuses when another run holds it. */
async function withLease<T>(env: OffboardingEnv, connectorId: string, fn: (renew: () => Promise<void>) => Promise<T>): Promise<T> {
  const owner = randomUUID();
  const leaseMs = env.leaseMs ?? 15 * 60_000;
  const claim = async () => {
    const now = nowOf(env);
    if (!(await env.store.claimOffboarding(connectorId, owner, new Date(now.getTime() + leaseMs).toISOString(), now.toISOString()))) {
      throw new OffboardingError('in_progress', `the offboarding of connector ${connectorId} is running in another request; ask for its report, or try again once it is done`);
    }
  };
  await claim();
  try {
    return await fn(claim);
  } finally {
    await env.store.releaseOffboarding(connectorId, owner).catch(() => undefined);
  }
}

/** Records a step (state, report fields, other columns) and its audit entry in one transaction. */
async function record(env: OffboardingEnv, actor: Actor, o: OffboardingRow, step: OffboardingStep, rec: Omit<StepRecord, 'at' | 'by'>, patch: { report?: Record<string, unknown>; row?: Parameters<Store['updateOffboarding']>[1] } = {}): Promise<OffboardingRow> {
  const at = nowOf(env).toISOString();
  const full: StepRecord = { ...rec, at, by: actor.name };
  return env.store.transaction(async (tx) => {
    const cur = (await tx.getOffboarding(o.connectorId))!;
    const next = await tx.updateOffboarding(o.connectorId, { ...patch.row, steps: { ...cur.steps, [step]: full }, report: { ...cur.report, ...patch.report } });
    await tx.appendAudit({
      actor: actor.name,
      action: step === 'decommission' && rec.status === 'done' ? 'connector.purge' : `connector.offboard.${step}`,
      target: `connector:${o.connectorId}`,
      source: actor.source,
      before: null,
      after: { step, status: rec.status, connector: o.connectorName, ...(rec.error ? { error: rec.error } : {}), ...(summaryOf(rec.result) ?? {}) },
    });
    return next!;
  });
}

/** What of a step's result goes in its audit entry (small values only). */
function summaryOf(result: unknown): Record<string, unknown> | undefined {
  if (!result || typeof result !== 'object') return undefined;
  return Object.fromEntries(Object.entries(result as Record<string, unknown>).filter(([, v]) => v === null || typeof v !== 'object' || (Array.isArray(v) && v.length <= 20)));
}

/**
 * Runs (or resumes) the offboarding of a connector: each step not yet done, in order, each recorded with
 * its audit entry before the next begins. A connector already offboarded gets its report back (and its purge,
 * when `purgeNow` is asked for one that waits for its retention period). A connector that is not inactive
 * is refused unless `force`. Only one run at a time holds a connector's workflow (a lease in the store).
 */
export async function executeOffboarding(env: OffboardingEnv, connectorId: string, actor: Actor, opts: ExecuteOptions): Promise<OffboardingReport> {
  let o = await env.store.getOffboarding(connectorId);
  if (!o) {
    const c = await connectorOf(env, connectorId);
    const reason = opts.reason.trim();
    if (!reason) throw new OffboardingError('bad_request', 'give the reason for offboarding (it is kept with the record)');
    if (opts.bundleDir !== undefined && !isAbsolute(opts.bundleDir)) throw new OffboardingError('bad_request', `bundleDir: "${opts.bundleDir}" is not an absolute path`);
    // The bundle folder must be new: the workflow may then replace what an interrupted run of its own left there.
    if (opts.bundleDir !== undefined && existsSync(opts.bundleDir)) throw new OffboardingError('bad_request', `bundleDir: ${opts.bundleDir} already exists; give a new folder (nothing is ever overwritten)`);
    if (opts.retentionDays !== undefined && !(opts.retentionDays >= 0)) throw new OffboardingError('bad_request', 'retentionDays: give a number of days, 0 or more');
    const activity = (await env.store.connectorActivity()).find((a) => a.connectorId === c.id);
    const summary = activitySummary(c, activity, nowOf(env), env.inactiveDays ?? DEFAULT_INACTIVE_DAYS);
    if (!summary.inactive && !opts.force) {
      throw new OffboardingError('active', `connector ${c.name} is active (last data or heartbeat ${summary.lastActivityAt ?? 'never'}, ${summary.idleDays} of ${summary.thresholdDays} days idle); offboard it anyway with force (--force)`);
    }
    const bundleDir = opts.bundleDir ?? bundleDirFor(env, c, nowOf(env));
    if (!bundleDir) throw new OffboardingError('no_data_dir', 'the server has no data directory for the export bundle; give bundleDir');
    const options: StoredOptions = { purgeNow: opts.purgeNow === true, retentionDays: opts.retentionDays ?? env.retentionDays ?? DEFAULT_RETENTION_DAYS, bundleDir };
    o = (await env.store.createOffboarding({ connectorId: c.id, connectorName: c.name, connectorKind: c.kind, reason, requestedBy: actor.name, steps: {}, report: { options, forced: !summary.inactive } })) ?? (await env.store.getOffboarding(c.id))!;
  }
  const finished = OFFBOARDING_STEPS.every((s) => isDone((o!.steps as Partial<Record<OffboardingStep, StepRecord>>)[s]));
  if (finished && opts.purgeNow && o.state === 'offboarded') return purgeOffboardedConnector(env, connectorId, actor);
  if (finished || o.state === 'purged') return offboardingReport(o);

  return withLease(env, connectorId, async (renew) => {
    let row = (await env.store.getOffboarding(connectorId))!;
    const options = row.report.options as StoredOptions;
    for (const step of OFFBOARDING_STEPS) {
      if (isDone((row.steps as Partial<Record<OffboardingStep, StepRecord>>)[step])) continue;
      await renew();
      let outcome: { rec: Omit<StepRecord, 'at' | 'by'>; report?: Record<string, unknown>; row?: Parameters<Store['updateOffboarding']>[1] };
      try {
        outcome = await runStep(env, actor, row, step, options);
      } catch (e) {
        const error = e instanceof Error ? e.message : String(e);
        await record(env, actor, row, step, { status: 'failed', error }, { report: e instanceof StepFailure ? e.report : undefined });
        throw new OffboardingError('step_failed', `step ${OFFBOARDING_STEPS.indexOf(step) + 1} (${step}) failed: ${error}; the steps before it are kept, and executing again resumes here`, step);
      }
      row = await record(env, actor, row, step, outcome.rec, outcome);
      await env.afterStep?.(step);
    }
    return offboardingReport(row);
  });
}

/** A step that failed with something to keep in the report (the validation's checks). */
class StepFailure extends Error {
  constructor(
    message: string,
    readonly report: Record<string, unknown>,
  ) {
    super(message);
  }
}

async function runStep(env: OffboardingEnv, actor: Actor, row: OffboardingRow, step: OffboardingStep, options: StoredOptions): Promise<{ rec: Omit<StepRecord, 'at' | 'by'>; report?: Record<string, unknown>; row?: Parameters<Store['updateOffboarding']>[1] }> {
  const id = row.connectorId;
  const plan = row.report.plan as OffboardingPlan | undefined;
  switch (step) {
    case 'identify': {
      const c = await connectorOf(env, id);
      const activity = (await env.store.connectorActivity()).find((a) => a.connectorId === id);
      const s = activitySummary(c, activity, nowOf(env), env.inactiveDays ?? DEFAULT_INACTIVE_DAYS);
      return { rec: { status: 'done', result: { inactive: s.inactive, idleDays: s.idleDays, thresholdDays: s.thresholdDays, lastActivityAt: s.lastActivityAt, forced: row.report.forced === true } } };
    }
    case 'review': {
      const p = await planOffboarding(env, id, { ...options, bundleDir: options.bundleDir ?? undefined });
      const d = p.dependencies;
      return { rec: { status: 'done', result: { exemptions: d.exemptions.count, alertSuppressions: d.notificationRules.alertSuppressions.count, alerts: d.alerts.count, openAlerts: d.alerts.open, ingestTokens: d.ingestTokens.count, activeIngestTokens: d.ingestTokens.active, roleBindings: d.roleBindings.count, findings: d.findings, assets: d.assets, scores: d.scores, monitored: d.schedule.monitored } } };
    }
    case 'plan': {
      // Recorded before anything changes: the access to remove is read from the credentials while they exist.
      const p = await planOffboarding(env, id, { ...options, bundleDir: options.bundleDir ?? undefined });
      return { rec: { status: 'done', result: { changes: p.changes.length, rows: Object.values(p.counts).reduce((n, x) => n + x, 0), bundleDir: p.bundleDir } }, report: { plan: p } };
    }
    case 'backup': {
      const c = await connectorOf(env, id);
      const bundle = await writeBundle(env.store, c, options.bundleDir!, row.reason, { now: nowOf(env), replace: true });
      return { rec: { status: 'done', result: { dir: bundle.dir, rows: bundle.rows, files: bundle.files.length, manifestSha256: bundle.manifestSha256 } }, report: { bundle } };
    }
    case 'stop':
      return stopMonitoring(env, row, options);
    case 'revoke': {
      const c = await env.store.getConnector(id);
      const hadCredentials = Boolean(c?.secrets);
      if (c && c.secrets !== null) await env.store.updateConnector(id, { secrets: null });
      const after = await env.store.getConnector(id);
      if (after && after.secrets !== null) throw new Error('the stored credentials are still there after being destroyed');
      const accessRemoval = plan?.accessRemoval ?? (c ? accessRemovalOf(c, env.secrets) : undefined);
      return { rec: { status: 'done', result: { credentialsDestroyed: hadCredentials, verified: true, commands: accessRemoval?.commands.length ?? 0 } }, report: accessRemoval ? { accessRemoval } : {} };
    }
    case 'record': {
      const at = nowOf(env);
      const purgeAfter = new Date(at.getTime() + (options.purgeNow ? 0 : options.retentionDays * DAY)).toISOString();
      return { rec: { status: 'done', result: { by: actor.name, at: at.toISOString(), reason: row.reason, purgeAfter } }, row: { state: 'offboarded', offboardedAt: at.toISOString(), offboardedBy: actor.name, purgeAfter } };
    }
    case 'validate': {
      const validation = await validateOffboarding(env, row);
      if (!validation.ok) throw new StepFailure(`validation failed: ${validation.checks.filter((x) => !x.ok).map((x) => `${x.name}: ${x.detail}`).join('; ')}`, { validation });
      return { rec: { status: 'done', result: { ok: true, checks: validation.checks.length } }, report: { validation } };
    }
    case 'decommission': {
      if (options.purgeNow) {
        const purge = await purgeData(env, row, actor);
        return { rec: { status: 'done', result: { removed: Object.values(purge.removed).reduce((n, x) => n + x, 0), verified: purge.verified } }, report: { purge }, row: { state: 'purged', purgedAt: purge.at } };
      }
      return { rec: { status: 'scheduled', result: { purgeAfter: row.purgeAfter } } };
    }
  }
}

/**
 * Step 5: the mark in the store first (so every scheduler, here, elsewhere and after a restart, keeps away,
 * and a sync in flight stores nothing), then this process's schedulers, then the ingest tokens. When data
 * arrived after the bundle was written (a sync or events that were already on their way), the bundle is
 * written again, so the purge never removes what the bundle lacks.
 */
async function stopMonitoring(env: OffboardingEnv, row: OffboardingRow, options: StoredOptions): Promise<{ rec: Omit<StepRecord, 'at' | 'by'>; report?: Record<string, unknown>; row?: Parameters<Store['updateOffboarding']>[1] }> {
  const id = row.connectorId;
  const at = nowOf(env).toISOString();
  if (!row.monitoringStoppedAt) await env.store.updateOffboarding(id, { monitoringStoppedAt: at });
  for (const m of env.monitoring?.() ?? []) await m.stopConnector(id);
  const tokensRevoked = await env.store.revokeIngestTokens(id, at);
  const bundle = row.report.bundle as BundleInfo;
  const c = await env.store.getConnector(id);
  const counts = c ? await env.store.countConnectorData(c) : undefined;
  const activity = (await env.store.connectorActivity()).find((a) => a.connectorId === id);
  const changed =
    c !== undefined &&
    (bundle.files.some((f) => f.kind !== 'audit-trail' && f.kind !== 'ingest-tokens' && counts![f.kind] !== f.rows) ||
      (lastSyncOf(c)?.at ?? '') >= bundle.createdAt ||
      (activity?.lastEventAt ?? '') >= bundle.createdAt);
  let refreshed: BundleInfo | undefined;
  if (changed) refreshed = await writeBundle(env.store, c, `${options.bundleDir!}-final`, row.reason, { now: nowOf(env), replace: true });
  const activityNow = (env.monitoring?.() ?? []).map((m) => m.activity(id));
  return {
    rec: { status: 'done', result: { monitoringStoppedAt: row.monitoringStoppedAt ?? at, schedulersStopped: activityNow.length, tokensRevoked, bundleRewritten: refreshed !== undefined } },
    report: refreshed ? { bundle: refreshed, earlierBundle: bundle } : undefined,
    row: { monitoringStoppedAt: row.monitoringStoppedAt ?? at },
  };
}

/**
 * Step 8: checks, against the store and this process's schedulers, that the connector is really gone from
 * monitoring: the stop mark every scheduler reads is set, no scheduler here runs, waits or watches for it,
 * every ingest token of it is revoked when looked up by its hash (as ingest does), no credential is stored,
 * and the bundle still verifies.
 */
export async function validateOffboarding(env: OffboardingEnv, row: OffboardingRow): Promise<{ ok: boolean; at: string; checks: ValidationCheck[] }> {
  const id = row.connectorId;
  const checks: ValidationCheck[] = [];
  const stopped = await monitoringStopped(env.store, id);
  checks.push({ name: 'monitoring-stopped', ok: stopped, detail: stopped ? 'the store marks its monitoring stopped: no scheduler, here, in another process or after a restart, picks it again' : 'the store does not mark its monitoring stopped' });
  const busy = (env.monitoring?.() ?? []).map((m) => m.activity(id)).filter((a) => a.scheduled || a.running || a.watching);
  const schedulers = env.monitoring?.().length ?? 0;
  checks.push({
    name: 'no-job',
    ok: busy.length === 0,
    detail: busy.length ? `a scheduler still ${busy.map((a) => [a.running && 'runs a sync', a.scheduled && 'has a timer', a.watching && 'watches the cluster'].filter(Boolean).join(' and ')).join('; ')}` : schedulers ? `none of the ${schedulers} scheduler(s) of this process runs, schedules or watches it` : 'no scheduler runs in this process; the store mark keeps the others away',
  });
  const tokens = await env.store.listIngestTokens({ connectorId: id, includeRevoked: true });
  const accepted: string[] = [];
  for (const t of tokens) {
    const looked = await env.store.getIngestTokenByHash(t.tokenHash);
    if (looked && !looked.revokedAt) accepted.push(t.prefix);
  }
  checks.push({ name: 'no-event-accepted', ok: accepted.length === 0, detail: accepted.length ? `ingest token(s) ${accepted.join(', ')} are still accepted` : `all ${tokens.length} ingest token(s) are revoked: ingest answers 410 Gone` });
  const c = await env.store.getConnector(id);
  checks.push({ name: 'no-credential', ok: !c?.secrets, detail: c?.secrets ? 'encrypted credentials are still stored' : 'no credential is stored for it' });
  const bundle = (row.report.bundle ?? (await env.store.getOffboarding(id))?.report.bundle) as BundleInfo | undefined;
  const verified = bundle ? await verifyBundle(bundle.dir) : { ok: false, problems: ['no bundle was written'] };
  checks.push({ name: 'bundle-verified', ok: verified.ok, detail: verified.ok ? `${bundle!.dir}: every file matches manifest.json` : verified.problems.join('; ') });
  return { ok: checks.every((x) => x.ok), at: nowOf(env).toISOString(), checks };
}

/** Step 9's work: the bundle checked once more, the data purged, and the store checked to hold none of it. */
async function purgeData(env: OffboardingEnv, row: OffboardingRow, actor: Actor): Promise<NonNullable<OffboardingReport['purge']>> {
  const bundle = row.report.bundle as BundleInfo | undefined;
  const check = bundle ? await verifyBundle(bundle.dir) : { ok: false, problems: ['no bundle was written'] };
  if (!check.ok) throw new Error(`the export bundle does not verify, so nothing is purged: ${check.problems.join('; ')}`);
  const ref = { id: row.connectorId, name: row.connectorName };
  const removed = await env.store.purgeConnectorData(ref);
  // Scans are kept per digest, shared by every connector that runs or hosts the image: forget those it alone claimed.
  const images = await env.store.pruneUnclaimedImages();
  const remaining = await env.store.countConnectorData(ref);
  const left = PURGED.filter((k) => remaining[k] > 0);
  const activeTokens = (await env.store.listIngestTokens({ connectorId: row.connectorId })).length;
  if (left.length || activeTokens) throw new Error(`the purge left ${[...left.map((k) => `${remaining[k]} ${k}`), ...(activeTokens ? [`${activeTokens} active ingest token(s)`] : [])].join(', ')}`);
  return { at: nowOf(env).toISOString(), by: actor.name, removed, remaining, images, verified: true };
}

/**
 * Step 9 at once (or when the retention period is over): purges the data of an offboarded connector, audited
 * and verified. An already purged connector gets its report back; one not yet offboarded is refused.
 */
export async function purgeOffboardedConnector(env: OffboardingEnv, connectorId: string, actor: Actor): Promise<OffboardingReport> {
  const o = await env.store.getOffboarding(connectorId);
  if (!o) throw new OffboardingError('not_found', `connector ${connectorId} has no offboarding; plan and execute one first`);
  if (o.state === 'purged') return offboardingReport(o);
  const validated = (o.steps as Partial<Record<OffboardingStep, StepRecord>>).validate?.status === 'done';
  if (o.state !== 'offboarded' || !validated) throw new OffboardingError('not_offboarded', `connector ${o.connectorName} is not offboarded yet (its workflow stopped before validation): execute the offboarding again to finish it first`);
  return withLease(env, connectorId, async () => {
    const row = (await env.store.getOffboarding(connectorId))!;
    if (row.state === 'purged') return offboardingReport(row);
    try {
      const purge = await purgeData(env, row, actor);
      return offboardingReport(await record(env, actor, row, 'decommission', { status: 'done', result: { removed: Object.values(purge.removed).reduce((n, x) => n + x, 0), verified: true, early: purge.at < (row.purgeAfter ?? '') } }, { report: { purge }, row: { state: 'purged', purgedAt: purge.at } }));
    } catch (e) {
      const error = e instanceof Error ? e.message : String(e);
      await record(env, actor, row, 'decommission', { status: 'failed', error });
      throw new OffboardingError('step_failed', `the purge failed: ${error}`, 'decommission');
    }
  });
}

/** Purges every offboarded connector whose retention period is over; returns the ids purged. Failures are logged and left for the next round. */
export async function purgeDueOffboardings(env: OffboardingEnv, log?: (level: 'info' | 'warn', message: string) => void): Promise<string[]> {
  const done: string[] = [];
  for (const o of await env.store.listOffboardings({ purgeDueAt: nowOf(env).toISOString() })) {
    try {
      await purgeOffboardedConnector(env, o.connectorId, { name: 'system', role: 'owner' });
      done.push(o.connectorId);
      log?.('info', `purged the data of offboarded connector ${o.connectorName} (${o.connectorId}) after its retention period`);
    } catch (e) {
      log?.('warn', `purge of offboarded connector ${o.connectorName} (${o.connectorId}) failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return done;
}

/** Runs {@link purgeDueOffboardings} now and then on an interval (default hourly) until stopped. */
export function startOffboardingPurges(env: OffboardingEnv, opts: { intervalMs?: number; log?: (level: 'info' | 'warn', message: string) => void } = {}): { stop(): Promise<void> } {
  let running: Promise<unknown> = Promise.resolve();
  let stopped = false;
  const tick = () => {
    if (stopped) return;
    running = purgeDueOffboardings(env, opts.log).catch(() => undefined);
  };
  const timer = setInterval(tick, opts.intervalMs ?? 3_600_000);
  timer.unref?.();
  tick();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
