import { z } from 'zod';
import {
  executeOffboarding,
  getOffboardingReport,
  listInactiveConnectors,
  OFFBOARDING_STEPS,
  offboardingReport,
  OffboardingError,
  planOffboarding,
  purgeOffboardedConnector,
  type OffboardingEnv,
  type OffboardingProblem,
} from '../../app/offboarding.js';
import { ErrorBody, HttpError, route, type ApiContext } from '../route.js';

const Counts = z.record(z.string(), z.number().int());
const IdList = z.object({ count: z.number().int(), ids: z.array(z.string()), truncated: z.boolean().optional().describe('More than the ids listed; the bundle holds every row') });

const Activity = z
  .object({
    connector: z.object({ id: z.string(), name: z.string(), kind: z.string(), createdAt: z.string() }),
    lastActivityAt: z.string().nullable().describe('Newest sign of life: a sync that worked, an asset seen, an audit event or an ingest token used'),
    sources: z.object({ lastSyncSuccess: z.string().nullable(), lastSyncAttempt: z.string().nullable(), lastAssetSeen: z.string().nullable(), lastEventAt: z.string().nullable(), lastIngestAt: z.string().nullable() }),
    idleDays: z.number().int(),
    inactive: z.boolean(),
    thresholdDays: z.number(),
  })
  .meta({ id: 'ConnectorActivity' });

const AccessRemoval = z
  .object({
    kind: z.string(),
    subject: z.object({ kind: z.enum(['ServiceAccount', 'User']), name: z.string(), namespace: z.string().optional(), from: z.enum(['token', 'certificate', 'default', 'in-cluster']) }).optional(),
    commands: z.array(z.string()).describe('Shell commands that remove the access, in order'),
    yaml: z.string().optional().describe('The objects to delete (`kubectl delete -f - --ignore-not-found`)'),
    notes: z.array(z.string()),
  })
  .meta({ id: 'AccessRemoval' });

const SchedulerActivity = z.object({ scheduled: z.boolean(), running: z.boolean(), watching: z.boolean() });

const Plan = z
  .object({
    connector: z.object({ id: z.string(), name: z.string(), kind: z.string(), hasCredentials: z.boolean(), createdAt: z.string() }),
    identify: Activity,
    dependencies: z.object({
      schedule: z.object({ monitored: z.boolean(), thisProcess: z.array(SchedulerActivity), note: z.string() }),
      exemptions: IdList,
      notificationRules: z.object({ alertSuppressions: IdList, sinks: z.string() }),
      alerts: IdList.extend({ open: z.number().int() }),
      ingestTokens: IdList.extend({ active: z.number().int() }),
      roleBindings: IdList,
      findings: z.number().int(),
      assets: z.number().int(),
      relations: z.number().int(),
      scores: z.number().int(),
      auditEvents: z.number().int(),
      detectorState: z.number().int(),
    }),
    counts: Counts.describe('Rows the store keeps about the connector, per kind'),
    changes: z.array(z.object({ step: z.enum(OFFBOARDING_STEPS), action: z.string(), ids: z.array(z.string()).optional() })),
    bundleDir: z.string().nullable(),
    accessRemoval: AccessRemoval,
    purge: z.object({ retentionDays: z.number(), at: z.string(), removes: Counts, keeps: z.array(z.string()) }),
  })
  .meta({ id: 'OffboardingPlan' });

const BundleFile = z.object({ kind: z.string(), file: z.string(), rows: z.number().int(), bytes: z.number().int(), sha256: z.string() });

const Report = z
  .object({
    connector: z.object({ id: z.string(), name: z.string(), kind: z.string() }),
    state: z.enum(['running', 'offboarded', 'purged']),
    reason: z.string(),
    requestedBy: z.string(),
    startedAt: z.string(),
    updatedAt: z.string(),
    monitoringStoppedAt: z.string().nullable(),
    offboardedAt: z.string().nullable(),
    offboardedBy: z.string().nullable(),
    purgeAfter: z.string().nullable(),
    purgedAt: z.string().nullable(),
    complete: z.boolean().describe('Every step is done (the purge may still be scheduled)'),
    steps: z.array(
      z.object({
        step: z.enum(OFFBOARDING_STEPS),
        number: z.number().int(),
        title: z.string(),
        status: z.enum(['pending', 'done', 'failed', 'scheduled']),
        at: z.string().optional(),
        by: z.string().optional(),
        result: z.unknown().optional(),
        error: z.string().optional(),
      }),
    ),
    plan: Plan.optional(),
    bundle: z.object({ dir: z.string(), createdAt: z.string(), files: z.array(BundleFile), rows: z.number().int(), manifestSha256: z.string() }).optional(),
    accessRemoval: AccessRemoval.optional(),
    validation: z.object({ ok: z.boolean(), at: z.string(), checks: z.array(z.object({ name: z.string(), ok: z.boolean(), detail: z.string() })) }).optional(),
    purge: z
      .object({
        at: z.string(),
        by: z.string(),
        removed: Counts,
        remaining: Counts,
        images: z.object({ references: z.number().int(), scans: z.number().int() }).optional().describe('Image references and scans no connector claimed any more, forgotten with this one'),
        verified: z.boolean(),
      })
      .optional(),
  })
  .meta({ id: 'OffboardingReport' });

