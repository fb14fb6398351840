import { z } from 'zod';
import { connectorView, monitoringStopped, onboardCluster, preflightConnector, recordSyncFailure, removeConnector, syncConnector } from '../../app/connectors.js';
import { onboardRegistry, preflightRegistry, syncRegistry } from '../../app/registry-connector.js';
import type { SecretBox } from '../../app/secrets.js';
import { PalisadeError } from '../../model/errors.js';
import type { ConnectorRow } from '../../storage/store.js';
import { ErrorBody, HttpError, route, syncLocked, type ApiContext } from '../route.js';

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
  excludeImages: z.array(z.string().min(1).max(300)).max(200).optional().describe('Running images left out of vulnerability scanning: globs on the reference, e.g. `docker.io/**`, `registry.internal/sandbox/*`'),
});

const Patterns = z.object({
  include: z.array(z.string().min(1).max(300)).max(200).optional().describe('Globs (`team/*`, `**`, `v1.*`); none: everything'),
  exclude: z.array(z.string().min(1).max(300)).max(200).optional(),
});

const NewRegistry = z
  .object({
    kind: z.literal('registry'),
    name: z.string().min(1).max(200).regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, dot, dash and underscore'),
    url: z.string().min(1).max(500).describe('`https://registry.example.com`, or `http://host:port` with plainHttp: true'),
    auth: z
      .union([z.object({ username: z.string().min(1).max(500), password: z.string().min(1).max(8192) }), z.object({ token: z.string().min(1).max(16384).describe('Sent as `Authorization: Bearer`') })])
      .optional()
      .describe('User and password (or robot account and secret), or a static token; stored encrypted, never returned'),
    ca: z.string().min(1).max(64 * 1024).optional().describe('PEM of a private certificate authority'),
    plainHttp: z.boolean().optional().describe('Allow an http:// url'),
    repositories: Patterns.optional(),
    tags: Patterns.optional(),
    rescanInterval: z.string().max(20).optional().describe('Time between scheduled syncs and rescans (default `24h`)'),
    maxTagsPerRepository: z.number().int().min(1).max(100_000).optional(),
  })
  .meta({ id: 'NewRegistryConnector' });

const RegistryPreflightOut = z
  .object({
    ok: z.boolean(),
    registry: z.string(),
    checks: z.array(z.object({ name: z.enum(['catalog', 'tags', 'pull']), ok: z.boolean(), skipped: z.boolean().optional(), detail: z.string(), fix: z.string().optional().describe('What to do') })),
    repositories: z.number().int(),
    sample: z.string().optional(),
  })
  .meta({ id: 'RegistryPreflight' });

const RegistryRefused = z.object({ error: z.literal('registry_preflight_failed'), message: z.string(), preflight: RegistryPreflightOut }).meta({ id: 'RegistryOnboardingRefused' });

const RegistrySyncOut = z
  .object({
    connectorId: z.string(),
    at: z.string(),
    repositories: z.number().int(),
    tags: z.number().int(),
    images: z.number().int(),
    queued: z.number().int().describe('Images queued for a vulnerability scan'),
    errors: z.array(z.object({ repository: z.string(), message: z.string() })),
  })
  .meta({ id: 'RegistrySyncResult' });

const NewCluster = z
  .object({
    kind: z.literal('cluster'),
    name: z.string().min(1).max(200).regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, dot, dash and underscore'),
    kubeconfig: z.string().min(1).max(512 * 1024).optional().describe('kubeconfig content; stored encrypted, never returned'),
    context: z.string().min(1).optional().describe('Context of the kubeconfig (default: its current context)'),
    inCluster: z.boolean().optional().describe("Use the server's own service account"),
    scope: Scope.optional(),
  })
  .refine((b) => Boolean(b.kubeconfig) !== (b.inCluster === true), { message: 'give either kubeconfig or inCluster: true' });

