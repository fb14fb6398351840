import { z } from 'zod';
import { ALERT_TRANSITIONS } from '../../app/alerts.js';
import { ALERT_STATUSES, moveAlert, serverAlertDetail } from '../../app/server-alerts.js';
import { SEVERITIES } from '../../model/severity.js';
import { ErrorBody, HttpError, route, type ApiContext } from '../route.js';

const AlertOut = z
  .object({
    id: z.number().int(),
    connectorId: z.string(),
    status: z.enum(ALERT_STATUSES),
    ruleId: z.string(),
    slug: z.string(),
    title: z.string(),
    severity: z.enum(SEVERITIES),
    output: z.string().describe('The rule output rendered for the first event, naming the entities'),
    entities: z.record(z.string(), z.unknown()).describe('user, groups, impersonatedUser, verb, namespace, resource, subresource, name, apiGroup, sourceIP, userAgent, images'),
    mitre: z.object({ tactics: z.array(z.string()), techniques: z.array(z.string()) }),
    equivalents: z.record(z.string(), z.array(z.string())),
    source: z.record(z.string(), z.unknown()),
    auditIds: z.array(z.string()).describe('Audit IDs of the merged events (the first 100)'),
    count: z.number().int().describe('Events merged into this alert'),
    firstSeen: z.string(),
    lastSeen: z.string(),
    createdAt: z.string(),
    updatedAt: z.string(),
    statusBy: z.string().optional(),
    statusAt: z.string().optional(),
    statusReason: z.string().optional(),
  })
  .meta({ id: 'Alert' });

const AlertDetail = z
  .object({
    alert: AlertOut,
    tactics: z.array(z.object({ id: z.string(), name: z.string() })).describe('MITRE ATT&CK tactics, named'),
    events: z.array(z.object({ seq: z.number().int(), receivedAt: z.string(), event: z.unknown() })).describe('The first 50 events, as kube-apiserver sent them, while the journal keeps them'),
  })
  .meta({ id: 'AlertDetail' });

/** `a,b,c` -> the values, each checked against the allowed ones. */
function csv<T extends string>(allowed: readonly T[]) {
  return z
    .string()
    .optional()
    .transform((v, c) => {
      if (!v) return undefined;
      const out = v.split(',').map((x) => x.trim().toLowerCase()).filter(Boolean);
      const bad = out.find((x) => !(allowed as readonly string[]).includes(x));
      if (bad !== undefined) c.addIssue({ code: 'custom', message: `"${bad}" is not one of ${allowed.join(', ')}` });
      return out as T[];
    });
}

const Time = z.iso.datetime({ offset: true });

/** A numeric id from a path (alerts and suppressions are numbered); anything else names nothing: 404. */
export function numericId(text: string, what: string): number {
  const id = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(id)) throw new HttpError(404, 'not_found', `no ${what} "${text}"`);
  return id;
}

const alertId = (text: string): number => numericId(text, 'alert');

/** The filters of the alert list, which its CSV export (src/api/routes/exports.ts) takes too. */
export const AlertFilters = z.object({
  severity: csv(SEVERITIES).describe('Comma-separated: critical,high'),
  status: csv(ALERT_STATUSES).describe('Comma-separated: new,acknowledged'),
  rule: z.string().optional().describe('Rule id or slug'),
  since: Time.optional().describe('Last seen at or after'),
  until: Time.optional().describe('First seen before'),
});

