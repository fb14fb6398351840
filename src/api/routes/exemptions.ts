import { z } from 'zod';
import { connectorOfScope } from '../../app/access.js';
import { addExemption, removeExemption } from '../../app/exemptions.js';
import { ErrorBody, HttpError, route, type ApiContext } from '../route.js';

const ExemptionOut = z
  .object({
    id: z.string(),
    scope: z.string(),
    checkId: z.string(),
    reason: z.string(),
    owner: z.string(),
    expiresAt: z.string().nullable(),
    createdBy: z.string(),
    createdAt: z.string(),
  })
  .meta({ id: 'Exemption' });

const NewExemption = z.object({
  scope: z.string().min(1).max(500).describe('`*`, `connector:<id>`, `namespace:<cluster>/<namespace>`, `asset:<id>`'),
  checkId: z.string().min(1).max(200).describe('A check id, or `*` for every check'),
  reason: z.string().min(1).max(2000),
  owner: z.string().min(1).max(200).describe('Who answers for this accepted risk'),
  expiresAt: z.iso.datetime({ offset: true }).nullable().optional(),
});

/** Exemptions (accepted risks): everyone reads, Contributors and Owners write. */
export function exemptionRoutes(ctx: ApiContext) {
  return [
    route({
      method: 'GET',
      url: '/api/v1/exemptions',
      summary: 'List exemptions',
      tag: 'exemptions',
      access: 'reader',
      connector: { from: async ({ query }) => (query.scope ? connectorOfScope(ctx.store, query.scope) : null), list: true },
      query: z.object({ scope: z.string().optional(), active: z.enum(['true', 'false']).optional().describe('Only those not expired') }),
      responses: { 200: z.object({ items: z.array(ExemptionOut) }), 401: ErrorBody },
      handler: async ({ query, connectors }) => {
        const items = await ctx.store.listExemptions({ scope: query.scope, activeAt: query.active === 'true' ? new Date().toISOString() : undefined });
        if (!connectors) return { items };
        // Roles on single connectors: those exemptions tied to one of them, and those that hold everywhere.
        const keep = await Promise.all(items.map(async (e) => e.scope === '*' || connectors.includes((await connectorOfScope(ctx.store, e.scope)) ?? '')));
        return { items: items.filter((_, i) => keep[i]) };
      },
    }),
    route({
      method: 'POST',
      url: '/api/v1/exemptions',
      summary: 'Add an exemption',
      tag: 'exemptions',
      access: 'contributor',
      connector: { from: ({ body }) => connectorOfScope(ctx.store, body.scope) },
      body: NewExemption,
      responses: { 201: ExemptionOut, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody },
      handler: async ({ body, actor }) => {
        if (body.expiresAt && Date.parse(body.expiresAt) <= Date.now()) throw new HttpError(400, 'bad_request', 'expiresAt is in the past');
        return addExemption(ctx.store, actor, body);
      },
    }),
    route({
      method: 'DELETE',
      url: '/api/v1/exemptions/:id',
      summary: 'Delete an exemption',
      tag: 'exemptions',
      access: 'contributor',
      params: z.object({ id: z.string() }),
      connector: {
        from: async ({ params }) => {
          const e = await ctx.store.getExemption(params.id);
          return e && connectorOfScope(ctx.store, e.scope);
        },
      },
      responses: { 204: null, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody },
      handler: async ({ params, actor, reply }) => {
        if (!(await removeExemption(ctx.store, actor, params.id))) throw new HttpError(404, 'not_found', `no exemption "${params.id}"`);
        reply.code(204);
      },
    }),
  ];
}
