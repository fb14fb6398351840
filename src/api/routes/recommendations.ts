import { z } from 'zod';
import { fixView, listRecommendations, recommendationOf } from '../../app/connectors.js';
import { SEVERITIES } from '../../model/severity.js';
import { ErrorBody, HttpError, route, type ApiContext } from '../route.js';

/** A recommendation as the API answers it (the overview lists the first ones too). */
export const RecommendationOut = z
  .object({
    checkId: z.string(),
    slug: z.string(),
    title: z.string(),
    category: z.string(),
    severity: z.enum(SEVERITIES),
    remediation: z.string(),
    affected: z.number().int().describe('Assets with at least one finding of the check'),
    findings: z.number().int(),
    lastSeen: z.string(),
  })
  .meta({ id: 'Recommendation' });

const Affected = z
  .object({
    findingId: z.string(),
    asset: z.object({ id: z.string(), connectorId: z.string().nullable(), type: z.string(), key: z.string() }),
    path: z.string(),
    message: z.string(),
    firstSeen: z.string(),
    lastSeen: z.string(),
    fix: z
      .object({
        description: z.string(),
        patch: z.array(z.object({ op: z.enum(['add', 'replace', 'remove']), path: z.string(), value: z.unknown().optional() })).describe('RFC 6902 JSON Patch against the resource as last synced'),
        command: z.string().optional().describe('`kubectl patch` that applies it (when the resource kind and name are known)'),
      })
      .optional()
      .describe('Suggested fix, when the check has one'),
  })
  .meta({ id: 'AffectedResource' });

/** Recommendations: findings grouped by check across assets, each with the resources it affects. */
export function recommendationRoutes(ctx: ApiContext) {
  return [
    route({
      method: 'GET',
      url: '/api/v1/recommendations',
      summary: 'Findings grouped by check, most severe first',
      tag: 'recommendations',
      access: 'reader',
      connector: { from: 'query.connector', list: true },
      query: z.object({ connector: z.string().optional().describe('Connector id'), severity: z.enum(SEVERITIES).optional() }),
      responses: { 200: z.object({ items: z.array(RecommendationOut) }), 400: ErrorBody, 401: ErrorBody },
      handler: async ({ query, connectors }) => ({ items: await listRecommendations(ctx.store, { connectorId: query.connector, connectorIds: connectors, severity: query.severity }) }),
    }),
    route({
      method: 'GET',
      url: '/api/v1/recommendations/:checkId',
      summary: 'One recommendation and the resources it affects (paged)',
      tag: 'recommendations',
      access: 'reader',
      params: z.object({ checkId: z.string() }),
      connector: { from: 'query.connector', list: true },
      query: z.object({ connector: z.string().optional(), limit: z.coerce.number().int().min(1).max(1000).optional(), cursor: z.string().optional() }),
      responses: { 200: RecommendationOut.extend({ affectedResources: z.array(Affected), next: z.string().optional() }), 400: ErrorBody, 401: ErrorBody, 404: ErrorBody },
      handler: async ({ params, query, connectors }) => {
        const [summary] = await listRecommendations(ctx.store, { connectorId: query.connector, connectorIds: connectors, checkId: params.checkId });
        if (!summary) throw new HttpError(404, 'not_found', `no findings of check "${params.checkId}"`);
        const page = await ctx.store.listFindings({ checkId: params.checkId, connectorId: query.connector, connectorIds: connectors, limit: query.limit, cursor: query.cursor });
        // The page's assets in one query: one each would queue a hundred round trips behind every other request.
        const assets = new Map((await ctx.store.getAssets(page.items.map((f) => f.assetId))).map((a) => [a.id, a]));
        const affectedResources = [];
        for (const f of page.items) {
          const a = assets.get(f.assetId);
          if (a) affectedResources.push({ findingId: f.id, asset: { id: a.id, connectorId: a.connectorId, type: a.type, key: a.key }, path: f.path, message: f.message, firstSeen: f.firstSeen, lastSeen: f.lastSeen, ...(f.fix ? { fix: fixView(f.fix, a.attributes) } : {}) });
        }
        return { ...summary, ...recommendationOf(params.checkId, summary.severity), affectedResources, ...(page.next ? { next: page.next } : {}) };
      },
    }),
  ];
}
