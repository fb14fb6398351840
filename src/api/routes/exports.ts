import { Readable } from 'node:stream';
import { z } from 'zod';
import { alertsCsv, findingsCsv, vulnerabilitiesCsv } from '../../app/exports.js';
import { SEVERITIES } from '../../model/severity.js';
import { ErrorBody, route, type ApiContext } from '../route.js';
import type { FastifyReply } from 'fastify';
import { ScopeQuery, scopeOf, scopeRef } from '../scope-query.js';
import { AlertFilters } from './alerts.js';
import { VulnerabilityFilters, vulnerabilityFilters } from './vulnerabilities.js';

const Csv = z.instanceof(Readable).describe('RFC 4180 CSV with a header row; cells a spreadsheet would evaluate start with an apostrophe');

/** Sends CSV text chunks as a download named `<name>-<date>.csv`, streamed as they are produced. */
function download(reply: FastifyReply, name: string, chunks: AsyncIterable<string>): Readable {
  reply.header('content-type', 'text/csv; charset=utf-8');
  reply.header('content-disposition', `attachment; filename="${name}-${new Date().toISOString().slice(0, 10)}.csv"`);
  reply.header('cache-control', 'no-store');
  return Readable.from(chunks);
}

/** CSV exports of findings, vulnerabilities and alerts, streamed page by page with the filters of their list endpoints. */
export function exportRoutes(ctx: ApiContext) {
  return [
    route({
      method: 'GET',
      url: '/api/v1/exports/findings.csv',
      summary: 'Open findings as CSV: one row per finding, with its asset, connector and check',
      tag: 'exports',
      access: 'reader',
      query: ScopeQuery.extend({ severity: z.enum(SEVERITIES).optional().describe('Only this severity'), check: z.string().optional().describe('Only this check id') }),
      connector: scopeRef,
      produces: 'text/csv',
      responses: { 200: Csv, 400: ErrorBody, 401: ErrorBody },
      handler: async ({ query, connectors, reply }) => download(reply, 'findings', findingsCsv(ctx.store, { ...scopeOf(query, connectors), severity: query.severity, checkId: query.check })),
    }),
    route({
      method: 'GET',
      url: '/api/v1/exports/vulnerabilities.csv',
      summary: 'Vulnerabilities of scanned images as CSV: one row per vulnerable package, most severe first (the rows view of GET /api/v1/vulnerabilities)',
      tag: 'exports',
      access: 'reader',
      query: ScopeQuery.extend(VulnerabilityFilters.shape),
      connector: scopeRef,
      produces: 'text/csv',
      responses: { 200: Csv, 400: ErrorBody, 401: ErrorBody },
      handler: async ({ query, connectors, reply }) =>
        download(
          reply,
          'vulnerabilities',
          vulnerabilitiesCsv(ctx.store, { ...scopeOf(query, connectors), ...vulnerabilityFilters(query) }),
        ),
    }),
    route({
      method: 'GET',
      url: '/api/v1/exports/alerts.csv',
      summary: 'Alerts as CSV, newest first (the filters of GET /api/v1/alerts)',
      tag: 'exports',
      access: 'reader',
      query: ScopeQuery.extend(AlertFilters.shape),
      connector: scopeRef,
      produces: 'text/csv',
      responses: { 200: Csv, 400: ErrorBody, 401: ErrorBody },
      handler: async ({ query, connectors, reply }) =>
        download(reply, 'alerts', alertsCsv(ctx.store, { ...scopeOf(query, connectors), severities: query.severity, statuses: query.status, ruleId: query.rule, since: query.since, until: query.until })),
    }),
  ];
}
