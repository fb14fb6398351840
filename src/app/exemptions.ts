import type { ExemptionRow, Store } from '../storage/store.js';
import type { Actor } from './users.js';

/** What a person gives to accept a risk. */
export interface NewExemption {
  scope: string;
  checkId: string;
  reason: string;
  owner: string;
  expiresAt?: string | null;
}

/** Records an exemption and its audit entry together. */
export function addExemption(store: Store, actor: Actor, e: NewExemption): Promise<ExemptionRow> {
  return store.transaction(async (tx) => {
    const row = await tx.createExemption({ ...e, expiresAt: e.expiresAt ?? null, createdBy: actor.name });
    await tx.appendAudit({ actor: actor.name, action: 'exemption.create', target: `exemption:${row.id}`, source: actor.source, before: null, after: summary(row) });
    return row;
  });
}

/** Deletes an exemption and records what it was; false when there was none. */
export function removeExemption(store: Store, actor: Actor, id: string): Promise<boolean> {
  return store.transaction(async (tx) => {
    const row = await tx.getExemption(id);
    if (!row) return false;
    await tx.deleteExemption(id);
    await tx.appendAudit({ actor: actor.name, action: 'exemption.delete', target: `exemption:${id}`, source: actor.source, before: summary(row), after: null });
    return true;
  });
}

function summary(e: ExemptionRow) {
  return { scope: e.scope, checkId: e.checkId, reason: e.reason, owner: e.owner, expiresAt: e.expiresAt };
}
