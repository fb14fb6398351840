import { z } from 'zod';
import { connectorView, onboardCluster, preflightConnector, recordSyncFailure, removeConnector, syncConnector } from '../../app/connectors.js';
import type { SecretBox } from '../../app/secrets.js';
import { PalisadeError } from '../../model/errors.js';
import type { ConnectorRow } from '../../storage/store.js';
import { ErrorBody, HttpError, route, type ApiContext } from '../route.js';

const ConnectorOut = z
  .object({
    id: z.string(),
    kind: z.string(),
    name: z.string(),
    config: z.record(z.string(), z.unknown()).describe('Non-secret settings: context, server, scope, last preflight and sync'),
    hasCredentials: z.boolean().describe('Whether encrypted credentials are stored; they are never returned'),
    lastSync: z
      .object({ at: z.string(), ok: z.boolean(), error: z.string().optional(), lastSuccessAt: z.string().optional().describe('The latest sync that worked') })
      .nullable()
      .describe('The latest sync, on demand or scheduled (null before the first); a failed one carries its error'),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Connector' });

const Permission = z.object({ kind: z.string(), group: z.string(), resource: z.string(), verb: z.string(), namespace: z.string().optional(), feature: z.string(), allowed: z.boolean(), allowedByRules: z.boolean() });

const Preflight = z
  .object({
    ok: z.boolean(),
    context: z.string(),
    server: z.string(),
    features: z.array(z.string()),
    checks: z.number().int().describe('Permissions asked about'),
    missing: z.array(Permission).describe('Each refused verb and resource'),
    rulesIncomplete: z.boolean(),
    grant: z.string().describe('The minimal read-only ClusterRole and ClusterRoleBinding (YAML) to apply'),
    extraGrants: z.array(z.object({ features: z.array(z.string()), note: z.string(), yaml: z.string() })),
  })
  .meta({ id: 'Preflight' });

const Refused = z
  .object({ error: z.literal('missing_permissions'), message: z.string(), preflight: Preflight })
  .meta({ id: 'OnboardingRefused' });

const Scope = z.object({
  namespaces: z.array(z.string().min(1)).optional().describe('Only these namespaces'),
  excludeNamespaces: z.array(z.string().min(1)).optional().describe('Names or globs, e.g. `kube-*`'),
  excludeLabels: z.array(z.string().min(1)).optional().describe('`key=value` or `key`'),
  features: z.array(z.enum(['secrets-metadata', 'configmap-data', 'secret-data'])).optional(),
});

const NewConnector = z
  .object({
    kind: z.literal('cluster'),
    name: z.string().min(1).max(200).regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, dot, dash and underscore'),
    kubeconfig: z.string().min(1).max(512 * 1024).optional().describe('kubeconfig content; stored encrypted, never returned'),
    context: z.string().min(1).optional().describe('Context of the kubeconfig (default: its current context)'),
    inCluster: z.boolean().optional().describe("Use the server's own service account"),
    scope: Scope.optional(),
  })
  .refine((b) => Boolean(b.kubeconfig) !== (b.inCluster === true), { message: 'give either kubeconfig or inCluster: true' });

const SyncOut = z
  .object({
    connectorId: z.string(),
    at: z.string(),
    resources: z.number().int(),
    assets: z.number().int(),
    relations: z.number().int(),
    findings: z.number().int(),
    exempted: z.number().int().describe('Findings an active exemption covers (not stored)'),
    resolved: z.number().int(),
    score: z.number(),
    errors: z.array(z.object({ code: z.string(), file: z.string(), message: z.string() })),
  })
  .meta({ id: 'SyncResult' });

const IdParams = z.object({ id: z.string() });

function toPreflight(p: Awaited<ReturnType<typeof preflightConnector>>): z.infer<typeof Preflight> {
  return { ok: p.ok, context: p.context, server: p.server, features: p.features, checks: p.checks.length, missing: p.missing, rulesIncomplete: p.rulesIncomplete, grant: p.grant, extraGrants: p.extraGrants };
}

/** A cluster that cannot be reached or a kubeconfig that cannot be read is the caller's to fix: 422, with the reason. */
async function clusterCall<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof PalisadeError && e.code.startsWith('E_CLUSTER')) throw new HttpError(e.code === 'E_CLUSTER_CONFIG' ? 422 : 502, e.code === 'E_CLUSTER_CONFIG' ? 'bad_kubeconfig' : 'cluster_unreachable', e.message);
    throw e;
  }
}

