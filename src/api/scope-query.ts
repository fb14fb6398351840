import { z } from 'zod';
import type { DataScope } from '../app/reports.js';
import type { ConnectorRef } from './route.js';

/**
 * The connector filter of the dashboard's summary, export and report routes: `connectorId`, or `connector` as
 * the list endpoints (`/assets`, `/alerts`, ...) name it. Without one they cover every connector the caller reads.
 */
export const ScopeQuery = z.object({
  connectorId: z.string().min(1).optional().describe('Only the data of this connector'),
  connector: z.string().min(1).optional().describe('Alias of connectorId, as the list endpoints name it'),
});

/** The connector a request names, if any. */
function named(query: z.infer<typeof ScopeQuery>): string | undefined {
  return query.connectorId ?? query.connector;
}

/**
 * How these routes find their connector for roles held on single connectors: the one named, else none, and
 * then they answer for the connectors the caller may read.
 */
export const scopeRef: ConnectorRef<unknown, z.infer<typeof ScopeQuery>> = { from: ({ query }) => named(query) ?? null, list: true };

/** The data scope of a request: the connector named and the connectors the caller may read. */
export function scopeOf(query: z.infer<typeof ScopeQuery>, connectors: readonly string[] | undefined): DataScope {
  return { connectorId: named(query), connectorIds: connectors };
}
