import { z } from 'zod';
import { ErrorBody, route, type ApiContext } from '../route.js';

const Health = z.object({ status: z.literal('ok') });
const Ready = z.object({ status: z.enum(['ready', 'not-ready']), store: z.enum(['sqlite', 'postgres']), pendingMigrations: z.array(z.number().int()), message: z.string().optional() });

/** Liveness, readiness (store reachable, migrations applied) and Prometheus metrics. */
export function healthRoutes(ctx: ApiContext) {
  return [
    route({
      method: 'GET',
      url: '/healthz',
      summary: 'Liveness: the process answers',
      tag: 'health',
      access: 'public',
      responses: { 200: Health },
      handler: async () => ({ status: 'ok' as const }),
    }),
    route({
      method: 'GET',
      url: '/readyz',
      summary: 'Readiness: the store answers and every migration is applied',
      tag: 'health',
      access: 'public',
      responses: { 200: Ready, 503: Ready },
      handler: async ({ reply }) => {
        try {
          await ctx.store.ping();
          const { pending } = await ctx.store.migrationStatus();
          if (pending.length) reply.code(503);
          return { status: pending.length ? ('not-ready' as const) : ('ready' as const), store: ctx.store.dialect, pendingMigrations: pending };
        } catch (e) {
          reply.code(503);
          return { status: 'not-ready' as const, store: ctx.store.dialect, pendingMigrations: [], message: `store unreachable: ${(e as Error).message}` };
        }
      },
    }),
    route({
      method: 'GET',
      url: '/metrics',
      summary: 'Prometheus metrics (text exposition format)',
      tag: 'health',
      access: 'reader',
      produces: 'text/plain',
      responses: { 200: z.string(), 401: ErrorBody },
      handler: async ({ reply }) => {
        reply.header('content-type', ctx.metrics.contentType);
        return ctx.metrics.metrics();
      },
    }),
  ];
}
