import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { auditEventSchema } from '../../model/audit.js';
import { fastAuditEvent } from './fast-event.js';
import { generateAuditLog } from '../../../bench/audit.bench.js';
import { SCENARIOS, simulateEvents } from '../../app/simulate.js';

const here = dirname(fileURLToPath(import.meta.url));

/** Every JSON object of the audit fixtures, the threat-rule fixtures, the bench generator and the simulations. */
function corpus(): unknown[] {
  const out: unknown[] = [];
  const walk = (d: string) => {
    for (const n of readdirSync(d)) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.(jsonl?|log)$/.test(n)) for (const l of readFileSync(p, 'utf8').split('\n')) {
        try {
          out.push(JSON.parse(l));
        } catch {
          // not one JSON value per line
        }
      } else if (/\.ya?ml$/.test(n)) {
        const fx = parse(readFileSync(p, 'utf8')) as { fail?: Array<{ event?: unknown; events?: unknown[] }>; pass?: Array<{ event?: unknown; events?: unknown[] }> } | null;
        for (const c of [...(fx?.fail ?? []), ...(fx?.pass ?? [])]) out.push(...(c.events ?? [c.event]));
      }
    }
  };
  walk(join(here, '__fixtures__'));
  walk(join(here, '../../threats/__fixtures__'));
  out.push(...generateAuditLog(300, 3).trim().split('\n').map((l) => JSON.parse(l) as unknown));
  for (const s of SCENARIOS) out.push(...simulateEvents(s.name, 0));
  return out;
}

/** Variations that break one field at a time, the way bad logs do. */
function mutations(e: Record<string, unknown>): unknown[] {
  const bad: unknown[] = [null, 1, 1.5, '', 'x', true, [], {}, ['a', 1], { a: 1 }, { __proto__: 'x' }];
  const out: unknown[] = [];
  const fields = ['apiVersion', 'kind', 'level', 'auditID', 'stage', 'verb', 'user', 'impersonatedUser', 'sourceIPs', 'userAgent', 'requestURI', 'requestReceivedTimestamp', 'stageTimestamp', 'objectRef', 'responseStatus', 'annotations', 'timestamp', 'extraField'];
  for (const f of fields) for (const b of bad) out.push({ ...e, [f]: b });
  for (const f of fields) {
    const { [f]: _, ...rest } = e;
    out.push(rest);
  }
  for (const [f, keys] of [['user', ['username', 'uid', 'groups', 'extra']], ['objectRef', ['resource', 'name', 'namespace', 'subresource', 'uid', 'apiGroup', 'apiVersion', 'resourceVersion']], ['responseStatus', ['code', 'status', 'reason', 'message']]] as const) {
    for (const k of keys) for (const b of [...bad, 2 ** 60, -3]) out.push({ ...e, [f]: { ...((e[f] as object | null) ?? {}), [k]: b } });
  }
  out.push({ ...e, user: { ...(e.user as object), extra: { a: ['x'], b: 'y' } } });
  out.push(JSON.parse(`{"stage":"ResponseComplete","verb":"get","user":{},"__proto__":{"x":1}}`));
  return out;
}

/** JSON with every object's keys sorted: the same values in any key order give the same text. */
function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'object' && x !== null && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : x));
}

describe('fast audit event check', () => {
  const events = corpus();
  it('gives the values zod gives for every fixture, and never accepts what zod rejects', () => {
    expect(events.length).toBeGreaterThan(300);
    let fastAccepted = 0;
    let checked = 0;
    const wrong: string[] = [];
    events.forEach((e, i) => {
      // Every event as it is, and one in five broken in every way.
      const variants = [e, ...(i % 5 === 0 && typeof e === 'object' && e !== null && !Array.isArray(e) ? mutations(e as Record<string, unknown>) : [])];
      for (const v of variants) {
        checked++;
        const fast = fastAuditEvent(v);
        if (fast === undefined) continue;
        fastAccepted++;
        const z = auditEventSchema.safeParse(v);
        if (!z.success) wrong.push(`accepted what zod rejects: ${JSON.stringify(v)}`);
        else if (canonical(fast) !== canonical(z.data)) wrong.push(`differs from zod: ${JSON.stringify(v)}`);
        else if (fast !== v) wrong.push(`copied instead of checked in place: ${JSON.stringify(v)}`);
      }
    });
    expect(wrong.slice(0, 5)).toEqual([]);
    expect(fastAccepted).toBeGreaterThan(events.length / 2);
    expect(checked).toBeGreaterThan(20_000);
  });
});
