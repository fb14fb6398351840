import { z } from 'zod';
import { ErrorBody, route, type ApiContext } from '../route.js';

const Point = z.object({ scope: z.string(), at: z.string(), score: z.number() }).meta({ id: 'ScorePoint' });

/** The secure score now, and over time. */
export function scoreRoutes(ctx: ApiContext) {
  return [
    route({
      method: 'GET',
      url: '/api/v1/score',
      summary: 'Secure score now: overall and per connector (the latest point of each)',
      tag: 'score',
      access: 'reader',
      connector: { from: () => null, list: true },
      responses: {
        200: z.object({
          overall: Point.nullable(),
          connectors: z.array(z.object({ connectorId: z.string(), name: z.string(), kind: z.string(), score: z.number().nullable(), at: z.string().nullable() })),
        }),
        401: ErrorBody,
      },
      handler: async ({ connectors: readable }) => {
        const latest = new Map((await ctx.store.latestScores()).map((p) => [p.scope, p]));
        const connectors = (await ctx.store.listConnectors()).filter((c) => !readable || readable.includes(c.id)).map((c) => {
          const p = latest.get(`connector:${c.id}`);
          return { connectorId: c.id, name: c.name, kind: c.kind, score: p?.score ?? null, at: p?.at ?? null };
        });
        // The overall score spans every connector: only for those who may read them all.
        return { overall: readable ? null : (latest.get('overall') ?? null), connectors };
      },
    }),
    route({
      method: 'GET',
      url: '/api/v1/score/history',
      summary: 'Secure score time series, oldest first',
      tag: 'score',
      access: 'reader',
      connector: { from: ({ query }) => (query.scope.startsWith('connector:') ? query.scope.slice('connector:'.length) : null) },
      query: z.object({
        scope: z.string().default('overall').describe('`overall`, `connector:<id>` or `cluster:<id>`'),
        since: z.iso.datetime({ offset: true }).optional(),
        limit: z.coerce.number().int().min(1).max(1000).optional(),
      }),
      responses: { 200: z.object({ items: z.array(Point) }), 400: ErrorBody, 401: ErrorBody },
      handler: async ({ query }) => ({ items: await ctx.store.listScores(query) }),
    }),
  ];
}
