import { describe, expect, it } from 'vitest';
import { readRuleSources } from '../app/audit.js';
import type { SourcedAuditEvent } from '../model/audit.js';
import { compileRuleSet } from './compile.js';
import { ThreatEngine } from './engine.js';
import { FirstSeenMemory } from './first-seen.js';
import { LruMap } from './lru.js';
import { RateCounter } from './rate.js';
import { userAgentClient } from './detectors/sa-new-user-agent.js';
import { isServiceAccount, serviceAccountOf } from './detectors/detector.js';
import { ALL_DETECTORS } from './detectors/index.js';
import { buildContext } from './context.js';
import { auditEventSchema, type AuditEvent } from '../model/audit.js';

const HOUR = 3_600_000;

describe('bounded memory', () => {
  it('LruMap forgets the least recently used entry past its cap, and sweeps from the oldest', () => {
    const m = new LruMap<string, number>(2);
    m.set('a', 1).set('b', 2);
    m.get('a');
    m.set('c', 3);
    expect([...m.entries()].map(([k]) => k)).toEqual(['a', 'c']);
    expect(m.evicted).toBe(1);
    m.sweep((v) => v < 2);
    expect([...m.entries()].map(([k]) => k)).toEqual(['c']);
  });

  it('FirstSeenMemory caps principals and keys, forgets idle principals, and learns per principal', () => {
    const m = new FirstSeenMemory({ learningMs: HOUR, maxPrincipals: 3, maxKeysPerPrincipal: 2, forgetAfterMs: 10 * HOUR });
    for (let i = 0; i < 10; i++) m.observe(`p${i}`, 'k', 0);
    expect(m.size).toBe(3);
    expect(m.observe('p9', 'x', 2 * HOUR)).toBe('new');
    expect(m.observe('p9', 'x', 2 * HOUR)).toBe('known');
    m.observe('p9', 'y', 2 * HOUR);
    // Two keys per principal: the oldest ("k") was dropped and is new again.
    expect(m.observe('p9', 'k', 2 * HOUR)).toBe('new');
    // p9 idle for longer than the TTL: forgotten, learning again.
    expect(m.observe('p9', 'z', 13 * HOUR)).toBe('learning');
  });

  it('RateCounter keeps at most threshold times per key and maxKeys keys, one burst per quiet window', () => {
    const c = new RateCounter({ windowMs: 1000, threshold: 3, maxKeys: 2 });
    expect([c.add('a', 0), c.add('a', 10), c.add('a', 20)].map((b) => b?.count)).toEqual([undefined, undefined, 3]);
    expect(c.add('a', 30)).toBeUndefined();
    c.add('b', 40);
    c.add('c', 50);
    expect(c.size).toBe(2);
    const saved = JSON.parse(JSON.stringify(c.save())) as { keys: Array<[string, number[]]> };
    expect(saved.keys.every(([, times]) => times.length <= 3)).toBe(true);
    // After a quiet window, "a" can burst again.
    const d = new RateCounter({ windowMs: 1000, threshold: 3, maxKeys: 2 }, { v: 1, keys: [['a', [0, 10, 20], [], 30]] });
    expect(d.add('a', 500)).toBeUndefined();
    expect([d.add('a', 3000), d.add('a', 3001), d.add('a', 3002)].map((b) => b?.count)).toEqual([undefined, undefined, 3]);
  });

  it('ignores saved state of another shape instead of failing', () => {
    expect(new FirstSeenMemory({ learningMs: 1, maxPrincipals: 1, maxKeysPerPrincipal: 1, forgetAfterMs: 1 }, { v: 2 }).size).toBe(0);
    expect(new RateCounter({ windowMs: 1, threshold: 1, maxKeys: 1 }, 'garbage').size).toBe(0);
  });

  it('tells a service account without building its names, exactly when serviceAccountOf finds one', () => {
    const names = ['system:serviceaccount:web:app', 'system:serviceaccount:a:b:c', 'system:serviceaccount:web:', 'system:serviceaccount::app', 'system:serviceaccount:web', 'system:serviceaccount:', 'system:serviceaccount::', 'system:node:worker-1', 'alice@example.com', '', 'x:system:serviceaccount:web:app'];
    for (const n of names) expect([n, isServiceAccount(n)]).toEqual([n, serviceAccountOf(n) !== undefined]);
    expect(names.filter(isServiceAccount)).toEqual(['system:serviceaccount:web:app', 'system:serviceaccount:a:b:c']);
  });

  it('reduces user agents to the client program', () => {
    expect(userAgentClient('kubectl/v1.30.1 (linux/amd64) kubernetes/6911225')).toBe('kubectl');
    expect(userAgentClient('python-requests/2.31.0')).toBe('python-requests');
    expect(userAgentClient('Go-http-client/2.0')).toBe('go-http-client');
    expect(userAgentClient('curl')).toBe('curl');
  });
});

