import type { Alert } from '../model/audit.js';

/** The entities that make two alerts of one rule "the same": who, from where, on what. */
export function entityKey(a: Alert): string {
  const e = a.entities;
  return [a.ruleId, e.user, e.impersonatedUser ?? '', e.sourceIP ?? '', e.verb, e.apiGroup ?? '', e.resource ?? '', e.subresource ?? '', e.namespace ?? '', e.name ?? ''].join('\u0000');
}

function ms(t: string | undefined): number | undefined {
  if (t === undefined) return undefined;
  const n = Date.parse(t);
  return Number.isNaN(n) ? undefined : n;
}

/**
 * Merges alerts of the same rule and entities that fall within `windowMs` of the first alert of their group
 * (a window opens at the first alert and closes `windowMs` later; the next one opens a new group). The merged
 * alert keeps the first output and time, adds `lastTime`, sums `count` and unions the audit IDs. Alerts without
 * a time are merged only with each other. Input order is kept (by the first alert of each group).
 */
export function dedupeAlerts(alerts: readonly Alert[], windowMs: number): Alert[] {
  if (windowMs <= 0) return [...alerts];
  const sorted = [...alerts].sort((a, b) => (ms(a.time) ?? 0) - (ms(b.time) ?? 0));
  const open = new Map<string, { alert: Alert; start: number | undefined; ids: Set<string> }>();
  const out: Alert[] = [];
  for (const a of sorted) {
    const key = entityKey(a);
    const t = ms(a.time);
    const g = open.get(key);
    if (g && (t === undefined ? g.start === undefined : g.start !== undefined && t - g.start <= windowMs)) {
      g.alert.count += a.count;
      for (const id of a.auditIds) g.ids.add(id);
      g.alert.auditIds = [...g.ids];
      const last = a.lastTime ?? a.time;
      if (last !== undefined) g.alert.lastTime = last;
      continue;
    }
    const copy: Alert = { ...a, auditIds: [...a.auditIds] };
    open.set(key, { alert: copy, start: t, ids: new Set(a.auditIds) });
    out.push(copy);
  }
  return out;
}