const IdParams = z.object({ id: z.string() });
const Days = z.coerce.number().int().min(0).max(3650);

const STATUS: Record<OffboardingProblem, number> = { not_found: 404, active: 409, in_progress: 409, not_offboarded: 409, bad_request: 400, no_data_dir: 503, step_failed: 409 };

/** Runs an offboarding call, turning its expected refusals into HTTP answers. */
async function answer<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof OffboardingError) throw new HttpError(STATUS[e.problem], e.problem === 'step_failed' ? 'offboarding_step_failed' : e.problem, e.message);
    throw e;
  }
}

/** Offboarding of connectors: inactive ones, the dry-run plan, the resumable execution, its report and the purge. Owner only. */
export function offboardingRoutes(ctx: ApiContext) {
  const env = (): OffboardingEnv => ({ ...ctx.offboarding, store: ctx.store, secrets: ctx.secrets });
  const connector = { from: 'params.id', connectorOwner: true } as const;
  return [
    route({
      method: 'GET',
      url: '/api/v1/offboarding/inactive',
      summary: 'Connectors with no data or heartbeat (sync, assets, audit events, ingest) for a number of days',
      tag: 'offboarding',
      access: 'owner',
      query: z.object({ days: Days.optional().describe('Inactivity period in days (default: the server\'s, 30)') }),
      responses: { 200: z.object({ days: z.number(), items: z.array(Activity) }), 400: ErrorBody, 401: ErrorBody, 403: ErrorBody },
      handler: async ({ query }) => {
        const days = query.days ?? ctx.offboarding?.inactiveDays ?? 30;
        return { days, items: await listInactiveConnectors(env(), days) };
      },
    }),
    route({
      method: 'GET',
      url: '/api/v1/offboarding',
      summary: 'Offboardings: running, offboarded (purge scheduled) and purged',
      tag: 'offboarding',
      access: 'owner',
      responses: { 200: z.object({ items: z.array(Report.omit({ plan: true, bundle: true, accessRemoval: true, validation: true, purge: true, steps: true })) }), 401: ErrorBody, 403: ErrorBody },
      handler: async () => ({
        items: (await ctx.store.listOffboardings()).map((o) => {
          const { plan: _p, bundle: _b, accessRemoval: _a, validation: _v, purge: _u, steps: _s, ...rest } = offboardingReport(o);
          return rest;
        }),
      }),
    }),
    route({
      method: 'GET',
      url: '/api/v1/connectors/:id/offboarding/plan',
      summary: 'The dry run: every change offboarding would make (counts and ids), and what to remove in the cluster; changes nothing',
      tag: 'offboarding',
      access: 'owner',
      params: IdParams,
      query: z.object({ purgeNow: z.enum(['true', 'false']).optional(), retentionDays: Days.optional() }),
      connector,
      responses: { 200: Plan, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody },
      handler: async ({ params, query }) => answer(() => planOffboarding(env(), params.id, { purgeNow: query.purgeNow === 'true', retentionDays: query.retentionDays })),
    }),
    route({
      method: 'POST',
      url: '/api/v1/connectors/:id/offboarding',
      summary: 'Offboard the connector, or resume its offboarding where it stopped (idempotent: a finished one answers its report)',
      tag: 'offboarding',
      access: 'owner',
      params: IdParams,
      body: z.object({
        reason: z.string().min(1).max(2000).describe('Why; kept with the record'),
        purgeNow: z.boolean().optional().describe('Purge the data at the end instead of after the retention period'),
        retentionDays: z.number().int().min(0).max(3650).optional().describe('Days before the purge (default 30)'),
        force: z.boolean().optional().describe('Offboard a connector that is not inactive'),
        bundleDir: z.string().min(1).optional().describe('Absolute path of a new folder on the server for the export bundle (default under the data directory)'),
      }),
      connector,
      responses: { 200: Report, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody, 503: ErrorBody },
      handler: async ({ params, body, actor }) => answer(() => executeOffboarding(env(), params.id, actor, body)),
    }),
    route({
      method: 'GET',
      url: '/api/v1/connectors/:id/offboarding',
      summary: 'The report of the connector\'s offboarding: every step, the plan, the bundle, the access to remove, the validation and the purge',
      tag: 'offboarding',
      access: 'owner',
      params: IdParams,
      connector: { ...connector, from: async ({ params }) => (await ctx.store.getOffboarding((params as { id: string }).id))?.connectorId },
      responses: { 200: Report, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody },
      handler: async ({ params }) => {
        const r = await getOffboardingReport(env(), params.id);
        if (!r) throw new HttpError(404, 'not_found', `connector "${params.id}" has no offboarding`);
        return r;
      },
    }),
    route({
      method: 'POST',
      url: '/api/v1/connectors/:id/offboarding/purge',
      summary: 'Purge the data of an offboarded connector now, before its retention period ends; audited and verified',
      tag: 'offboarding',
      access: 'owner',
      params: IdParams,
      connector: { ...connector, from: async ({ params }) => (await ctx.store.getOffboarding((params as { id: string }).id))?.connectorId },
      responses: { 200: Report, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody },
      handler: async ({ params, actor }) => answer(() => purgeOffboardedConnector(env(), params.id, actor)),
    }),
  ];
}