/** Alerts raised from the audit webhook: everyone reads; Contributors move them through their lifecycle. */
export function alertRoutes(ctx: ApiContext) {
  // An alert's connector, so a role on that connector authorises it; undefined (404) when there is no such alert.
  const connectorOfAlert = async (text: string) => (/^\d+$/.test(text) ? (await ctx.store.getAlert(Number(text)))?.connectorId : undefined);
  return [
    route({
      method: 'GET',
      url: '/api/v1/alerts',
      summary: 'List alerts, newest first',
      tag: 'alerts',
      access: 'reader',
      query: AlertFilters.extend({
        connector: z.string().optional().describe('Connector id'),
        limit: z.coerce.number().int().min(1).max(1000).optional(),
        cursor: z.string().regex(/^\d+$/).optional().describe('`next` of the previous page'),
      }),
      responses: { 200: z.object({ items: z.array(AlertOut), next: z.string().optional() }), 400: ErrorBody, 401: ErrorBody },
      connector: { from: 'query.connector', list: true },
      handler: async ({ query, connectors }) =>
        ctx.store.listAlerts({
          connectorIds: connectors,
          statuses: query.status,
          severities: query.severity,
          ruleId: query.rule,
          connectorId: query.connector,
          since: query.since,
          until: query.until,
          limit: query.limit,
          cursor: query.cursor,
        }),
    }),
    route({
      method: 'GET',
      url: '/api/v1/alerts/summary',
      summary: 'Alerts raised per hour or day and severity (the dashboard chart), with the open alerts per severity',
      tag: 'alerts',
      access: 'reader',
      query: z.object({
        since: Time.optional().describe('Default: 7 days ago (bucket=day) or 24 hours ago (bucket=hour)'),
        until: Time.optional(),
        bucket: z.enum(['hour', 'day']).default('day'),
        connector: z.string().optional(),
      }),
      responses: {
        200: z.object({
          bucket: z.enum(['hour', 'day']),
          since: z.string(),
          series: z.array(z.object({ bucket: z.string().describe('2026-01-02 or 2026-01-02T13 (UTC)'), counts: z.record(z.string(), z.number().int()) })),
          totals: z.record(z.string(), z.number().int()).describe('Alerts raised in the period, per severity'),
        }),
        400: ErrorBody,
        401: ErrorBody,
      },
      connector: { from: 'query.connector' },
      handler: async ({ query }) => {
        const since = query.since ?? new Date(Date.now() - (query.bucket === 'day' ? 7 * 86_400_000 : 86_400_000)).toISOString();
        const rows = await ctx.store.countAlerts({ since, until: query.until, bucket: query.bucket, connectorId: query.connector });
        const series = new Map<string, Record<string, number>>();
        const totals: Record<string, number> = Object.fromEntries(SEVERITIES.map((s) => [s, 0]));
        for (const r of rows) {
          const counts = series.get(r.bucket) ?? Object.fromEntries(SEVERITIES.map((s) => [s, 0]));
          counts[r.severity] = (counts[r.severity] ?? 0) + r.count;
          totals[r.severity] = (totals[r.severity] ?? 0) + r.count;
          series.set(r.bucket, counts);
        }
        return { bucket: query.bucket, since: new Date(since).toISOString(), series: [...series].map(([bucket, counts]) => ({ bucket, counts })), totals };
      },
    }),
    route({
      method: 'GET',
      url: '/api/v1/alerts/:id',
      summary: 'An alert with its named MITRE tactics, entities and raw events',
      tag: 'alerts',
      access: 'reader',
      params: z.object({ id: z.string() }),
      responses: { 200: AlertDetail, 401: ErrorBody, 404: ErrorBody },
      connector: { from: ({ params }) => connectorOfAlert(params.id) },
      handler: async ({ params }) => {
        const d = await serverAlertDetail(ctx.store, alertId(params.id));
        if (!d) throw new HttpError(404, 'not_found', `no alert "${params.id}"`);
        return d;
      },
    }),
    route({
      method: 'POST',
      url: '/api/v1/alerts/:id/status',
      summary: 'Acknowledge, resolve or dismiss an alert (dismissing needs a reason)',
      tag: 'alerts',
      access: 'contributor',
      params: z.object({ id: z.string() }),
      body: z.object({ status: z.enum(Object.keys(ALERT_TRANSITIONS) as [keyof typeof ALERT_TRANSITIONS]), reason: z.string().max(2000).optional() }),
      responses: { 200: AlertOut, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody },
      connector: { from: ({ params }) => connectorOfAlert(params.id) },
      handler: async ({ params, body, actor }) => {
        const r = await moveAlert(ctx.store, actor, alertId(params.id), body.status, body.reason);
        if (r.ok) return r.alert;
        if (r.error === 'not-found') throw new HttpError(404, 'not_found', `no alert "${params.id}"`);
        throw new HttpError(409, 'conflict', r.message);
      },
    }),
  ];
}
