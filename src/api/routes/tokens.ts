import { z } from 'zod';
import { createToken, publicToken, revokeToken } from '../../app/users.js';
import { roleAtLeast } from '../../storage/store.js';
import { ErrorBody, HttpError, route, type ApiContext } from '../route.js';
import { RoleSchema } from './users.js';

const TokenOut = z
  .object({
    id: z.string(),
    name: z.string(),
    prefix: z.string(),
    role: RoleSchema,
    userId: z.string(),
    createdAt: z.string(),
    expiresAt: z.string().nullable(),
    lastUsedAt: z.string().nullable(),
    revokedAt: z.string().nullable(),
  })
  .meta({ id: 'ApiToken' });

/** API tokens: everyone manages their own; an Owner sees and revokes all. */
export function tokenRoutes(ctx: ApiContext) {
  return [
    route({
      method: 'GET',
      url: '/api/v1/tokens',
      summary: 'List API tokens (your own; an Owner sees all)',
      tag: 'tokens',
      access: 'reader',
      self: true,
      responses: { 200: z.object({ items: z.array(TokenOut) }), 401: ErrorBody },
      handler: async ({ actor }) => ({ items: (await ctx.store.listApiTokens(actor.role === 'owner' ? {} : { userId: actor.userId })).map(publicToken) }),
    }),
    route({
      method: 'POST',
      url: '/api/v1/tokens',
      summary: 'Create an API token for yourself; the token is in this answer only',
      tag: 'tokens',
      access: 'reader',
      self: true,
      body: z.object({ name: z.string().min(1).max(100), role: RoleSchema.optional(), expiresAt: z.iso.datetime({ offset: true }).optional() }),
      responses: { 201: z.object({ token: z.string(), info: TokenOut }), 400: ErrorBody, 401: ErrorBody, 403: ErrorBody },
      handler: async ({ body, actor }) => {
        const role = body.role ?? actor.role;
        if (!actor.userId) throw new HttpError(403, 'forbidden', 'only users can create tokens');
        if (!roleAtLeast(actor.role, role)) throw new HttpError(403, 'forbidden', `you cannot create a token with a higher role (${role}) than your own (${actor.role})`);
        return createToken(ctx.store, actor, { userId: actor.userId, name: body.name, role, expiresAt: body.expiresAt ?? null });
      },
    }),
    route({
      method: 'DELETE',
      url: '/api/v1/tokens/:id',
      summary: 'Revoke an API token (by id or prefix)',
      tag: 'tokens',
      access: 'reader',
      self: true,
      params: z.object({ id: z.string() }),
      responses: { 204: null, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody },
      handler: async ({ params, actor, reply }) => {
        if (!(await revokeToken(ctx.store, actor, params.id))) throw new HttpError(404, 'not_found', `no active token "${params.id}"`);
        reply.code(204);
      },
    }),
  ];
}