const NewConnector = z.discriminatedUnion('kind', [NewCluster, NewRegistry]);

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
      connector: { from: () => null, list: true },
      responses: { 200: z.object({ items: z.array(ConnectorOut) }), 401: ErrorBody },
      handler: async ({ connectors }) => ({ items: (await ctx.store.listConnectors()).filter((c) => !connectors || connectors.includes(c.id)).map(connectorView) }),
    }),
    route({
      method: 'GET',
      url: '/api/v1/connectors/:id',
      summary: 'A connector (without its credentials)',
      tag: 'connectors',
      access: 'reader',
      params: IdParams,
      connector: { from: 'params.id' },
      responses: { 200: ConnectorOut, 401: ErrorBody, 404: ErrorBody },
      handler: async ({ params }) => connectorView(await found(ctx, params.id)),
    }),
    route({
      method: 'POST',
      url: '/api/v1/connectors',
      summary: 'Onboard a cluster or a registry: the preflight runs first; a cluster missing a required permission is not saved unless force=true, a registry failing its catalog or pull check is not saved',
      tag: 'connectors',
      access: 'owner',
      query: z.object({
        force: z.enum(['true', 'false']).optional().describe('Save even when the preflight finds missing permissions'),
        dryRun: z.enum(['true', 'false']).optional().describe('Only run the preflight and answer it (200); nothing is saved'),
      }),
      body: NewConnector,
      responses: {
        200: z.object({ dryRun: z.literal(true), preflight: z.union([Preflight, RegistryPreflightOut]) }),
        201: z.object({ connector: ConnectorOut, preflight: z.union([Preflight, RegistryPreflightOut]) }),
        400: ErrorBody,
        401: ErrorBody,
        403: ErrorBody,
        409: ErrorBody,
        422: z.union([Refused, RegistryRefused]),
        502: ErrorBody,
      },
      handler: async ({ body, query, actor, reply }) => {
        const box = boxOf(ctx);
        if ((await ctx.store.listConnectors()).some((c) => c.name === body.name)) throw new HttpError(409, 'conflict', `a connector named "${body.name}" already exists`);
        const dryRun = query.dryRun === 'true';
        if (dryRun) {
          const preflight = body.kind === 'registry' ? (await onboardRegistry(ctx.store, box, actor, body, undefined, { dryRun })).preflight : toPreflight((await clusterCall(() => onboardCluster(ctx.store, box, actor, body, { dryRun }))).preflight);
          reply.code(200);
          return { dryRun: true as const, preflight };
        }
        if (body.kind === 'registry') {
          const r = await onboardRegistry(ctx.store, box, actor, body);
          if (r.saved) {
            reply.code(201);
            return { connector: r.connector, preflight: r.preflight };
          }
          reply.code(422);
          const failed = r.preflight.checks.filter((c) => !c.ok);
          return { error: 'registry_preflight_failed' as const, message: `the registry preflight failed: ${failed.map((c) => `${c.name}: ${c.detail}${c.fix ? ` (${c.fix})` : ''}`).join('; ')}`, preflight: r.preflight };
        }
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
        reply.code(201);
        return { connector: r.connector, preflight: toPreflight(r.preflight) };
      },
    }),
    route({
      method: 'DELETE',
      url: '/api/v1/connectors/:id',
      summary: 'Delete a connector with its inventory and findings',
      tag: 'connectors',
      access: 'owner',
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
      connector: { from: 'params.id' },
      responses: { 200: z.union([Preflight, RegistryPreflightOut]), 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 422: ErrorBody, 502: ErrorBody },
      handler: async ({ params, actor }) => {
        const c = await found(ctx, params.id);
        if (c.kind === 'registry') return preflightRegistry(ctx.store, boxOf(ctx), actor, c);
        return toPreflight(await clusterCall(() => preflightConnector(ctx.store, boxOf(ctx), actor, c)));
      },
    }),
    route({
      method: 'POST',
      url: '/api/v1/connectors/:id/sync',
      summary: 'Read the cluster now (inventory, posture assessment, findings, secure score; its running images are queued for a scan), or the registry (catalog, tags; new images queued for a scan)',
      tag: 'connectors',
      access: 'contributor',
      params: IdParams,
      connector: { from: 'params.id' },
      responses: { 200: z.union([SyncOut, RegistrySyncOut]), 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody, 422: ErrorBody, 502: ErrorBody, 503: ErrorBody },
      handler: async ({ params, actor }) => {
        const c = await found(ctx, params.id);
        if (await monitoringStopped(ctx.store, c.id)) throw new HttpError(409, 'offboarded', `connector ${c.name} is offboarded: it is no longer synced (GET /api/v1/connectors/${c.id}/offboarding)`);
        const box = boxOf(ctx);
        if (c.kind === 'registry') {
          const images = ctx.images;
          if (!images) throw new HttpError(503, 'no_image_scanning', 'image scanning is not running on this server, so a registry cannot be synced');
          try {
            return await syncRegistry(ctx.store, box, actor, c, (ref, aliases) => images.enqueue(ref, { aliases }));
          } catch (e) {
            await recordSyncFailure(ctx.store, c.id, e instanceof Error ? e.message : String(e));
            throw new HttpError(502, 'registry_unreachable', e instanceof Error ? e.message : String(e));
          }
        }
        return clusterCall(async () => {
          try {
            // The scheduler's lock: an on-demand and a scheduled sync of one connector never run at once.
            const result = await syncLocked(ctx, c.id, () => syncConnector(ctx.store, box, actor, c));
            await ctx.images?.queueRunningImages(c.id);
            return result;
          } catch (e) {
            await recordSyncFailure(ctx.store, c.id, e instanceof Error ? e.message : String(e));
            throw e;
          }
        });
      },
    }),
  ];
}
