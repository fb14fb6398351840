import { userInfo } from 'node:os';
import { PalisadeError } from '../model/errors.js';
import type { AlertQuery, AlertStatus, AuditStore, JournalEvent, NewSuppression, StoredAlert, Suppression, TrailEntry } from '../storage/audit/index.js';
import { isIpOrCidr } from '../threats/ip.js';

/** A suppression unmatched for this long is reported as stale (30 days). */
export const DEFAULT_STALE_AFTER_MS = 30 * 86_400_000;

/** Lifecycle moves: the target status and the statuses it may come from. */
export const ALERT_TRANSITIONS = {
  acknowledged: ['new'],
  resolved: ['new', 'acknowledged'],
  dismissed: ['new', 'acknowledged'],
} as const satisfies Partial<Record<AlertStatus, readonly AlertStatus[]>>;

/** Who is acting: the `--by` flag, else the operating-system user. */
export function actorOf(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (flag && flag.trim() !== '') return flag.trim();
  try {
    return userInfo().username;
  } catch {
    return env.USER ?? env.USERNAME ?? 'unknown';
  }
}

/** `30d`, `12h`, `90m`, `45s`, `2w` -> milliseconds; undefined when not a duration. */
export function parseDuration(v: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)$/.exec(v.trim());
  if (!m) return undefined;
  return Math.round(Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[m[2]!]!);
}

/** An expiry: a duration from now (`30d`) or a date/time (`2025-01-31`, ISO). */
export function parseExpiry(v: string, now: Date): string {
  const d = parseDuration(v);
  if (d !== undefined) return new Date(now.getTime() + d).toISOString();
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new PalisadeError('E_USAGE', `--expires: "${v}" is neither a duration (30d, 12h) nor a date (2025-01-31)`);
  if (t <= now.getTime()) throw new PalisadeError('E_USAGE', `--expires: ${new Date(t).toISOString()} is already past`);
  return new Date(t).toISOString();
}

/** State of a suppression rule at a time. */
export type SuppressionState = 'active' | 'expired' | 'stale' | 'removed';

/** Expired: past its expiry. Stale: in force but unmatched for `staleAfterMs` (since creation when never matched). */
export function suppressionState(s: Suppression, now: Date, staleAfterMs = DEFAULT_STALE_AFTER_MS): SuppressionState {
  if (s.removedAt) return 'removed';
  if (s.expiresAt && s.expiresAt <= now.toISOString()) return 'expired';
  const since = s.lastMatchedAt ?? s.createdAt;
  if (now.getTime() - Date.parse(since) >= staleAfterMs) return 'stale';
  return 'active';
}

/** Suppressions that no longer match anything (expired, or unmatched for a period), with one line each to log. */
export function suppressionReport(list: readonly Suppression[], now: Date, staleAfterMs = DEFAULT_STALE_AFTER_MS): { expired: Suppression[]; stale: Suppression[]; lines: string[] } {
  const expired = list.filter((s) => suppressionState(s, now, staleAfterMs) === 'expired');
  const stale = list.filter((s) => suppressionState(s, now, staleAfterMs) === 'stale');
  const days = Math.round(staleAfterMs / 86_400_000);
  const lines = [
    ...expired.map((s) => `suppression ${s.id} (${describeSuppression(s)}; owner ${s.owner}) expired on ${s.expiresAt}: remove it or add a new one (palisade alerts suppress remove ${s.id})`),
    ...stale.map((s) => `suppression ${s.id} (${describeSuppression(s)}; owner ${s.owner}) has matched nothing ${s.lastMatchedAt ? `since ${s.lastMatchedAt}` : `since it was added on ${s.createdAt}`} (over ${days} days): review or remove it`),
  ];
  return { expired, stale, lines };
}

