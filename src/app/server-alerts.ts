import { PalisadeError } from '../model/errors.js';
import type { AlertRow, NewSuppressionRow, Store, SuppressionRow } from '../storage/store.js';
import { ALERT_TRANSITIONS, checkSuppression, suppressionState, DEFAULT_STALE_AFTER_MS, type SuppressionState } from './alerts.js';
import type { Actor } from './users.js';

export { ALERT_STATUSES, type AlertStatus } from '../storage/audit/types.js';

/** A lifecycle move of the API: the target status. */
export type AlertMove = keyof typeof ALERT_TRANSITIONS;

const VERB: Record<AlertMove, string> = { acknowledged: 'acknowledge', resolved: 'resolve', dismissed: 'dismiss' };

/** The outcome of a status change: the alert after it, or why it could not change. */
export type AlertMoveResult = { ok: true; alert: AlertRow } | { ok: false; error: 'not-found' } | { ok: false; error: 'wrong-status'; alert: AlertRow; message: string };

/**
 * Moves an alert through its lifecycle (new -> acknowledged -> resolved or dismissed; new may go straight to either
 * end) with who, when and why on the alert, and an audit-trail entry in the same transaction. Dismissing needs a reason.
 */
export async function moveAlert(store: Store, actor: Actor, id: number, to: AlertMove, reason?: string): Promise<AlertMoveResult> {
  if (to === 'dismissed' && !reason?.trim()) throw new PalisadeError('E_USAGE', 'dismissing an alert needs a reason');
  return store.transaction(async (tx): Promise<AlertMoveResult> => {
    const before = await tx.getAlert(id);
    if (!before) return { ok: false, error: 'not-found' };
    const from: readonly string[] = ALERT_TRANSITIONS[to];
    if (!from.includes(before.status)) {
      const by = before.statusBy ? ` (by ${before.statusBy} at ${before.statusAt})` : '';
      return { ok: false, error: 'wrong-status', alert: before, message: `alert ${id} is ${before.status}${by}; only ${from.join(' or ')} alerts can be ${to}` };
    }
    const at = new Date().toISOString();
    const alert = (await tx.updateAlertStatus(id, { status: to, by: actor.name, at, reason: reason?.trim() || null }))!;
    await tx.appendAudit({ actor: actor.name, action: `alert.${VERB[to]}`, target: `alert:${id}`, source: actor.source, before: { status: before.status }, after: { status: to, ...(reason ? { reason } : {}) } });
    return { ok: true, alert };
  });
}

/** Names of the MITRE ATT&CK Enterprise tactics, by id. */
export const MITRE_TACTICS: Readonly<Record<string, string>> = {
  TA0043: 'Reconnaissance',
  TA0042: 'Resource Development',
  TA0001: 'Initial Access',
  TA0002: 'Execution',
  TA0003: 'Persistence',
  TA0004: 'Privilege Escalation',
  TA0005: 'Defense Evasion',
  TA0006: 'Credential Access',
  TA0007: 'Discovery',
  TA0008: 'Lateral Movement',
  TA0009: 'Collection',
  TA0011: 'Command and Control',
  TA0010: 'Exfiltration',
  TA0040: 'Impact',
};

/** An alert with its tactics named and the events it keeps as evidence (while the journal has them), parsed. */
export interface ServerAlertDetail {
  alert: AlertRow;
  tactics: Array<{ id: string; name: string }>;
  events: Array<{ seq: number; receivedAt: string; event: unknown }>;
}

/** An alert and its evidence; undefined when there is none. */
export async function serverAlertDetail(store: Store, id: number): Promise<ServerAlertDetail | undefined> {
  const alert = await store.getAlert(id);
  if (!alert) return undefined;
  const events = (await store.auditEvents(await store.alertEventSeqs(id))).map((e) => ({ seq: e.seq, receivedAt: e.receivedAt, event: JSON.parse(e.body) as unknown }));
  return { alert, tactics: alert.mitre.tactics.map((id) => ({ id, name: MITRE_TACTICS[id] ?? id })), events };
}

/** A suppression with its state now: active, expired, stale (matched nothing for a while) or removed. */
export type SuppressionView = SuppressionRow & { state: SuppressionState };

export function suppressionView(s: SuppressionRow, now = new Date(), staleAfterMs = DEFAULT_STALE_AFTER_MS): SuppressionView {
  return { ...s, state: suppressionState(s, now, staleAfterMs) };
}

function summary(s: SuppressionRow) {
  const { matchCount: _m, lastMatchedAt: _l, ...rest } = s;
  return rest;
}

/** Validates and stores a suppression rule with its audit entry. */
export async function createServerSuppression(store: Store, actor: Actor, s: Omit<NewSuppressionRow, 'createdBy'>): Promise<SuppressionRow> {
  checkSuppression(s, 'field');
  if (s.expiresAt && Date.parse(s.expiresAt) <= Date.now()) throw new PalisadeError('E_USAGE', 'expiresAt is in the past');
  return store.transaction(async (tx) => {
    if (s.connectorId && !(await tx.getConnector(s.connectorId))) throw new PalisadeError('E_USAGE', `no connector "${s.connectorId}"`);
    const row = await tx.createSuppression({ ...s, createdBy: actor.name });
    await tx.appendAudit({ actor: actor.name, action: 'suppression.create', target: `suppression:${row.id}`, source: actor.source, before: null, after: summary(row) });
    return row;
  });
}

/** Changes the reason, owner or expiry of a suppression in force (audited); undefined when there is none. */
export async function updateServerSuppression(store: Store, actor: Actor, id: number, patch: { reason?: string; owner?: string; expiresAt?: string | null }): Promise<SuppressionRow | undefined> {
  if (patch.expiresAt && Date.parse(patch.expiresAt) <= Date.now()) throw new PalisadeError('E_USAGE', 'expiresAt is in the past');
  return store.transaction(async (tx) => {
    const before = await tx.getSuppression(id);
    if (!before || before.removedAt) return undefined;
    const after = await tx.updateSuppression(id, patch);
    if (!after) return undefined;
    await tx.appendAudit({ actor: actor.name, action: 'suppression.update', target: `suppression:${id}`, source: actor.source, before: summary(before), after: summary(after) });
    return after;
  });
}

/** Retires a suppression (kept, marked removed) with its audit entry; undefined when there is none in force. */
export async function removeServerSuppression(store: Store, actor: Actor, id: number, reason?: string): Promise<SuppressionRow | undefined> {
  return store.transaction(async (tx) => {
    const before = await tx.getSuppression(id);
    if (!before || before.removedAt) return undefined;
    const after = await tx.removeSuppression(id, actor.name, new Date().toISOString());
    if (!after) return undefined;
    await tx.appendAudit({ actor: actor.name, action: 'suppression.delete', target: `suppression:${id}`, source: actor.source, before: summary(before), after: { removed: true, ...(reason ? { reason } : {}) } });
    return after;
  });
}
