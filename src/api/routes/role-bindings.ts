import { z } from 'zod';
import { findSubject, grantRole, listBindings, revokeRole, setGlobalRole } from '../../app/access.js';
import { ErrorBody, HttpError, route, type ApiContext } from '../route.js';
import { RoleSchema } from './users.js';

const BindingOut = z
  .object({
    id: z.string(),
    subject: z.object({ kind: z.enum(['user', 'token']), id: z.string(), name: z.string().describe('`user:<name>` or `token:<prefix>`') }),
    connectorId: z.string(),
    role: RoleSchema,
    createdBy: z.string(),
    createdAt: z.string(),
  })
  .meta({ id: 'RoleBinding' });

const SubjectRef = { user: z.string().min(1).optional().describe('A username'), token: z.string().min(1).optional().describe('An API token id or prefix') };

const oneSubject = (b: { user?: string; token?: string }) => Boolean(b.user) !== Boolean(b.token);

/** 404 for a user or token that does not exist (rather than a 400 from the change itself). */
async function subjectExists(ctx: ApiContext, b: { user?: string; token?: string }): Promise<void> {
  if (!(await findSubject(ctx.store, b))) throw new HttpError(404, 'not_found', b.user ? `no user "${b.user}"` : `no active token "${b.token}"`);
}

/** Roles per connector (role bindings) and global roles: Owners grant and revoke them, audited. */
export function roleBindingRoutes(ctx: ApiContext) {
  return [
    route({
      method: 'GET',
      url: '/api/v1/role-bindings',
      summary: 'List role bindings (roles on single connectors); an Owner of a connector sees those of their connectors',
      tag: 'access',
      access: 'owner',
      connector: { from: 'query.connector', list: true, connectorOwner: true },
      query: z.object({ connector: z.string().optional().describe('Connector id'), ...SubjectRef }),
      responses: { 200: z.object({ items: z.array(BindingOut) }), 400: ErrorBody, 401: ErrorBody, 403: ErrorBody },
      handler: async ({ query, connectors }) => {
        if (query.user || query.token) await subjectExists(ctx, query);
        return { items: await listBindings(ctx.store, { connectorId: query.connector, connectorIds: connectors, user: query.user, token: query.token }) };
      },
    }),
    route({
      method: 'POST',
      url: '/api/v1/role-bindings',
      summary: 'Grant a role on one connector to a user or an API token (replaces the role it had there)',
      tag: 'access',
      access: 'owner',
      connector: { from: 'body.connector', connectorOwner: true },
      body: z
        .object({ ...SubjectRef, connector: z.string().min(1).describe('Connector id'), role: RoleSchema })
        .refine(oneSubject, { message: 'give either user or token' }),
      responses: { 201: BindingOut, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody },
      handler: async ({ body, actor }) => {
        await subjectExists(ctx, body);
        if (!(await ctx.store.getConnector(body.connector))) throw new HttpError(404, 'not_found', `no connector "${body.connector}"`);
        return grantRole(ctx.store, actor, { user: body.user, token: body.token, connectorId: body.connector, role: body.role });
      },
    }),
    route({
      method: 'DELETE',
      url: '/api/v1/role-bindings/:id',
      summary: 'Revoke a role binding',
      tag: 'access',
      access: 'owner',
      params: z.object({ id: z.string() }),
      connector: { from: async ({ params }) => (await ctx.store.getRoleBinding(params.id))?.connectorId, connectorOwner: true },
      responses: { 204: null, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody },
      handler: async ({ params, actor, reply }) => {
        if (!(await revokeRole(ctx.store, actor, params.id))) throw new HttpError(404, 'not_found', `no role binding "${params.id}"`);
        reply.code(204);
      },
    }),
    route({
      method: 'PUT',
      url: '/api/v1/role-bindings/global',
      summary: 'Set the global role of a user or an API token; null leaves it only the roles of its bindings',
      tag: 'access',
      access: 'owner',
      body: z.object({ ...SubjectRef, role: RoleSchema.nullable() }).refine(oneSubject, { message: 'give either user or token' }),
      responses: { 200: z.object({ subject: z.string(), role: RoleSchema.nullable() }), 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody },
      handler: async ({ body, actor }) => {
        await subjectExists(ctx, body);
        return setGlobalRole(ctx.store, actor, body);
      },
    }),
  ];
}
