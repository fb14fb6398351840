import { z } from 'zod';
import { complianceHistory, findFramework, frameworkCompliance } from '../../app/compliance.js';
import { SEVERITIES } from '../../model/severity.js';
import { ErrorBody, HttpError, route, type ApiContext } from '../route.js';
import { ScopeQuery, scopeOf, scopeRef } from '../scope-query.js';

const Counts = {
  passed: z.number().int().describe('Controls that pass: some check of theirs assessed assets in scope and none of those assets fails'),
  failed: z.number().int().describe('Controls with an open finding of one of their checks on an asset in scope'),
  notApplicable: z.number().int().describe('Controls whose checks found no asset of the kinds they assess'),
  manual: z.number().int().describe('Controls that map no check: they need a manual review'),
  score: z.number().nullable().describe('Passed controls in percent of those passed or failed (one decimal); null when none passed or failed'),
};

const FrameworkLine = z
  .object({ id: z.string(), name: z.string(), version: z.string().nullable(), controls: z.number().int().describe('Controls in the framework'), ...Counts })
  .meta({ id: 'ComplianceFramework' });

const CheckResult = z
  .object({
    checkId: z.string(),
    slug: z.string(),
    title: z.string(),
    severity: z.enum(SEVERITIES),
    passed: z
      .number()
      .int()
      .describe(
        'Assets in scope of the kinds the check targets without an open finding of it. Exempted findings are not stored, so their assets count here; so do objects the check skips though they are of its kinds (pods and ReplicaSets a controller owns, assessed through the controller)',
      ),
    failed: z.number().int().describe('Assets in scope with at least one open finding of the check'),
  })
  .meta({ id: 'ComplianceCheck' });

const ControlResult = z
  .object({
    id: z.string(),
    title: z.string(),
    section: z.string().optional().describe('The section of a numbered control (`5.1` for CIS `5.1.3`)'),
    status: z.enum(['pass', 'fail', 'not-applicable', 'manual']),
    checks: z.array(CheckResult),
  })
  .meta({ id: 'ComplianceControl' });

const FrameworkDetail = z
  .object({ id: z.string(), name: z.string(), version: z.string().nullable(), url: z.string().nullable(), description: z.string().nullable(), ...Counts, controls: z.array(ControlResult) })
  .meta({ id: 'ComplianceFrameworkDetail' });

const HistoryPoint = z.object({ at: z.string().describe('When the counts were taken (the newest sync counted in the point)'), ...Counts }).meta({ id: 'CompliancePoint' });

const HistoryQuery = ScopeQuery.extend({
  since: z.iso.datetime({ offset: true }).optional().describe('Points at or after this time; default: 30 days ago'),
});

/** Days of history answered without `since`. */
const DEFAULT_HISTORY_DAYS = 30;

/** Compliance per framework (content/frameworks) over the stored findings: the control rules of `palisade scan --framework`. */
export function complianceRoutes(ctx: ApiContext) {
  return [
    route({
      method: 'GET',
      url: '/api/v1/compliance/frameworks',
      summary: 'Every framework with its control counts and score, over the stored findings of every connector (or of one)',
      tag: 'compliance',
      access: 'reader',
      query: ScopeQuery,
      connector: scopeRef,
      responses: { 200: z.object({ items: z.array(FrameworkLine) }), 400: ErrorBody, 401: ErrorBody },
      handler: async ({ query, connectors }) => ({
        items: (await frameworkCompliance(ctx.store, scopeOf(query, connectors))).map(({ id, name, version, controls, passed, failed, notApplicable, manual, score }) => ({
          id,
          name,
          version,
          controls: controls.length,
          passed,
          failed,
          notApplicable,
          manual,
          score,
        })),
      }),
    }),
    route({
      method: 'GET',
      url: '/api/v1/compliance/frameworks/:id',
      summary: 'One framework: every control with its status and the checks behind it (assets failing and passing each)',
      tag: 'compliance',
      access: 'reader',
      params: z.object({ id: z.string() }),
      query: ScopeQuery,
      connector: scopeRef,
      responses: { 200: FrameworkDetail, 400: ErrorBody, 401: ErrorBody, 404: ErrorBody },
      handler: async ({ params, query, connectors }) => {
        const f = findFramework(params.id);
        if (!f) throw new HttpError(404, 'not_found', `no framework "${params.id}"`);
        return (await frameworkCompliance(ctx.store, scopeOf(query, connectors), [f]))[0]!;
      },
    }),
    route({
      method: 'GET',
      url: '/api/v1/compliance/frameworks/:id/history',
      summary:
        "A framework's control counts and score over time, oldest first: of one connector, a point per sync (the latest of each hour); over several connectors, a point per day summing each connector's latest (so counting connector and control pairs)",
      tag: 'compliance',
      access: 'reader',
      params: z.object({ id: z.string() }),
      query: HistoryQuery,
      connector: scopeRef,
      responses: { 200: z.object({ framework: z.string(), points: z.array(HistoryPoint) }), 400: ErrorBody, 401: ErrorBody, 404: ErrorBody },
      handler: async ({ params, query, connectors }) => {
        const f = findFramework(params.id);
        if (!f) throw new HttpError(404, 'not_found', `no framework "${params.id}"`);
        const since = query.since ?? new Date(Date.now() - DEFAULT_HISTORY_DAYS * 86_400_000).toISOString();
        return { framework: f.id, points: await complianceHistory(ctx.store, scopeOf(query, connectors), f.id, since) };
      },
    }),
  ];
}