describe('detector state survives a restart', () => {
  const set = compileRuleSet(readRuleSources());
  const at = (h: number) => new Date(Date.UTC(2024, 4, 14, 10) + h * HOUR).toISOString();
  const ev = (h: number, verb: string, resource: string, extra: Record<string, unknown> = {}): SourcedAuditEvent => ({
    file: 'f',
    format: 'kubernetes',
    event: { stage: 'ResponseComplete', verb, user: { username: 'system:serviceaccount:web:app' }, objectRef: { resource, namespace: 'web' }, responseStatus: { code: 200 }, sourceIPs: ['10.0.0.1'], userAgent: 'app/1', stageTimestamp: at(h), ...extra },
  });
  const stream = [ev(0, 'get', 'configmaps'), ev(1, 'list', 'pods'), ev(30, 'get', 'configmaps'), ev(30, 'list', 'secrets', { userAgent: 'curl/8' }), ev(31, 'list', 'secrets'), ev(32, 'delete', 'pods')];
  const ids = (alerts: Array<{ ruleId: string; output: string }>) => alerts.map((a) => `${a.ruleId} ${a.output}`);

  it('gives the same alerts whether the engine runs through or restarts from saved JSON in the middle', () => {
    const whole = new ThreatEngine(set);
    const expected = ids(stream.flatMap((e) => whole.evaluate(e)));
    expect(expected.filter((a) => a.startsWith('PAL-RT-064')).length).toBe(2);
    expect(expected.filter((a) => a.startsWith('PAL-RT-065')).length).toBe(1);
    for (let cut = 1; cut < stream.length; cut++) {
      const first = new ThreatEngine(set);
      const before = stream.slice(0, cut).flatMap((e) => first.evaluate(e));
      const saved = JSON.parse(JSON.stringify(first.saveDetectorStates())) as Record<string, unknown>;
      const second = new ThreatEngine(set, { detectorStates: saved });
      const after = stream.slice(cut).flatMap((e) => second.evaluate(e));
      expect(ids([...before, ...after]), `restart after event ${cut}`).toEqual(expected);
    }
  });

  it('starts fresh without saved state: the learning window begins again', () => {
    const first = new ThreatEngine(set);
    stream.slice(0, 2).forEach((e) => first.evaluate(e));
    const fresh = new ThreatEngine(set);
    expect(stream.slice(2).flatMap((e) => fresh.evaluate(e)).filter((a) => a.ruleId === 'PAL-RT-064')).toEqual([]);
  });
});

describe('memory that follows the cluster', () => {
  it('exec-then-secret-read forgets the account of a pod once the pod is deleted', () => {
    const set = compileRuleSet(readRuleSources());
    const engine = new ThreatEngine(set);
    const t = new Date(Date.UTC(2024, 4, 14, 10)).toISOString();
    const ev = (verb: string, name: string, extra: Record<string, unknown> = {}): SourcedAuditEvent => ({
      file: 'f',
      format: 'kubernetes',
      event: { stage: 'ResponseComplete', verb, user: { username: 'system:serviceaccount:kube-system:replicaset-controller' }, objectRef: { resource: 'pods', namespace: 'web', name }, responseStatus: { code: 200 }, stageTimestamp: t, ...extra },
    });
    for (let i = 0; i < 3; i++) engine.evaluate(ev('create', `p-${i}`, { requestObject: { kind: 'Pod', apiVersion: 'v1', metadata: { name: `p-${i}` }, spec: { serviceAccountName: 'app', containers: [] } } }));
    engine.evaluate(ev('delete', 'p-1'));
    const pods = (engine.saveDetectorStates()['PAL-RT-068'] as { pods: Array<[string, string]> }).pods.map(([pod]) => pod);
    expect(pods).toEqual(['web/p-0', 'web/p-2']);
  });
});

