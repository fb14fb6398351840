import { z } from 'zod';
import type { VulnerabilityQuery } from '../../storage/store.js';
import { ErrorBody, HttpError, route, type ApiContext } from '../route.js';

const SeverityIn = z.enum(['critical', 'high', 'medium', 'low', 'info']);

const Reference = z.object({
  reference: z.string().describe('As a pod or a registry names the image'),
  digest: z.string().nullable(),
  status: z.enum(['pending', 'ok', 'error']),
  errorCode: z.string().nullable(),
  error: z.string().nullable().describe('Why the latest scan failed and what to do (an unreachable registry, refused credentials)'),
  attemptedAt: z.string(),
  succeededAt: z.string().nullable(),
});

const ImageOut = z
  .object({
    image: z.string().describe('The manifest digest, or the reference when it never resolved to one'),
    digest: z.string().nullable(),
    references: z.array(Reference),
    workloads: z.number().int().describe('Workloads and pods that run it'),
    running: z.boolean(),
    exposed: z.boolean().describe('A workload that runs it is behind a LoadBalancer or NodePort Service, or an Ingress'),
    counts: z.object({ critical: z.number().int(), high: z.number().int(), medium: z.number().int(), low: z.number().int(), info: z.number().int() }),
    total: z.number().int(),
    fixable: z.number().int(),
    packageCount: z.number().int().nullable(),
    scannedAt: z.string().nullable(),
    matchedAt: z.string().nullable().describe('When its packages were last matched against the vulnerability database'),
  })
  .meta({ id: 'VulnerableImage' });

const CveOut = z
  .object({
    vulnId: z.string(),
    severity: z.string(),
    title: z.string().nullable(),
    images: z.number().int(),
    runningImages: z.number().int(),
    exposedImages: z.number().int(),
    packages: z.array(z.string()),
    fixedVersions: z.array(z.string()),
  })
  .meta({ id: 'VulnerabilitySummary' });

const RowOut = z
  .object({
    digest: z.string(),
    vulnId: z.string(),
    package: z.string(),
    installedVersion: z.string(),
    packagePath: z.string(),
    ecosystem: z.string(),
    fixedVersion: z.string().nullable(),
    status: z.string(),
    severity: z.string(),
    title: z.string().nullable(),
    aliases: z.array(z.string()),
    primaryUrl: z.string().nullable(),
    layer: z.object({ digest: z.string(), index: z.number().int(), createdBy: z.string().nullable() }).nullable().describe('The layer that added the package'),
  })
  .meta({ id: 'ImageVulnerability' });

const bool = z.enum(['true', 'false']).optional();

/** The filters of the vulnerability views, shared with their CSV export. */
export const VulnerabilityFilters = z.object({
  image: z.string().max(1000).optional().describe('A digest or a reference'),
  cve: z.string().max(200).optional().describe('A vulnerability id'),
  severity: SeverityIn.optional().describe('At least this severity'),
  running: bool.describe('Only images some workload runs'),
  exposed: bool.describe('Only images an exposed workload runs'),
  fixable: bool.describe('Only vulnerabilities with a fixed version'),
});

/** {@link VulnerabilityFilters} as the store's query fields. */
export function vulnerabilityFilters(q: z.infer<typeof VulnerabilityFilters>): Pick<VulnerabilityQuery, 'image' | 'vulnId' | 'severity' | 'running' | 'exposed' | 'fixable'> {
  return { image: q.image, vulnId: q.cve, severity: q.severity, running: q.running === 'true', exposed: q.exposed === 'true', fixable: q.fixable === 'true' };
}

/** Vulnerabilities of scanned images, by image, by vulnerability or as single rows; running and exposed images first. */
export function vulnerabilityRoutes(ctx: ApiContext) {
  return [
    route({
      method: 'GET',
      url: '/api/v1/vulnerabilities',
      summary: 'Vulnerabilities of scanned images: by image (default), by vulnerability (view=cve) or one row per package (view=rows); images that run exposed outside the cluster first, then running ones',
      tag: 'vulnerabilities',
      access: 'reader',
      connector: { from: 'query.connector', list: true },
      query: VulnerabilityFilters.extend({
        view: z.enum(['image', 'cve', 'rows']).optional(),
        connector: z.string().optional().describe('Images that assets of this connector name'),
        limit: z.coerce.number().int().min(1).max(1000).optional(),
        cursor: z.string().regex(/^\d+$/, 'the next of the previous page').optional(),
      }),
      responses: {
        200: z.union([
          z.object({ view: z.literal('image'), items: z.array(ImageOut), next: z.string().optional() }),
          z.object({ view: z.literal('cve'), items: z.array(CveOut), next: z.string().optional() }),
          z.object({ view: z.literal('rows'), items: z.array(RowOut), next: z.string().optional() }),
        ]),
        400: ErrorBody,
        401: ErrorBody,
      },
      handler: async ({ query, connectors }) => {
        const q: VulnerabilityQuery = {
          ...vulnerabilityFilters(query),
          connectorIds: connectors,
          connectorId: query.connector,
          limit: query.limit,
          cursor: query.cursor,
        };
        if (query.view === 'cve') return { view: 'cve' as const, ...(await ctx.store.summarizeVulnerabilities(q)) };
        if (query.view === 'rows') return { view: 'rows' as const, ...(await ctx.store.listImageVulnerabilities(q)) };
        return { view: 'image' as const, ...(await ctx.store.listVulnerableImages(q)) };
      },
    }),
    route({
      method: 'GET',
      url: '/api/v1/vulnerabilities/images/:digest',
      summary: 'One scanned image: OS, platform, package count, references (with the error of a failed scan) and its vulnerabilities',
      tag: 'vulnerabilities',
      access: 'reader',
      params: z.object({ digest: z.string() }),
      responses: {
        200: ImageOut.extend({ os: z.unknown(), platform: z.string().nullable(), vulnerabilities: z.array(RowOut) }),
        401: ErrorBody,
        404: ErrorBody,
      },
      handler: async ({ params }) => {
        const [img] = (await ctx.store.listVulnerableImages({ image: params.digest, limit: 1 })).items;
        if (!img) throw new HttpError(404, 'not_found', `no scanned image "${params.digest}"`);
        const scan = img.digest ? await ctx.store.getImageScan(img.digest) : undefined;
        const vulnerabilities = img.digest ? (await ctx.store.listImageVulnerabilities({ image: img.digest, limit: 1000 })).items : [];
        return { ...img, os: scan?.os ?? null, platform: scan?.platform ?? null, vulnerabilities };
      },
    }),
  ];
}
