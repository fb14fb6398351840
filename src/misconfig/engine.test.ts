import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseManifestText } from '../inputs/manifests/parse.js';
import type { Resource } from '../model/resource.js';
import type { Check } from './check.js';
import { ALL_CHECKS } from './checks/index.js';
import { evaluate, Evaluation, type EngineOptions, type EngineResult } from './engine.js';
import { Inventory } from './inventory.js';
import { podViewOf } from './pod-view.js';
import { resolveParameters } from './parameters.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');

function resourcesIn(dir: string, out: Resource[] = []): Resource[] {
  for (const e of readdirSync(dir).sort()) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) resourcesIn(p, out);
    else if (/\.(ya?ml|json)$/.test(e) && e !== 'params.yaml') out.push(...parseManifestText(p, readFileSync(p, 'utf8')).resources);
  }
  return out;
}

const options = (): EngineOptions => ({
  checks: ALL_CHECKS,
  params: resolveParameters({ trustedRegistries: ['registry.example.com'] }),
  now: new Date('2026-06-01T00:00:00Z'),
  configExemptions: [
    { checks: ['PAL-043'], namespace: 'prod*', reason: 'r' },
    { checks: ['privileged-container'], kind: 'Pod', reason: 'r' },
  ],
});

/** Everything an evaluation produces, as plain data (sets as lists, in insertion order). */
function plain(r: EngineResult): unknown {
  return JSON.parse(JSON.stringify({ ...r, outcomes: [...r.outcomes.values()].map((o) => ({ ...o, failed: [...o.failed] })) }));
}

