import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { readRuleSources } from '../app/audit.js';
import { simulateEvents, SCENARIO_NAMES } from '../app/simulate.js';
import { parseAuditText } from '../inputs/audit/index.js';
import type { AuditEvent } from '../model/audit.js';
import { createRuleEnvironment } from './cel.js';
import { compileCel, UnsupportedCel } from './cel-compile.js';
import { compileRuleSet, foldConstantLists } from './compile.js';
import { buildContext, CONTEXT_VARIABLES } from './context.js';
import { expand } from './expand.js';

/**
 * Differential test of the CEL compiler against cel-js: every shipped condition and exception, on every event of
 * the fixtures and simulate scenarios and on thousands of mutated ones, must give cel-js's result, or cel-js's error.
 */
const here = dirname(fileURLToPath(import.meta.url));
const env = createRuleEnvironment();
const shipped = compileRuleSet(readRuleSources());

type Ctx = Record<string, unknown>;
const DECLINED = Symbol('declined');

interface Expr {
  name: string;
  source: string;
  celjs: (ctx: Ctx) => unknown;
  /** The compiled code alone: DECLINED where it hands the evaluation to cel-js. */
  compiledOnly: (ctx: Ctx) => unknown;
  /** What the engine runs. */
  test: (ctx: Ctx) => unknown;
}

function interpreter(source: string): ((ctx: Ctx) => unknown) & { ast: unknown } {
  const p = env.parse(source) as ((ctx: Ctx) => unknown) & { ast: unknown };
  foldConstantLists(p.ast);
  return p;
}

const scope = { lists: new Map([...shipped.lists].map(([k, v]) => [k, v.value])), macros: new Map([...shipped.macros].map(([k, v]) => [k, v.value])) };
const exprs: Expr[] = [];
const unsupported: string[] = [];
for (const r of shipped.rules) {
  if (r.detector) continue;
  const all = [{ name: r.def.id, source: r.expanded, test: r.test }, ...r.exceptions.map((x, i) => ({ name: `${r.def.id} exception ${x.name}`, source: expand(r.def.exceptions[i]!.condition, scope), test: x.test }))];
  for (const e of all) {
    const celjs = interpreter(e.source);
    try {
      exprs.push({ name: e.name, source: e.source, celjs, compiledOnly: compileCel(interpreter(e.source).ast, (_c: Ctx) => DECLINED), test: e.test });
    } catch (err) {
      if (!(err instanceof UnsupportedCel)) throw err;
      unsupported.push(`${e.name}: ${err.message}`);
    }
  }
}

type Outcome = { value: unknown } | { error: string };
function outcome(f: () => unknown): Outcome {
  try {
    return { value: f() };
  } catch (e) {
    const err = e as Error & { code?: string };
    return { error: `${err.constructor.name}:${err.code ?? ''}` };
  }
}

// ---- events ----
const rawEvents: Array<Record<string, unknown>> = [];
const DEFAULT_EVENT = {
  kind: 'Event', apiVersion: 'audit.k8s.io/v1', level: 'RequestResponse', auditID: 'a', stage: 'ResponseComplete', verb: 'create',
  user: { username: 'alice@example.com', groups: ['system:authenticated'] }, sourceIPs: ['203.0.113.10'], userAgent: 'kubectl/v1.30.1',
  responseStatus: { code: 201 }, annotations: { 'authorization.k8s.io/decision': 'allow' },
};
const fixturesDir = join(here, '__fixtures__');
for (const f of readdirSync(fixturesDir).filter((x) => x.endsWith('.yaml'))) {
  const fx = parse(readFileSync(join(fixturesDir, f), 'utf8')) as { fail?: Array<{ event?: Ctx; events?: Ctx[] }>; pass?: Array<{ event?: Ctx; events?: Ctx[] }> };
  for (const c of [...(fx.fail ?? []), ...(fx.pass ?? [])]) for (const e of c.events ?? [c.event!]) rawEvents.push(merge(DEFAULT_EVENT, e));
}
const auditDir = join(here, '../inputs/audit/__fixtures__');
for (const f of readdirSync(auditDir)) {
  try {
    for (const e of parseAuditText(readFileSync(join(auditDir, f), 'utf8'), f).events) rawEvents.push(e.event as unknown as Ctx);
  } catch {
    // A fixture that is not an audit log (or a directory) adds no events.
  }
}
for (const name of SCENARIO_NAMES) rawEvents.push(...(simulateEvents(name, Date.UTC(2026, 0, 1)) as Ctx[]));

function merge(base: Ctx, over: Ctx): Ctx {
  const out: Ctx = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    if (v === null) delete out[k];
    else out[k] = typeof v === 'object' && !Array.isArray(v) && typeof b === 'object' && b !== null && !Array.isArray(b) ? merge(b as Ctx, v as Ctx) : v;
  }
  return out;
}

/** A context as plain data: every variable read once. */
function snapshot(e: Ctx): Ctx | undefined {
  try {
    const c = buildContext(e as unknown as AuditEvent);
    return Object.fromEntries(Object.keys(CONTEXT_VARIABLES).map((k) => [k, (c as Ctx)[k]]));
  } catch {
    return undefined;
  }
}

