import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { complianceReport, postureReport } from '../../app/reports.js';
import { renderComplianceHtml } from '../../report/html-compliance.js';
import { renderPostureHtml } from '../../report/html-posture.js';
import { ErrorBody, HttpError, route, type ApiContext } from '../route.js';
import { ScopeQuery, scopeOf, scopeRef } from '../scope-query.js';

const HtmlOut = z.string().describe('A self-contained printable HTML document: inline CSS, no script, no external asset');
const PdfOut = z.instanceof(Buffer).describe('The HTML report printed as an A4 PDF, with page numbers in the footer');
/** What the reports may load: their inline styles, nothing else (every value is escaped; this is the second wall). */
const REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'";

function html(reply: FastifyReply, name: string, doc: string): string {
  reply.header('content-type', 'text/html; charset=utf-8');
  reply.header('content-security-policy', REPORT_CSP);
  reply.header('x-content-type-options', 'nosniff');
  reply.header('content-disposition', `inline; filename="${name}.html"`);
  reply.header('cache-control', 'no-store');
  return doc;
}

/** Prints the document, or answers 503 naming PALISADE_CHROMIUM when there is no browser to print with. */
async function pdf(ctx: ApiContext, reply: FastifyReply, name: string, doc: string, title: string): Promise<Buffer> {
  const r = ctx.pdf ? await ctx.pdf.render(doc, { title }) : { ok: false as const, message: 'this server prints no PDF (no renderer configured); set PALISADE_CHROMIUM to a Chromium executable' };
  if (!r.ok) throw new HttpError(503, 'pdf_unavailable', `${r.message}; the HTML report is at the same URL ending in .html`);
  reply.header('content-type', 'application/pdf');
  reply.header('content-disposition', `inline; filename="${name}.pdf"`);
  reply.header('cache-control', 'no-store');
  return r.pdf;
}

/** File names carry the day and, for a framework, its id (already limited to known ids). */
const day = () => new Date().toISOString().slice(0, 10);

/** Printable reports for auditors: the posture, and the compliance with one framework, as HTML or PDF. */
export function reportRoutes(ctx: ApiContext) {
  const posture = (query: z.infer<typeof ScopeQuery>, connectors: readonly string[] | undefined) => postureReport(ctx.store, scopeOf(query, connectors));
  const compliance = async (id: string, query: z.infer<typeof ScopeQuery>, connectors: readonly string[] | undefined) => {
    const r = await complianceReport(ctx.store, scopeOf(query, connectors), id);
    if (!r) throw new HttpError(404, 'not_found', `no framework "${id}"`);
    return r;
  };
  const params = z.object({ framework: z.string().describe('A framework id, as GET /api/v1/compliance/frameworks lists them') });
  return [
    route({
      method: 'GET',
      url: '/api/v1/reports/posture.html',
      summary: 'Posture report (HTML): secure score, summary tables, top recommendations, vulnerabilities of running images, alerts by severity',
      tag: 'reports',
      access: 'reader',
      query: ScopeQuery,
      connector: scopeRef,
      produces: 'text/html',
      responses: { 200: HtmlOut, 400: ErrorBody, 401: ErrorBody },
      handler: async ({ query, connectors, reply }) => html(reply, `posture-${day()}`, renderPostureHtml(await posture(query, connectors))),
    }),
    route({
      method: 'GET',
      url: '/api/v1/reports/posture.pdf',
      summary: 'Posture report (PDF, A4, numbered pages); 503 when the server has no Chromium to print with (PALISADE_CHROMIUM)',
      tag: 'reports',
      access: 'reader',
      query: ScopeQuery,
      connector: scopeRef,
      produces: 'application/pdf',
      responses: { 200: PdfOut, 400: ErrorBody, 401: ErrorBody, 503: ErrorBody },
      handler: async ({ query, connectors, reply }) => {
        const r = await posture(query, connectors);
        return pdf(ctx, reply, `posture-${day()}`, renderPostureHtml(r), r.title);
      },
    }),
    route({
      method: 'GET',
      url: '/api/v1/reports/compliance/:framework.html',
      summary: 'Compliance report of one framework (HTML): score, summary, every control with its checks',
      tag: 'reports',
      access: 'reader',
      params,
      query: ScopeQuery,
      connector: scopeRef,
      produces: 'text/html',
      responses: { 200: HtmlOut, 400: ErrorBody, 401: ErrorBody, 404: ErrorBody },
      handler: async ({ params, query, connectors, reply }) => html(reply, `compliance-${params.framework}-${day()}`, renderComplianceHtml(await compliance(params.framework, query, connectors))),
    }),
    route({
      method: 'GET',
      url: '/api/v1/reports/compliance/:framework.pdf',
      summary: 'Compliance report of one framework (PDF, A4, numbered pages); 503 when the server has no Chromium to print with (PALISADE_CHROMIUM)',
      tag: 'reports',
      access: 'reader',
      params,
      query: ScopeQuery,
      connector: scopeRef,
      produces: 'application/pdf',
      responses: { 200: PdfOut, 400: ErrorBody, 401: ErrorBody, 404: ErrorBody, 503: ErrorBody },
      handler: async ({ params, query, connectors, reply }) => {
        const r = await compliance(params.framework, query, connectors);
        return pdf(ctx, reply, `compliance-${params.framework}-${day()}`, renderComplianceHtml(r), r.title);
      },
    }),
  ];
}
