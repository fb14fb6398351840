/**
 * The data of the dashboard's summary views and of the reports, from what the store keeps: compliance per
 * framework (the compliance engine's control rules over the stored findings) and the posture overview (score,
 * recommendations, alerts, inventory, vulnerable running images). The routes serve it as JSON; src/report
 * renders it as HTML, and src/app/pdf.ts prints that HTML.
 */
import type { AlertDay, ComplianceReport, PostureOverview, PostureReport, ReportScope, SeverityTally } from '../model/dashboard.js';
import { asSeverity, SEVERITIES } from '../model/severity.js';
import type { Store } from '../storage/store.js';
import { complianceHistory, findFramework, frameworkCompliance, type DataScope } from './compliance.js';
import { listRecommendations } from './connectors.js';

export type { DataScope } from './compliance.js';

function tally(): SeverityTally {
  return Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as SeverityTally;
}

/** The score scopes a data scope reads: `overall` for everything, else one per connector. */
function scoreScopes(scope: DataScope): string[] {
  if (scope.connectorId) return [`connector:${scope.connectorId}`];
  if (scope.connectorIds) return scope.connectorIds.map((id) => `connector:${id}`);
  return ['overall'];
}

/**
 * The score now and its trend over `days`: the last point of each UTC day. Over several connectors (a caller
 * who reads only some), each moment's score is the mean of every connector's latest point by then.
 */
async function scoreTrend(store: Store, scope: DataScope, now: Date, days: number): Promise<PostureOverview['score']> {
  const scopes = scoreScopes(scope);
  const since = new Date(now.getTime() - days * 86_400_000).toISOString();
  const latest = new Map((await store.latestScores()).map((p) => [p.scope, p.score]));
  const known = scopes.filter((s) => latest.has(s));
  const current = known.length ? Math.round((known.reduce((a, s) => a + latest.get(s)!, 0) / known.length) * 10) / 10 : null;
  const merged = await store.dailyScores({ scopes: known, since });
  const last = new Map<string, number>();
  const byDay = new Map<string, { at: string; score: number }>();
  for (const p of merged) {
    last.set(p.scope, p.score);
    const mean = [...last.values()].reduce((a, b) => a + b, 0) / last.size;
    byDay.set(p.at.slice(0, 10), { at: p.at, score: Math.round(mean * 10) / 10 });
  }
  return { current, trend: [...byDay.values()] };
}

/** Alerts raised on each of the last `days` UTC days (today included), and the open ones (new or acknowledged) by severity. */
async function alertSummary(store: Store, scope: DataScope, now: Date, days: number): Promise<PostureOverview['alerts']> {
  const first = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - (days - 1)));
  const daily = new Map<string, AlertDay>();
  for (let i = 0; i < days; i++) {
    const day = new Date(first.getTime() + i * 86_400_000).toISOString().slice(0, 10);
    daily.set(day, { day, critical: 0, high: 0, medium: 0, low: 0 });
  }
  for (const r of await store.countAlerts({ since: first.toISOString(), bucket: 'day', connectorId: scope.connectorId, connectorIds: scope.connectorIds })) {
    const d = daily.get(r.bucket);
    if (d && r.severity in d && r.severity !== 'day') d[r.severity as Exclude<keyof AlertDay, 'day'>] += r.count;
  }
  const bySeverity = tally();
  let open = 0;
  for (const r of await store.countAlertsByStatus({ connectorId: scope.connectorId, connectorIds: scope.connectorIds })) {
    if (r.status !== 'new' && r.status !== 'acknowledged') continue;
    open += r.count;
    bySeverity[asSeverity(r.severity)] += r.count;
  }
  return { open, bySeverity, daily: [...daily.values()] };
}

/** How much of each part of the overview to list: the dashboard shows 5, a report more. */
export interface OverviewSizes {
  recommendations: number;
  images: number;
  /** Days of score trend. */
  trendDays: number;
  /** Days of alert counts. */
  alertDays: number;
}

const DASHBOARD: OverviewSizes = { recommendations: 5, images: 5, trendDays: 30, alertDays: 14 };

/** The posture at a glance over the data in scope. */
export async function postureOverview(store: Store, scope: DataScope, opts: { now?: Date; sizes?: Partial<OverviewSizes> } = {}): Promise<PostureOverview> {
  const now = opts.now ?? new Date();
  const sizes = { ...DASHBOARD, ...opts.sizes };
  // Independent reads, at once.
  const [recs, images, score, alerts, byType] = await Promise.all([
    listRecommendations(store, { connectorId: scope.connectorId, connectorIds: scope.connectorIds }),
    store.listVulnerableImages({ running: true, severity: 'low', connectorId: scope.connectorId, connectorIds: scope.connectorIds, limit: sizes.images }),
    scoreTrend(store, scope, now, sizes.trendDays),
    alertSummary(store, scope, now, sizes.alertDays),
    store.countAssets({ by: 'type', connectorId: scope.connectorId, connectorIds: scope.connectorIds }),
  ]);
  const bySeverity = tally();
  for (const r of recs) bySeverity[r.severity]++;
  return {
    score,
    recommendations: { total: recs.length, bySeverity, top: recs.slice(0, sizes.recommendations) },
    alerts,
    assets: { byType: byType.map((t) => ({ type: t.value, count: t.count })) },
    vulnerableRunningImages: images.items.map((i) => ({
      digest: i.digest,
      ref: i.references[0]?.reference ?? i.image,
      critical: i.counts.critical,
      high: i.counts.high,
      medium: i.counts.medium,
      low: i.counts.low,
      workloads: i.workloads,
      exposed: i.exposed,
    })),
  };
}

/** The connectors a scope covers, named, for the title page of a report. */
export async function describeScope(store: Store, scope: DataScope): Promise<ReportScope> {
  const all = await store.listConnectors();
  const covered = all.filter((c) => (!scope.connectorId || c.id === scope.connectorId) && (!scope.connectorIds || scope.connectorIds.includes(c.id)));
  const restricted = scope.connectorId !== undefined || scope.connectorIds !== undefined;
  const connectors = covered.map((c) => ({ id: c.id, name: c.name }));
  return { label: restricted ? connectors.map((c) => c.name).join(', ') || 'no connector' : 'All connectors', connectors };
}

/** The data of the posture report: the overview with more lines than the dashboard shows. */
export async function postureReport(store: Store, scope: DataScope, now = new Date()): Promise<PostureReport> {
  const overview = await postureOverview(store, scope, { now, sizes: { recommendations: 20, images: 20 } });
  return { title: 'Security posture report', generatedAt: now.toISOString(), scope: await describeScope(store, scope), ...overview };
}

/** Days of compliance history a report shows. */
const REPORT_HISTORY_DAYS = 30;

/** The data of a framework's compliance report (with its last 30 days of history); undefined for an unknown framework. */
export async function complianceReport(store: Store, scope: DataScope, frameworkId: string, now = new Date()): Promise<ComplianceReport | undefined> {
  const f = findFramework(frameworkId);
  if (!f) return undefined;
  const [framework] = await frameworkCompliance(store, scope, [f]);
  const points = await complianceHistory(store, scope, f.id, new Date(now.getTime() - REPORT_HISTORY_DAYS * 86_400_000).toISOString());
  // A line per day: one connector's history keeps a point per hour, more than a printed page needs.
  const history = [...new Map(points.map((p) => [p.at.slice(0, 10), p])).values()];
  return { title: `Compliance report: ${framework!.name}`, generatedAt: now.toISOString(), scope: await describeScope(store, scope), framework: framework!, history };
}