/** Deterministic pseudo-random numbers, so a failure can be replayed. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const ODD_VALUES: unknown[] = [null, 0, 1.5, 200, 7n, -1, '', 'x', 'system:admin', true, false, [], ['a', 1], {}, { a: 'b' }, 'ResponseComplete', 'create', 'pods', '10.0.0.1', [80, 5432], [{ port: 6379 }], { spec: {} }];

/** A deep copy of `v` with one random change: a field removed, set to null or to a value of another type. */
function mutate(v: unknown, rand: () => number, depth = 0): unknown {
  if (Array.isArray(v)) {
    const out = v.map((x) => x);
    if (out.length === 0 || rand() < 0.2) out.push(ODD_VALUES[Math.floor(rand() * ODD_VALUES.length)]);
    else {
      const i = Math.floor(rand() * out.length);
      out[i] = mutate(out[i], rand, depth + 1);
    }
    return out;
  }
  if (typeof v === 'object' && v !== null) {
    const out: Ctx = { ...(v as Ctx) };
    const keys = Object.keys(out);
    const r = rand();
    if (keys.length === 0 || r < 0.1) out[`k${Math.floor(rand() * 3)}`] = ODD_VALUES[Math.floor(rand() * ODD_VALUES.length)];
    else {
      const k = keys[Math.floor(rand() * keys.length)]!;
      if (r < 0.3) delete out[k];
      else if (r < 0.5 || depth > 6) out[k] = ODD_VALUES[Math.floor(rand() * ODD_VALUES.length)];
      else out[k] = mutate(out[k], rand, depth + 1);
    }
    return out;
  }
  return ODD_VALUES[Math.floor(rand() * ODD_VALUES.length)];
}

const contexts: Ctx[] = rawEvents.map(snapshot).filter((c): c is Ctx => c !== undefined);
const rand = rng(20261129);
const mutated: Ctx[] = [];
for (let i = 0; i < 4000; i++) {
  const base = rawEvents[Math.floor(rand() * rawEvents.length)]!;
  // Half the mutations change the raw event (what the context builder must absorb), half the context itself.
  if (rand() < 0.5) {
    let e = base;
    for (let n = 1 + Math.floor(rand() * 3); n > 0; n--) e = mutate(e, rand) as Ctx;
    const c = snapshot(e);
    if (c) mutated.push(c);
  } else {
    let c = snapshot(base)!;
    for (let n = 1 + Math.floor(rand() * 3); n > 0; n--) c = mutate(c, rand) as Ctx;
    mutated.push(c);
  }
}

describe('CEL compiler', () => {
  it('compiles every shipped condition and exception', () => {
    expect(unsupported).toEqual([]);
    expect(exprs.length).toBeGreaterThan(60);
    expect(shipped.rules.filter((r) => !r.detector && r.test.interpreted).map((r) => r.def.id)).toEqual([]);
  });

  it('has events to compare on', () => {
    expect(contexts.length).toBeGreaterThan(200);
    expect(mutated.length).toBeGreaterThan(3000);
  });

  for (const [label, ctxs] of [['fixture and scenario events', contexts], ['mutated events', mutated]] as const) {
    it(`gives cel-js's result or error on ${label}`, () => {
      let decided = 0;
      let total = 0;
      const mismatches: string[] = [];
      for (const x of exprs) {
        for (const ctx of ctxs) {
          total++;
          const expected = outcome(() => x.celjs(ctx));
          const actual = outcome(() => x.test(ctx));
          if (JSON.stringify(actual, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)) !== JSON.stringify(expected, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))) {
            mismatches.push(`${x.name}: ${JSON.stringify(actual)} vs cel-js ${JSON.stringify(expected)}`);
          }
          const own = outcome(() => x.compiledOnly(ctx));
          if ('value' in own && own.value === DECLINED) continue;
          decided++;
          if (!('value' in own) || !('value' in expected) || own.value !== expected.value) {
            mismatches.push(`${x.name} (compiled alone): ${JSON.stringify(String('value' in own ? own.value : own.error))} vs cel-js ${JSON.stringify('value' in expected ? String(expected.value) : expected.error)} on ${JSON.stringify(ctx).slice(0, 300)}`);
          }
        }
      }
      expect(mismatches.slice(0, 10)).toEqual([]);
      // The compiled code decides by itself nearly always on real events; mutated ones hand more to cel-js.
      expect(decided / total).toBeGreaterThan(label === 'mutated events' ? 0.5 : 0.9);
    });
  }

  it('absorbs an undecided side of && and || as CEL does', () => {
    const run = (src: string, ctx: Ctx) => compileCel(interpreter(src).ast, (_c: Ctx) => DECLINED)(ctx);
    const ctx = { ...snapshot(rawEvents[0]!)!, requestObject: { a: 'x' } };
    expect(run('requestObject.missing == 1 && false', ctx)).toBe(false);
    expect(run('requestObject.missing == 1 || true', ctx)).toBe(true);
    expect(run('requestObject.missing == 1 || false', ctx)).toBe(DECLINED);
    expect(run('["a", 1].exists(x, x.startsWith("a"))', ctx)).toBe(true);
    expect(run('["b", 1].exists(x, x.startsWith("a"))', ctx)).toBe(DECLINED);
    expect(interpreter('["b", 1].exists(x, x.startsWith("a"))')).toBeDefined();
    expect(() => interpreter('["b", 1].exists(x, x.startsWith("a"))')(ctx)).toThrow();
  });

  it('leaves expressions outside the subset to cel-js', () => {
    expect(() => compileCel(interpreter('2 * 3 == 6').ast, (_c: Ctx) => DECLINED)).toThrow(UnsupportedCel);
    expect(() => compileCel(interpreter('requestObject.?a.hasValue()').ast, (_c: Ctx) => DECLINED)).toThrow(UnsupportedCel);
  });
});
