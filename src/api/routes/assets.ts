import { z } from 'zod';
import { ErrorBody, HttpError, route, type ApiContext } from '../route.js';

const AssetOut = z
  .object({
    id: z.string(),
    connectorId: z.string().nullable(),
    type: z.string().describe('`cluster`, `namespace`, `workload`, `pod`, `container`, `image`, `service-account`, `role`, `role-binding`, `service`, `ingress`, `node`, ...'),
    key: z.string().describe('`<namespace>/<Kind>/<name>` for namespaced objects, `<Kind>/<name>` otherwise, the reference for images'),
    attributes: z.record(z.string(), z.unknown()),
    firstSeen: z.string(),
    lastSeen: z.string(),
  })
  .meta({ id: 'Asset' });

const RelationOut = z
  .object({
    kind: z.string().describe('`contains`, `runs`, `exposes`, `routes-to`, `grants`, `binds`, `uses`'),
    direction: z.enum(['out', 'in']).describe('`out`: this asset is the subject (`<this> runs <other>`); `in`: the object'),
    asset: AssetOut.pick({ id: true, type: true, key: true }),
  })
  .meta({ id: 'AssetRelation' });

/** The inventory: every object the connectors found, with its relations. */
export function assetRoutes(ctx: ApiContext) {
  return [
    route({
      method: 'GET',
      url: '/api/v1/assets',
      summary: 'List assets, filtered and paged',
      tag: 'inventory',
      access: 'reader',
      connector: { from: 'query.connector', list: true },
      query: z.object({
        type: z.string().optional(),
        connector: z.string().optional().describe('Connector id'),
        namespace: z.string().optional(),
        q: z.string().max(200).optional().describe('Case-insensitive text in the key'),
        limit: z.coerce.number().int().min(1).max(1000).optional(),
        cursor: z.string().optional().describe('`next` of the previous page'),
      }),
      responses: { 200: z.object({ items: z.array(AssetOut), next: z.string().optional() }), 400: ErrorBody, 401: ErrorBody },
      handler: async ({ query, connectors }) => ctx.store.listAssets({ type: query.type, connectorId: query.connector, connectorIds: connectors, namespace: query.namespace, q: query.q, limit: query.limit, cursor: query.cursor }),
    }),
    route({
      method: 'GET',
      url: '/api/v1/assets/:id',
      summary: 'An asset with its relations and findings',
      tag: 'inventory',
      access: 'reader',
      params: z.object({ id: z.string() }),
      connector: { from: async ({ params }) => (await ctx.store.getAsset(params.id))?.connectorId },
      responses: {
        200: AssetOut.extend({
          relations: z.array(RelationOut),
          findings: z.array(z.object({ checkId: z.string(), severity: z.string(), path: z.string(), message: z.string(), firstSeen: z.string(), lastSeen: z.string() })),
        }),
        401: ErrorBody,
        404: ErrorBody,
      },
      handler: async ({ params }) => {
        const asset = await ctx.store.getAsset(params.id);
        if (!asset) throw new HttpError(404, 'not_found', `no asset "${params.id}"`);
        const relations = [];
        const links = await ctx.store.listRelations(asset.id);
        // The related assets in one query: a namespace or a cluster relates to thousands.
        const others = new Map((await ctx.store.getAssets(links.map((r) => (r.fromAsset === asset.id ? r.toAsset : r.fromAsset)))).map((a) => [a.id, a]));
        for (const r of links) {
          const out = r.fromAsset === asset.id;
          const other = others.get(out ? r.toAsset : r.fromAsset);
          if (other) relations.push({ kind: r.kind, direction: out ? ('out' as const) : ('in' as const), asset: { id: other.id, type: other.type, key: other.key } });
        }
        const findings = (await ctx.store.listFindings({ assetId: asset.id, limit: 1000 })).items.map(({ checkId, severity, path, message, firstSeen, lastSeen }) => ({ checkId, severity, path, message, firstSeen, lastSeen }));
        return { ...asset, relations, findings };
      },
    }),
  ];
}
