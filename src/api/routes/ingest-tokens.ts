import { z } from 'zod';
import { createIngestTokenFor, publicIngestToken, findIngestToken, revokeIngestTokenFor } from '../../app/ingest-tokens.js';
import { ErrorBody, HttpError, route, type ApiContext } from '../route.js';

const IngestTokenOut = z
  .object({
    id: z.string(),
    connectorId: z.string(),
    name: z.string(),
    prefix: z.string().describe('The first 12 characters of the token'),
    createdBy: z.string(),
    createdAt: z.string(),
    revokedAt: z.string().nullable(),
    lastUsedAt: z.string().nullable().describe('The latest batch accepted with it'),
  })
  .meta({ id: 'IngestToken' });

/** Ingest tokens: what kube-apiserver's audit webhook of a connector authenticates with. Owners manage them. */
export function ingestTokenRoutes(ctx: ApiContext) {
  return [
    route({
      method: 'GET',
      url: '/api/v1/ingest-tokens',
      summary: 'List audit ingest tokens',
      tag: 'audit',
      access: 'owner',
      query: z.object({ connector: z.string().optional().describe('Connector id'), includeRevoked: z.enum(['true', 'false']).optional() }),
      responses: { 200: z.object({ items: z.array(IngestTokenOut) }), 401: ErrorBody, 403: ErrorBody },
      // An Owner of single connectors sees the tokens of those connectors.
      connector: { from: 'query.connector', list: true, connectorOwner: true },
      handler: async ({ query, connectors }) => {
        const rows = await ctx.store.listIngestTokens({ connectorId: query.connector, includeRevoked: query.includeRevoked === 'true' });
        return { items: (connectors ? rows.filter((t) => connectors.includes(t.connectorId)) : rows).map(publicIngestToken) };
      },
    }),
    route({
      method: 'POST',
      url: '/api/v1/ingest-tokens',
      summary: "Create an audit ingest token for a connector; the token is in this answer only (put it in the webhook kubeconfig's token:)",
      tag: 'audit',
      access: 'owner',
      body: z.object({ connectorId: z.string().min(1), name: z.string().min(1).max(100) }),
      connector: { from: 'body.connectorId', connectorOwner: true },
      responses: { 201: z.object({ token: z.string(), info: IngestTokenOut, url: z.string().describe('Where the webhook posts, relative to this server') }), 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody },
      handler: async ({ body, actor }) => {
        const created = await createIngestTokenFor(ctx.store, actor, body);
        if (!created) throw new HttpError(404, 'not_found', `no connector "${body.connectorId}"`);
        return { ...created, url: `/api/v1/audit/connectors/${created.info.connectorId}/events` };
      },
    }),
    route({
      method: 'DELETE',
      url: '/api/v1/ingest-tokens/:id',
      summary: 'Revoke an audit ingest token (by id or prefix); ingest with it then answers 410 Gone',
      tag: 'audit',
      access: 'owner',
      params: z.object({ id: z.string() }),
      responses: { 204: null, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody },
      connector: { from: async ({ params }) => (await findIngestToken(ctx.store, params.id))?.connectorId, connectorOwner: true },
      handler: async ({ params, actor, reply }) => {
        if (!(await revokeIngestTokenFor(ctx.store, actor, params.id))) throw new HttpError(404, 'not_found', `no active ingest token "${params.id}"`);
        reply.code(204);
      },
    }),
  ];
}