function boxOf(ctx: ApiContext): SecretBox {
  if (!ctx.secrets) throw new HttpError(503, 'no_secret_key', 'the server has no secret key for connector credentials: set PALISADE_SECRET_KEY or start it with a data directory');
  return ctx.secrets;
}

async function found(ctx: ApiContext, id: string): Promise<ConnectorRow> {
  const c = await ctx.store.getConnector(id);
  if (!c) throw new HttpError(404, 'not_found', `no connector "${id}"`);
  return c;
}

/** Connectors: onboarding with a permission preflight, on-demand sync; credentials go in, never out. */
export function connectorRoutes(ctx: ApiContext) {
  return [
    route({
      method: 'GET',
      url: '/api/v1/connectors',
      summary: 'List connectors',
      tag: 'connectors',
      access: 'reader',
      responses: { 200: z.object({ items: z.array(ConnectorOut) }), 401: ErrorBody },
      handler: async () => ({ items: (await ctx.store.listConnectors()).map(connectorView) }),
    }),
    route({
      method: 'GET',
      url: '/api/v1/connectors/:id',
      summary: 'A connector (without its credentials)',
      tag: 'connectors',
      access: 'reader',
      params: IdParams,
      responses: { 200: ConnectorOut, 401: ErrorBody, 404: ErrorBody },
      handler: async ({ params }) => connectorView(await found(ctx, params.id)),
    }),
    route({
      method: 'POST',
      url: '/api/v1/connectors',
      summary: 'Onboard a cluster: the permission preflight runs first, and a connector missing a required permission is not saved unless force=true',
      tag: 'connectors',
      access: 'contributor',
      query: z.object({ force: z.enum(['true', 'false']).optional().describe('Save even when the preflight finds missing permissions') }),
      body: NewConnector,
      responses: { 201: z.object({ connector: ConnectorOut, preflight: Preflight }), 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 409: ErrorBody, 422: Refused, 502: ErrorBody },
      handler: async ({ body, query, actor, reply }) => {
        const box = boxOf(ctx);
        if ((await ctx.store.listConnectors()).some((c) => c.name === body.name)) throw new HttpError(409, 'conflict', `a connector named "${body.name}" already exists`);
        const r = await clusterCall(() => onboardCluster(ctx.store, box, actor, body, { force: query.force === 'true' }));
        if (!r.saved) {
          reply.code(422);
          const n = r.preflight.missing.length;
          return {
            error: 'missing_permissions' as const,
            message: `the credentials lack ${n} required permission${n === 1 ? '' : 's'}; apply the grant in preflight.grant (kubectl apply -f -) and try again, or add ?force=true to save anyway`,
            preflight: toPreflight(r.preflight),
          };
        }
        return { connector: r.connector, preflight: toPreflight(r.preflight) };
      },
    }),
    route({
      method: 'DELETE',
      url: '/api/v1/connectors/:id',
      summary: 'Delete a connector with its inventory and findings',
      tag: 'connectors',
      access: 'contributor',
      params: IdParams,
      responses: { 204: null, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody },
      handler: async ({ params, actor, reply }) => {
        if (!(await removeConnector(ctx.store, actor, params.id))) throw new HttpError(404, 'not_found', `no connector "${params.id}"`);
        reply.code(204);
      },
    }),
    route({
      method: 'POST',
      url: '/api/v1/connectors/:id/preflight',
      summary: "Check the connector's permissions again",
      tag: 'connectors',
      access: 'contributor',
      params: IdParams,
      responses: { 200: Preflight, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 422: ErrorBody, 502: ErrorBody },
      handler: async ({ params, actor }) => {
        const c = await found(ctx, params.id);
        return toPreflight(await clusterCall(() => preflightConnector(ctx.store, boxOf(ctx), actor, c)));
      },
    }),
    route({
      method: 'POST',
      url: '/api/v1/connectors/:id/sync',
      summary: 'Read the cluster now: inventory, posture assessment, findings and secure score',
      tag: 'connectors',
      access: 'contributor',
      params: IdParams,
      responses: { 200: SyncOut, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 422: ErrorBody, 502: ErrorBody },
      handler: async ({ params, actor }) => {
        const c = await found(ctx, params.id);
        const box = boxOf(ctx);
        return clusterCall(async () => {
          try {
            return await syncConnector(ctx.store, box, actor, c);
          } catch (e) {
            await recordSyncFailure(ctx.store, c.id, e instanceof Error ? e.message : String(e));
            throw e;
          }
        });
      },
    }),
  ];
}
