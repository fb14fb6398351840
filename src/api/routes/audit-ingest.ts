import { Counter } from 'prom-client';
import { z } from 'zod';
import { authenticateIngest } from '../../app/ingest-tokens.js';
import { WebhookRefusal } from '../../app/server-audit.js';
import { ErrorBody, HttpError, route, type ApiContext } from '../route.js';

const IngestAnswer = z
  .object({
    accepted: z.number().int().describe('Events stored now'),
    duplicates: z.number().int().describe('Events already stored (same audit ID and stage): a batch sent again'),
    rejected: z.record(z.string(), z.number().int()).describe('Events of the batch refused, by reason (event-too-large, malformed-event, wrong-kind)'),
  })
  .meta({ id: 'AuditIngestResult' });

/**
 * The audit webhook of kube-apiserver (`--audit-webhook-config-file`), per connector. It authenticates with the
 * connector's ingest token, not a user, so it is `public` to the user roles and checks the token itself.
 */
export function auditIngestRoutes(ctx: ApiContext) {
  const audit = ctx.audit;
  if (audit && ctx.metrics) {
    // Read from the pipeline's counters at scrape time, so the figures are those of the log and of shutdown.
    new Counter({
      name: 'palisade_audit_events_total',
      help: 'Audit events received by the webhook: stored, duplicates (sent again), processed by the rules.',
      labelNames: ['result'] as const,
      registers: [ctx.metrics],
      collect() {
        this.reset();
        this.inc({ result: 'stored' }, audit.stats.accepted);
        this.inc({ result: 'duplicate' }, audit.stats.duplicates);
        this.inc({ result: 'processed' }, audit.stats.processed);
      },
    });
    new Counter({
      name: 'palisade_audit_refused_total',
      help: 'Audit webhook requests and events refused, by reason.',
      labelNames: ['reason'] as const,
      registers: [ctx.metrics],
      collect() {
        this.reset();
        for (const [reason, n] of Object.entries(audit.stats.rejected)) this.inc({ reason }, n ?? 0);
      },
    });
  }
  return [
    route({
      method: 'POST',
      url: '/api/v1/audit/connectors/:connectorId/events',
      summary:
        "Receive an audit.k8s.io/v1 EventList from kube-apiserver's webhook backend, authenticated by an ingest token of the connector (Authorization: Bearer pai_...); answered 200 only once the events are committed",
      tag: 'audit',
      access: 'public',
      rawBody: true,
      params: z.object({ connectorId: z.string() }),
      responses: { 200: IngestAnswer, 400: ErrorBody, 401: ErrorBody, 410: ErrorBody, 413: ErrorBody, 503: ErrorBody },
      handler: async ({ params, request, reply }) => {
        const refuse = (e: WebhookRefusal, count = true): never => {
          if (count) audit?.count(e.reason);
          request.log.warn({ connectorId: params.connectorId, reason: e.reason }, `audit ingest refused: ${e.message}`);
          // An oversized body is not read to its end: close the connection rather than drain it.
          if (e.status === 413) reply.header('connection', 'close');
          throw new HttpError(e.status, e.reason, e.message);
        };
        const bearer = request.headers.authorization?.match(/^Bearer\s+(\S+)\s*$/i)?.[1];
        const auth = await authenticateIngest(ctx.store, bearer, params.connectorId);
        if (!auth.ok) {
          if (auth.status === 401) refuse(new WebhookRefusal(401, 'unauthorized', auth.message));
          request.log.warn({ connectorId: params.connectorId }, `audit ingest refused: ${auth.message}`);
          throw new HttpError(410, auth.error, auth.message);
        }
        if (!audit) throw new HttpError(503, 'unavailable', 'this server does not take audit events');
        let batch;
        try {
          batch = await audit.readBatch(request.raw, params.connectorId, `ingest-token:${auth.token.prefix}`, (line) => request.log.warn({ connectorId: params.connectorId }, line));
        } catch (e) {
          if (e instanceof WebhookRefusal) refuse(e, false);
          throw e;
        }
        const stored = await audit.ingest(params.connectorId, batch).catch((e: unknown) => refuse(new WebhookRefusal(503, 'commit-failed', `batch of ${batch.events.length} events not stored: ${(e as Error).message}`)));
        await ctx.store.touchIngestToken(auth.token.id, new Date().toISOString()).catch(() => undefined);
        return { accepted: stored.accepted, duplicates: stored.duplicates, rejected: batch.rejected };
      },
    }),
  ];
}
