import { z } from 'zod';
import { ErrorBody, route, type ApiContext } from '../route.js';

const AuditOut = z
  .object({
    id: z.number().int(),
    at: z.string(),
    actor: z.string(),
    action: z.string(),
    target: z.string(),
    source: z.string().nullable(),
    before: z.unknown(),
    after: z.unknown(),
  })
  .meta({ id: 'AuditEntry' });

/** The audit trail: Owner only (it holds source addresses and failed login names). */
export function auditLogRoutes(ctx: ApiContext) {
  return [
    route({
      method: 'GET',
      url: '/api/v1/audit-log',
      summary: 'Audit trail, newest first',
      tag: 'audit-log',
      access: 'owner',
      query: z.object({
        limit: z.coerce.number().int().min(1).max(1000).optional(),
        cursor: z.string().regex(/^\d+$/).optional().describe('The `next` of the previous page'),
        action: z.string().optional(),
      }),
      responses: { 200: z.object({ items: z.array(AuditOut), next: z.string().optional() }), 401: ErrorBody, 403: ErrorBody },
      handler: async ({ query }) => ctx.store.listAudit(query),
    }),
  ];
}
