import { z } from 'zod';
import { createServerSuppression, removeServerSuppression, suppressionView, updateServerSuppression } from '../../app/server-alerts.js';
import { ErrorBody, HttpError, route, type ApiContext } from '../route.js';
import { numericId } from './alerts.js';

const SuppressionOut = z
  .object({
    id: z.number().int(),
    connectorId: z.string().optional().describe('Only alerts of this connector (absent: every connector)'),
    rule: z.string().optional(),
    user: z.string().optional(),
    namespace: z.string().optional(),
    resource: z.string().optional(),
    sourceIp: z.string().optional(),
    reason: z.string(),
    owner: z.string(),
    expiresAt: z.string().optional(),
    createdBy: z.string(),
    createdAt: z.string(),
    removedBy: z.string().optional(),
    removedAt: z.string().optional(),
    matchCount: z.number().int().describe('Alerts it kept from being raised'),
    lastMatchedAt: z.string().optional(),
    state: z.enum(['active', 'expired', 'stale', 'removed']).describe('stale: in force but matched nothing for 30 days (or since it was added)'),
  })
  .meta({ id: 'Suppression' });

const Time = z.iso.datetime({ offset: true });

const NewSuppression = z.object({
  connectorId: z.string().min(1).optional(),
  rule: z.string().min(1).max(200).optional().describe('Rule id or slug'),
  user: z.string().min(1).max(500).optional().describe('Username; `*` matches any characters'),
  namespace: z.string().min(1).max(500).optional().describe('`*` matches any characters'),
  resource: z.string().min(1).max(200).optional().describe('`pods` or `pods/exec`'),
  sourceIp: z.string().min(1).max(100).optional().describe('Address or CIDR range'),
  reason: z.string().min(1).max(2000),
  owner: z.string().min(1).max(200).describe('Who answers for it'),
  expiresAt: Time.optional(),
});

const suppressionId = (text: string): number => numericId(text, 'suppression');

/** Alert suppression rules: everyone reads; Contributors add, change and remove them. */
export function suppressionRoutes(ctx: ApiContext) {
  // A suppression's connector (null for a rule on every connector: a global role then); undefined when there is none.
  const connectorOfSuppression = async (text: string) => {
    if (!/^\d+$/.test(text)) return undefined;
    const s = await ctx.store.getSuppression(Number(text));
    return s ? (s.connectorId ?? null) : undefined;
  };
  return [
    route({
      method: 'GET',
      url: '/api/v1/suppressions',
      summary: 'List suppression rules with their state (active, expired, stale, removed)',
      tag: 'alerts',
      access: 'reader',
      query: z.object({
        state: z.enum(['active', 'expired', 'stale', 'removed']).optional().describe('expired or stale: those that no longer match anything'),
        connector: z.string().optional().describe("A connector's own and the global ones"),
      }),
      responses: { 200: z.object({ items: z.array(SuppressionOut) }), 400: ErrorBody, 401: ErrorBody },
      connector: { from: 'query.connector', list: true },
      handler: async ({ query, connectors }) => {
        const now = new Date();
        const rows = await ctx.store.listSuppressions({ includeRemoved: query.state === 'removed', connectorId: query.connector });
        // A caller with roles on single connectors sees the global rules and those of its connectors.
        const visible = connectors ? rows.filter((s) => s.connectorId === undefined || connectors.includes(s.connectorId)) : rows;
        return { items: visible.map((s) => suppressionView(s, now)).filter((s) => !query.state || s.state === query.state) };
      },
    }),
    route({
      method: 'GET',
      url: '/api/v1/suppressions/review',
      summary: 'Suppressions that no longer match anything: expired ones, and those unmatched for 30 days',
      tag: 'alerts',
      access: 'reader',
      responses: { 200: z.object({ expired: z.array(SuppressionOut), stale: z.array(SuppressionOut) }), 401: ErrorBody },
      handler: async () => {
        const now = new Date();
        const all = (await ctx.store.listSuppressions()).map((s) => suppressionView(s, now));
        return { expired: all.filter((s) => s.state === 'expired'), stale: all.filter((s) => s.state === 'stale') };
      },
    }),
    route({
      method: 'GET',
      url: '/api/v1/suppressions/:id',
      summary: 'A suppression rule',
      tag: 'alerts',
      access: 'reader',
      params: z.object({ id: z.string() }),
      responses: { 200: SuppressionOut, 401: ErrorBody, 404: ErrorBody },
      connector: { from: ({ params }) => connectorOfSuppression(params.id) },
      handler: async ({ params }) => {
        const s = await ctx.store.getSuppression(suppressionId(params.id));
        if (!s) throw new HttpError(404, 'not_found', `no suppression "${params.id}"`);
        return suppressionView(s);
      },
    }),
    route({
      method: 'POST',
      url: '/api/v1/suppressions',
      summary: 'Add a suppression rule: an alert matching every field given is not raised (the match is counted)',
      tag: 'alerts',
      access: 'contributor',
      body: NewSuppression,
      responses: { 201: SuppressionOut, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody },
      // A rule for one connector's alerts needs a role on it; a rule for every connector, a global role.
      connector: { from: 'body.connectorId' },
      handler: async ({ body, actor }) => suppressionView(await createServerSuppression(ctx.store, actor, body)),
    }),
    route({
      method: 'PATCH',
      url: '/api/v1/suppressions/:id',
      summary: 'Change the reason, owner or expiry of a suppression rule (expiresAt null: never expires)',
      tag: 'alerts',
      access: 'contributor',
      params: z.object({ id: z.string() }),
      body: z.object({ reason: z.string().min(1).max(2000).optional(), owner: z.string().min(1).max(200).optional(), expiresAt: Time.nullable().optional() }),
      responses: { 200: SuppressionOut, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody },
      connector: { from: ({ params }) => connectorOfSuppression(params.id) },
      handler: async ({ params, body, actor }) => {
        const s = await updateServerSuppression(ctx.store, actor, suppressionId(params.id), body);
        if (!s) throw new HttpError(404, 'not_found', `no suppression "${params.id}" in force`);
        return suppressionView(s);
      },
    }),
    route({
      method: 'DELETE',
      url: '/api/v1/suppressions/:id',
      summary: 'Remove a suppression rule (kept, marked removed, for the record)',
      tag: 'alerts',
      access: 'contributor',
      params: z.object({ id: z.string() }),
      query: z.object({ reason: z.string().max(2000).optional() }),
      responses: { 204: null, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody },
      connector: { from: ({ params }) => connectorOfSuppression(params.id) },
      handler: async ({ params, query, actor, reply }) => {
        if (!(await removeServerSuppression(ctx.store, actor, suppressionId(params.id), query.reason))) throw new HttpError(404, 'not_found', `no suppression "${params.id}" in force`);
        reply.code(204);
      },
    }),
  ];
}
