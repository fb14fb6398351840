import { z } from 'zod';
import { ErrorBody, route, type ApiContext } from '../route.js';

const Point = z.object({ scope: z.string(), at: z.string(), score: z.number() }).meta({ id: 'ScorePoint' });

/** The secure score over time. */
export function scoreRoutes(ctx: ApiContext) {
  return [
    route({
      method: 'GET',
      url: '/api/v1/score/history',
      summary: 'Secure score time series, oldest first',
      tag: 'score',
      access: 'reader',
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
