import { z } from 'zod';
import { addUser, publicUser, removeUser } from '../../app/users.js';
import { ErrorBody, HttpError, route, type ApiContext } from '../route.js';

/** Roles as the API spells them. */
export const RoleSchema = z.enum(['reader', 'contributor', 'owner']);

/** A user as the API shows it (never the password hash). */
export const UserOut = z.object({ id: z.string(), username: z.string(), role: RoleSchema, createdAt: z.string() }).meta({ id: 'User' });

/** Local users: Owner only. */
export function userRoutes(ctx: ApiContext) {
  return [
    route({
      method: 'GET',
      url: '/api/v1/users',
      summary: 'List users',
      tag: 'users',
      access: 'owner',
      responses: { 200: z.object({ items: z.array(UserOut) }), 401: ErrorBody, 403: ErrorBody },
      handler: async () => ({ items: (await ctx.store.listUsers()).map(publicUser) }),
    }),
    route({
      method: 'POST',
      url: '/api/v1/users',
      summary: 'Add a user',
      tag: 'users',
      access: 'owner',
      body: z.object({ username: z.string().min(1).max(64), role: RoleSchema, password: z.string().min(12).max(1024) }),
      responses: { 201: UserOut, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 409: ErrorBody },
      handler: async ({ body, actor }) => addUser(ctx.store, actor, body),
    }),
    route({
      method: 'DELETE',
      url: '/api/v1/users/:username',
      summary: 'Remove a user, their sessions and their tokens',
      tag: 'users',
      access: 'owner',
      params: z.object({ username: z.string() }),
      responses: { 204: null, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody },
      handler: async ({ params, actor, reply }) => {
        if (!(await removeUser(ctx.store, actor, params.username))) throw new HttpError(404, 'not_found', `no user "${params.username}"`);
        reply.code(204);
      },
    }),
  ];
}