describe('shortcuts of the engine', () => {
  it('a detector skips only prefilter keys whose events it ignores: same findings and memory when it never sees them', async () => {
    const { generateAuditLog } = await import('../../bench/audit.bench.js');
    const { SCENARIOS, simulateEvents } = await import('../app/simulate.js');
    const base = [...SCENARIOS.flatMap((s) => simulateEvents(s.name, Date.UTC(2024, 4, 14))), ...generateAuditLog(2000, 5).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>)];
    // Every event also with other stages and status codes, so that each side of every skip is met.
    const stages = ['RequestReceived', 'ResponseStarted', 'ResponseComplete', 'Panic'];
    const codes = [101, 200, 201, 401, 403, 404, 500];
    const events: AuditEvent[] = base.flatMap((e, i) => [e, { ...e, stage: stages[i % 4], responseStatus: { code: codes[i % 7] } }, { ...e, verb: i % 2 ? 'watch' : 'get', responseStatus: { code: codes[(i + 3) % 7] } }]).map((e) => auditEventSchema.parse(e));
    const withSkips = ALL_DETECTORS.filter((d) => d.skips);
    expect(withSkips.length).toBeGreaterThanOrEqual(5);
    for (const d of withSkips) {
      const all = d.start();
      const some = d.start();
      let skipped = 0;
      let found = 0;
      for (const e of events) {
        const ref = (e.objectRef ?? {}) as { resource?: string; subresource?: string };
        const key = { verb: e.verb, stage: e.stage, resource: ref.resource ?? '', subresource: ref.subresource ?? '', code: e.responseStatus?.code ?? 0 };
        const a = all.observe(buildContext(e));
        found += a.length;
        if (d.skips!(key)) {
          skipped++;
          expect(a, d.slug).toEqual([]);
        } else expect(some.observe(buildContext(e)), d.slug).toEqual(a);
      }
      expect(skipped, d.slug).toBeGreaterThan(100);
      expect(all.save?.(), d.slug).toEqual(some.save?.());
      if (d.slug !== 'exposed-postgres-trust-auth') expect(found, d.slug).toBeGreaterThan(0);
    }
  });

  it('guards and remembered results change nothing: same alerts and statistics as plain CEL evaluation', async () => {
    const { generateAuditLog } = await import('../../bench/audit.bench.js');
    const { parseAuditText } = await import('../inputs/audit/parse.js');
    const set = compileRuleSet(readRuleSources());
    expect(set.rules.filter((r) => r.guard).length).toBeGreaterThan(20);
    expect(set.rules.filter((r) => r.memoKey).length).toBeGreaterThan(3);
    expect(set.rules.filter((r) => r.decide).length).toBeGreaterThan(20);
    const plain = { ...set, rules: set.rules.map(({ guard: _g, memoKey: _m, guards: _gs, memoPaths: _mp, decide: _d, residual: _r, ...r }) => r) };
    // Every rule on, disabled ones included, so that each shortcut is exercised.
    const allOn = (s: typeof set) => ({ ...s, rules: s.rules.map((r) => ({ ...r, def: { ...r.def, enabled: true } })) });
    const events = parseAuditText(generateAuditLog(3000, 11), 'bench').events;
    const a = new ThreatEngine(allOn(set));
    const b = new ThreatEngine(allOn(plain), { prefilter: false });
    // The prefilter alone (guards and memo kept per rule, as without a prefilter key).
    const c = new ThreatEngine(allOn(set), { prefilter: false });
    const out = (e: ThreatEngine) => events.flatMap((ev) => e.evaluate(ev)).map((x) => `${x.ruleId} ${x.output}`);
    const expected = out(b);
    expect(out(a)).toEqual(expected);
    expect(out(c)).toEqual(expected);
    // Same alerts, suppressions and errors; the prefilter only skips evaluations whose result it knows.
    const { evaluations, ...rest } = a.stats;
    const { evaluations: plainEvaluations, ...plainRest } = b.stats;
    expect(rest).toEqual(plainRest);
    expect(c.stats).toEqual(b.stats);
    expect(evaluations).toBeLessThan(plainEvaluations);
    expect(a.stats.alerts).toBeGreaterThan(100);
  });
});
