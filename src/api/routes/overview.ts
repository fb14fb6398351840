import { z } from 'zod';
import { postureOverview } from '../../app/reports.js';
import { ErrorBody, route, type ApiContext } from '../route.js';
import { RecommendationOut } from './recommendations.js';
import { ScopeQuery, scopeOf, scopeRef } from '../scope-query.js';

const n = () => z.number().int();
const BySeverity = z.object({ critical: n(), high: n(), medium: n(), low: n(), info: n() });

const Overview = z
  .object({
    score: z.object({
      current: z.number().nullable().describe('The latest secure score: overall, of the connector asked for, or the mean of the connectors the caller reads; null before any sync'),
      trend: z.array(z.object({ at: z.string(), score: z.number() })).describe('The last score of each UTC day of the last 30 days, oldest first'),
    }),
    recommendations: z.object({
      total: n().describe('Checks with open findings'),
      bySeverity: BySeverity,
      top: z
        .array(RecommendationOut)
        .describe('The first 5 of GET /api/v1/recommendations: most severe, then most assets affected'),
    }),
    alerts: z.object({
      open: n().describe('Alerts new or acknowledged'),
      bySeverity: BySeverity.describe('Open alerts per severity'),
      daily: z.array(z.object({ day: z.string(), critical: n(), high: n(), medium: n(), low: n() })).describe('Alerts raised on each of the last 14 UTC days, today last'),
    }),
    assets: z.object({ byType: z.array(z.object({ type: z.string(), count: n() })).describe('Most first') }),
    vulnerableRunningImages: z
      .array(
        z.object({
          digest: z.string().nullable(),
          ref: z.string().describe('A reference that names the image, as a pod does'),
          critical: n(),
          high: n(),
          medium: n(),
          low: n(),
          workloads: n(),
          exposed: z.boolean().describe('A workload that runs it is behind a LoadBalancer or NodePort Service, or an Ingress'),
        }),
      )
      .describe('The top 5 running images with vulnerabilities: exposed ones first, then by critical, high, medium and low counts'),
  })
  .meta({ id: 'Overview' });

/** The dashboard's home page in one request. */
export function overviewRoutes(ctx: ApiContext) {
  return [
    route({
      method: 'GET',
      url: '/api/v1/overview',
      summary: 'The posture at a glance: secure score and trend, recommendations, alerts, inventory and the most vulnerable running images',
      tag: 'overview',
      access: 'reader',
      query: ScopeQuery,
      connector: scopeRef,
      responses: { 200: Overview, 400: ErrorBody, 401: ErrorBody },
      handler: async ({ query, connectors }) => postureOverview(ctx.store, scopeOf(query, connectors)),
    }),
  ];
}
