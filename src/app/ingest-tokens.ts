import { randomBytes } from 'node:crypto';
import type { IngestTokenRow, Store } from '../storage/store.js';
import { sha256, type Actor } from './users.js';

/** Ingest token text: `pai_` + 40 characters of base64url (240 random bits); lists show the first 12 characters. */
export const INGEST_TOKEN_PREFIX = 'pai_';
const PREFIX_LENGTH = 12;

/** An ingest token as lists show it: never its hash. */
export type PublicIngestToken = Omit<IngestTokenRow, 'tokenHash'>;

export function publicIngestToken(t: IngestTokenRow): PublicIngestToken {
  const { tokenHash: _h, ...rest } = t;
  return rest;
}

/** Why a token was not accepted: 401 for a token that is not known here, 410 for one whose connector or token is gone. */
export type IngestAuth =
  | { ok: true; token: IngestTokenRow }
  | { ok: false; status: 401; error: 'unauthorized'; message: string }
  | { ok: false; status: 410; error: 'gone'; message: string };

/**
 * Creates an ingest token for a connector (audited); the plain token is returned once and only its SHA-256 is kept.
 * Undefined when there is no such connector.
 */
export async function createIngestTokenFor(store: Store, actor: Actor, input: { connectorId: string; name: string }): Promise<{ token: string; info: PublicIngestToken } | undefined> {
  const token = `${INGEST_TOKEN_PREFIX}${randomBytes(30).toString('base64url')}`;
  return store.transaction(async (tx) => {
    const connector = await tx.getConnector(input.connectorId);
    if (!connector) return undefined;
    const row = await tx.createIngestToken({ connectorId: connector.id, name: input.name, prefix: token.slice(0, PREFIX_LENGTH), tokenHash: sha256(token), createdBy: actor.name });
    await tx.appendAudit({ actor: actor.name, action: 'ingest-token.create', target: `ingest-token:${row.prefix}`, source: actor.source, before: null, after: { name: row.name, connector: connector.name, connectorId: connector.id } });
    return { token, info: publicIngestToken(row) };
  });
}

/** An ingest token by id or by its shown prefix. */
export async function findIngestToken(store: Store, idOrPrefix: string): Promise<IngestTokenRow | undefined> {
  return (await store.getIngestToken(idOrPrefix)) ?? (await store.listIngestTokens({})).find((x) => x.prefix === idOrPrefix);
}

/** Revokes one ingest token by id or prefix (audited); false when there is none in force. */
export async function revokeIngestTokenFor(store: Store, actor: Actor, idOrPrefix: string): Promise<boolean> {
  return store.transaction(async (tx) => {
    const t = await findIngestToken(tx, idOrPrefix);
    if (!t || t.revokedAt) return false;
    await tx.revokeIngestToken(t.id, new Date().toISOString());
    await tx.appendAudit({ actor: actor.name, action: 'ingest-token.revoke', target: `ingest-token:${t.prefix}`, source: actor.source, before: { name: t.name, connectorId: t.connectorId }, after: { revoked: true } });
    return true;
  });
}

/**
 * Checks the bearer token of an ingest request for a connector. A token that does not exist, or belongs to another
 * connector, is 401 (nothing is told about other connectors); a revoked token, or one whose connector was deleted,
 * is 410 Gone with the reason, so whoever runs the API server knows to remove the webhook rather than retry.
 */
export async function authenticateIngest(store: Store, bearer: string | undefined, connectorId: string): Promise<IngestAuth> {
  const unknown = { ok: false, status: 401, error: 'unauthorized', message: 'send an ingest token of this connector as "Authorization: Bearer pai_..." (POST /api/v1/ingest-tokens)' } as const;
  if (!bearer) return unknown;
  const token = await store.getIngestTokenByHash(sha256(bearer));
  if (!token || token.connectorId !== connectorId) return unknown;
  if (token.revokedAt) return { ok: false, status: 410, error: 'gone', message: `ingest token ${token.prefix} was revoked at ${token.revokedAt}; events are no longer accepted with it` };
  if (!(await store.getConnector(connectorId))) return { ok: false, status: 410, error: 'gone', message: `connector ${connectorId} no longer exists (deleted or offboarded); events are no longer accepted for it` };
  return { ok: true, token };
}