/** `rule=PAL-RT-010 user=ci-* namespace=staging`. */
export function describeSuppression(s: Pick<Suppression, 'rule' | 'user' | 'namespace' | 'resource' | 'sourceIp'>): string {
  return (
    [
      ['rule', s.rule],
      ['user', s.user],
      ['namespace', s.namespace],
      ['resource', s.resource],
      ['source-ip', s.sourceIp],
    ]
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ') || 'everything'
  );
}

/**
 * Checks a new suppression rule: at least one matching field, a reason, an owner, and a source IP that is an address
 * or CIDR range. Messages name the CLI flags (`--source-ip`), or the API fields (`sourceIp`) with `style: 'field'`.
 */
export function checkSuppression(s: NewSuppression, style: 'flag' | 'field' = 'flag'): void {
  const name = (field: string): string => (style === 'field' ? field : `--${field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`);
  if ([s.rule, s.user, s.namespace, s.resource, s.sourceIp].every((v) => v === undefined || v === '')) {
    throw new PalisadeError('E_USAGE', `a suppression needs at least one of ${['rule', 'user', 'namespace', 'resource', 'sourceIp'].map(name).join(', ')}`);
  }
  if (!s.reason || s.reason.trim() === '') throw new PalisadeError('E_USAGE', `a suppression needs a ${name('reason')}`);
  if (!s.owner || s.owner.trim() === '') throw new PalisadeError('E_USAGE', `a suppression needs an ${name('owner')}`);
  if (s.sourceIp !== undefined && !isIpOrCidr(s.sourceIp)) throw new PalisadeError('E_USAGE', `${name('sourceIp')}: "${s.sourceIp}" is not an IP address or CIDR range`);
}

/** Validates and stores a suppression rule (audited). At least one matching field, a reason and an owner are required. */
export function addSuppression(store: AuditStore, s: NewSuppression, actor: string): Suppression {
  checkSuppression(s);
  return store.addSuppression(s, actor);
}

/** Removes (retires, audited) a suppression rule. */
export function removeSuppression(store: AuditStore, id: number, actor: string, reason?: string): Suppression {
  const removed = store.removeSuppression(id, actor, reason);
  if (!removed) throw new PalisadeError('E_USAGE', `no suppression ${id} in force (palisade alerts suppress list)`);
  return removed;
}

/** Moves alerts through their lifecycle (each audited). Fails on the first id that does not exist or cannot move. */
export function changeAlertStatus(store: AuditStore, ids: readonly number[], to: keyof typeof ALERT_TRANSITIONS, actor: string, reason?: string): StoredAlert[] {
  const out: StoredAlert[] = [];
  for (const id of ids) {
    const r = store.setAlertStatus(id, to, ALERT_TRANSITIONS[to], actor, reason);
    if ('error' in r) {
      if (r.error === 'not-found') throw new PalisadeError('E_USAGE', `no alert ${id}`);
      throw new PalisadeError('E_USAGE', `alert ${id} is ${r.alert!.status}${r.alert!.statusBy ? ` (by ${r.alert!.statusBy} at ${r.alert!.statusAt})` : ''}; only ${ALERT_TRANSITIONS[to].join(' or ')} alerts can be ${to}`);
    }
    out.push(r.alert);
  }
  return out;
}

/** An alert with its evidence (the first linked events, while the journal keeps them) and its history. */
export interface AlertDetail {
  alert: StoredAlert;
  events: Array<Omit<JournalEvent, 'body'> & { event: unknown }>;
  history: TrailEntry[];
}

export function alertDetail(store: AuditStore, id: number): AlertDetail {
  const alert = store.getAlert(id);
  if (!alert) throw new PalisadeError('E_USAGE', `no alert ${id}`);
  const events = store.events(store.alertEventSeqs(id)).map(({ body, ...rest }) => ({ ...rest, event: JSON.parse(body) as unknown }));
  return { alert, events, history: store.listTrail(`alert:${id}`) };
}

/** Lists stored alerts (newest activity first). */
export function listAlerts(store: AuditStore, q: AlertQuery): StoredAlert[] {
  return store.listAlerts(q);
}