/** A deterministic shuffle of the input into chunks of 1 to 8 resources. */
function chunks(resources: readonly Resource[], seed: number): Resource[][] {
  let s = seed;
  const rnd = (n: number) => {
    s = (Math.imul(s, 1103515245) + 12345) & 0x7fffffff;
    return s % n;
  };
  const out: Resource[][] = [];
  for (let i = 0; i < resources.length; ) {
    const n = 1 + rnd(8);
    out.push(resources.slice(i, i + n));
    i += n;
  }
  for (let i = out.length - 1; i > 0; i--) {
    const j = rnd(i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

describe('Evaluation', () => {
  const inputs = {
    fixtures: resourcesIn(join(here, 'checks', '__fixtures__')),
    examples: resourcesIn(join(root, 'examples')),
  };

  for (const [name, resources] of Object.entries(inputs)) {
    it(`gives the same result whatever the order and grouping of add() calls (${name})`, () => {
      const expected = plain(evaluate(resources, options()));
      for (const seed of [1, 2]) {
        const run = new Evaluation(options());
        for (const c of chunks(resources, seed)) run.add(c);
        expect(plain(run.finish(resources))).toEqual(expected);
      }
    });

    it(`gives the same result when other evaluations export results and this one imports them (${name})`, () => {
      const expected = plain(evaluate(resources, options()));
      const run = new Evaluation(options());
      const other = new Evaluation(options());
      chunks(resources, 3).forEach((c, i) => {
        if (i % 3 === 0) run.add(c);
        // What crosses threads: a structured clone of the exported columns.
        else run.importResults(c, structuredClone(other.evaluateForExport(c)));
      });
      expect(plain(run.finish(resources))).toEqual(expected);
    });
  }

  it('runs a check that reads other resources only once the whole input is known, whatever it declares', () => {
    const seen: string[] = [];
    const counting: Check = {
      ...ALL_CHECKS[0]!,
      id: 'PAL-999',
      slug: 'counts-services',
      kinds: ['ConfigMap'],
      appliesTo: undefined,
      evaluate: ({ inventory, resource }) => {
        const n = inventory.ofKind('Service').length;
        seen.push(`${resource.name}:${n}`);
        return [{ path: ['metadata', 'name'], message: `${n} services` }];
      },
    };
    const doc = (kind: string, name: string) => `apiVersion: v1\nkind: ${kind}\nmetadata:\n  name: ${name}\n`;
    const parsed = parseManifestText('m.yaml', [doc('ConfigMap', 'a'), doc('Service', 's1'), doc('ConfigMap', 'b'), doc('Service', 's2')].join('---\n')).resources;
    const run = new Evaluation({ checks: [counting] });
    run.add([parsed[0]!]);
    run.add([parsed[2]!]);
    run.add([parsed[1]!, parsed[3]!]);
    const result = run.finish(parsed);
    expect(result.findings.map((f) => `${f.resourceId}: ${f.message}`)).toEqual(['ConfigMap/a: 2 services', 'ConfigMap/b: 2 services']);
    // It was tried once early (and put off), then run on both with all four resources known.
    expect(seen.filter((s) => s.endsWith(':2')).sort()).toEqual(['a:2', 'b:2']);
  });

  it('is told by the registry exactly which checks read other resources', () => {
    const resources = [...inputs.fixtures, ...inputs.examples];
    const inventory = new Inventory(resources);
    const readers = new Set<string>();
    for (const check of ALL_CHECKS) {
      let touched = false;
      const watched = new Proxy(inventory, {
        get(target, prop) {
          touched = true;
          const v = Reflect.get(target, prop, target) as unknown;
          return typeof v === 'function' ? v.bind(target) : v;
        },
      });
      for (const resource of resources) {
        if (!check.kinds.includes('*') && !check.kinds.includes(resource.kind)) continue;
        const ctx = { resource, object: resource.object, pod: inventory.podView(resource), inventory: watched, params: resolveParameters({ trustedRegistries: ['registry.example.com'] }) };
        try {
          if (!check.appliesTo || check.appliesTo(ctx)) check.evaluate(ctx);
        } catch {
          // crashes are other tests' business
        }
      }
      if (touched) readers.add(check.slug);
    }
    const declared = ALL_CHECKS.filter((c) => c.crossResource).map((c) => c.slug);
    // Undeclared readers would still be right (put off at their first read), only slower.
    expect([...readers].sort()).toEqual(declared.sort());
  });

  it('counts the resources each check applied to, and lists them in input order only when asked', () => {
    const resources = inputs.fixtures;
    const counted = evaluate(resources, options());
    const listed = evaluate(resources, { ...options(), listApplied: true });
    let lists = 0;
    for (const [id, o] of listed.outcomes) {
      const c = counted.outcomes.get(id)!;
      expect(c.applied).toEqual([]);
      expect(c.appliedCount).toBe(o.applied.length);
      expect(o.appliedCount).toBe(o.applied.length);
      // In input order: a subsequence of the resources' ids.
      let at = 0;
      for (const rid of o.applied) {
        while (at < resources.length && resources[at]!.id !== rid) at++;
        expect(at, `${id}: ${rid} out of input order`).toBeLessThan(resources.length);
        at++;
      }
      lists += o.applied.length;
    }
    expect(lists).toBeGreaterThan(resources.length);
    expect(counted.score).toEqual(listed.score);
  });

  it('shares equal one-operation fixes between findings, and only equal ones', () => {
    const result = evaluate([...inputs.fixtures, ...inputs.examples], options());
    const texts = new Map<object, Set<string>>();
    for (const f of [...result.findings, ...result.exempted]) {
      if (f.fix?.operations.length !== 1) continue;
      let set = texts.get(f.fix);
      if (!set) texts.set(f.fix, (set = new Set()));
      set.add(JSON.stringify(f.fix));
    }
    // A shared fix is shared only by equal fixes; and some are shared by several findings.
    for (const set of texts.values()) expect(set.size, [...set].join('\n')).toBe(1);
    const uses = new Map<object, number>();
    for (const f of result.findings) if (f.fix) uses.set(f.fix, (uses.get(f.fix) ?? 0) + 1);
    expect(Math.max(...uses.values())).toBeGreaterThan(1);
    // Each finding still carries the fix its check made for it: checks that read only their resource,
    // run again alone on it, give the same fix for the same field and message.
    const all = [...inputs.fixtures, ...inputs.examples];
    const inventory = new Inventory(all);
    const params = options().params!;
    let compared = 0;
    for (const f of result.findings) {
      const check = ALL_CHECKS.find((c) => c.id === f.checkId)!;
      if (check.crossResource || !f.fix) continue;
      const resource = all.find((r) => r.id === f.resourceId && r.source.file === f.location.file)!;
      const again = check.evaluate({ resource, object: resource.object, pod: podViewOf(resource.object), inventory, params });
      const same = again.find((r) => r.message === f.message && r.container === f.container);
      expect(same, `${f.checkId} ${f.resourceId}: ${f.message}`).toBeDefined();
      expect(JSON.stringify(f.fix)).toBe(JSON.stringify(same!.fix));
      compared++;
    }
    expect(compared).toBeGreaterThan(100);
  });

  it('refuses to be used after finish', () => {
    const run = new Evaluation({ checks: [] });
    run.finish([]);
    expect(() => run.add([])).toThrow(/after finish/);
    expect(() => run.finish([])).toThrow(/twice/);
  });
});
