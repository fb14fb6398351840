import { describe, expect, it } from 'vitest';
import type { Alert, SourcedAuditEvent } from '../model/audit.js';
import { PalisadeError } from '../model/errors.js';
import { compileRuleSet, type RuleSource } from './compile.js';
import { buildContext, imageRepository } from './context.js';
import { dedupeAlerts } from './dedupe.js';
import { ThreatEngine } from './engine.js';
import { expand, tokenize } from './expand.js';
import { ipInRanges, isIpOrCidr } from './ip.js';
import { deriveMatch } from './match-index.js';
import type { ResolvedOverride } from './rule-schema.js';
import { compileTemplate } from './template.js';
import { createRuleEnvironment } from './cel.js';

const rule = (over: Record<string, unknown> = {}) => ({
  id: 'T-001',
  slug: 'test-rule',
  title: 'Test',
  description: 'A test rule.',
  severity: 'medium',
  mitre: { tactics: ['TA0002'] },
  condition: 'kevt && verb == "create" && objectRef.resource == "pods"',
  output: '{user.username} created {target.ref}',
  nextSteps: ['Look.'],
  ...over,
});
const base: RuleSource = { file: 'base.yaml', data: { macros: [{ name: 'kevt', condition: 'stage == "ResponseComplete"' }], lists: [{ name: 'trusted', items: ['alice'] }] } };
const src = (rules: unknown[], extra: Record<string, unknown> = {}): RuleSource => ({ file: 'rules.yaml', data: { rules, ...extra }, locate: (p) => (p[0] === 'rules' ? 10 + Number(p[1]) : undefined) });
const override = (o: Partial<ResolvedOverride>): ResolvedOverride => ({ file: 'override.yaml', lists: {}, macros: {}, rules: {}, customRules: [], ...o });
const ev = (over: Record<string, unknown> = {}): SourcedAuditEvent => ({
  file: 'f.jsonl',
  line: 1,
  format: 'kubernetes',
  event: { stage: 'ResponseComplete', verb: 'create', user: { username: 'bob' }, objectRef: { resource: 'pods', namespace: 'ns', name: 'p' }, auditID: 'a1', stageTimestamp: '2024-01-01T00:00:00Z', ...over } as SourcedAuditEvent['event'],
});

function compileError(sources: RuleSource[], overrides: ResolvedOverride[] = []): PalisadeError {
  try {
    compileRuleSet(sources, overrides, undefined, []);
  } catch (e) {
    if (e instanceof PalisadeError) return e;
    throw e;
  }
  throw new Error('expected a compile error');
}

describe('expansion of lists and macros', () => {
  const scope = { lists: new Map([['users', ['a', 'b"c']]]), macros: new Map([['m', 'verb == "get"'], ['n', 'm || users.size() > 0']]) };
  it('replaces free names, never string contents, members or function names', () => {
    expect(expand('n && "users m" == objectRef.users && m', scope)).toBe('((verb == "get") || ["a", "b\\"c"].size() > 0) && "users m" == objectRef.users && (verb == "get")');
    expect(expand('x.?m.orValue(1)', scope)).toBe('x.?m.orValue(1)');
    expect(tokenize('r"a\\b" + \'c\\\'d\' + \'\'\'x\'\'\'').filter((t) => t.kind === 'string').map((t) => t.text)).toEqual(['r"a\\b"', "'c\\'d'", "'''x'''"]);
  });
  it('detects cycles and comprehension variables that shadow a name', () => {
    expect(() => expand('a', { lists: new Map(), macros: new Map([['a', 'b'], ['b', 'a']]) })).toThrow(/cycle: a -> b -> a/);
    expect(() => expand('containers.exists(users, true)', scope)).toThrow(/comprehension variable "users"/);
  });
});

describe('verb and resource sets derived from conditions', () => {
  const env = createRuleEnvironment();
  const sets = (cel: string) => {
    const m = deriveMatch((env.parse(cel) as unknown as { ast: unknown }).ast);
    return { verbs: m.verbs ? [...m.verbs].sort() : '*', resources: m.resources ? [...m.resources].sort() : '*' };
  };
  it('narrows on conjunctions, widens on disjunctions, and gives up on anything else', () => {
    expect(sets('verb == "create" && objectRef.resource in ["pods", "services"]')).toEqual({ verbs: ['create'], resources: ['pods', 'services'] });
    expect(sets('(verb == "create" && target.resource == "pods") || (verb == "delete" && objectRef.resource == "secrets")')).toEqual({ verbs: ['create', 'delete'], resources: ['pods', 'secrets'] });
    expect(sets('verb == "create" || stage == "x"')).toEqual({ verbs: '*', resources: '*' });
    expect(sets('verb in ["get", "list"] && verb == "get"')).toEqual({ verbs: ['get'], resources: '*' });
    expect(sets('!(verb == "get")')).toEqual({ verbs: '*', resources: '*' });
  });
});

describe('addresses and ranges', () => {
  it('matches IPv4, IPv6, mapped addresses and CIDRs; malformed entries match nothing', () => {
    expect(ipInRanges('192.0.2.66', ['192.0.2.66'])).toBe(true);
    expect(ipInRanges('198.51.100.15', ['198.51.100.0/28'])).toBe(true);
    expect(ipInRanges('198.51.100.16', ['198.51.100.0/28'])).toBe(false);
    expect(ipInRanges('2001:db8:dead::1', ['2001:db8:dead::/48'])).toBe(true);
    expect(ipInRanges('2001:db8:beef::1', ['2001:db8:dead::/48'])).toBe(false);
    expect(ipInRanges('::ffff:192.0.2.66', ['192.0.2.0/24'])).toBe(true);
    expect(ipInRanges('10.0.0.1', ['0.0.0.0/0'])).toBe(true);
    expect(ipInRanges('10.0.0.1', ['10.0.0.300', 'nonsense', '10.0.0.0/33'])).toBe(false);
    expect(ipInRanges('not-an-ip', ['0.0.0.0/0'])).toBe(false);
    expect([isIpOrCidr('::/0'), isIpOrCidr('1.2.3.4/24'), isIpOrCidr('1.2.3'), isIpOrCidr('fe80::1%eth0')]).toEqual([true, true, false, true]);
  });
});

describe('context', () => {
  it('defaults absent fields, names created objects, and flattens pod templates', () => {
    const c = buildContext({
      stage: 'ResponseComplete',
      verb: 'create',
      user: {},
      objectRef: { resource: 'deployments', namespace: 'web' },
      requestObject: { kind: 'Deployment', metadata: { name: 'api' }, spec: { template: { spec: { initContainers: [{ name: 'i', image: 'r.io:5000/a/b:1@sha256:00' }], containers: [{ name: 'c', image: 'nginx' }] } } } },
      requestURI: '/apis/apps/v1/namespaces/web/deployments?fieldManager=kubectl&dryRun=All',
    });
    expect(c.target).toMatchObject({ name: 'api', namespace: 'web', ref: 'web/api', subresource: '' });
    expect(c.user).toMatchObject({ username: '', groups: [] });
    expect(c.responseStatus).toMatchObject({ code: 0 });
    expect((c.containers as Array<Record<string, unknown>>).map((x) => [x.containerType, x.imageRepository])).toEqual([['container', 'nginx'], ['initContainer', 'r.io:5000/a/b']]);
    expect(c.uriParams).toEqual({ fieldManager: 'kubectl', dryRun: 'All' });
    expect(imageRepository('localhost:5000/x')).toBe('localhost:5000/x');
  });
});

describe('templates', () => {
  it('renders paths, keys with dots, lists and missing values', () => {
    const t = compileTemplate('{user.username} {annotations["a.b/c"]} {images} {missing.x[0]} {{literal}}', new Set(['user', 'annotations', 'images', 'missing']));
    expect(t.render({ user: { username: 'u' }, annotations: { 'a.b/c': 'v' }, images: ['a', 'b'] })).toBe('u v a, b <none> {literal}');
    expect(() => compileTemplate('{nope.x}', new Set(['user']))).toThrow(/"nope" is not a context variable/);
    expect(() => compileTemplate('{user', new Set(['user']))).toThrow(/unclosed/);
  });
});

describe('compiling rule sets', () => {
  it('compiles, applies list and macro overrides, and tag and id patches in order', () => {
    const set = compileRuleSet(
      [base, src([rule({ condition: 'kevt && verb == "create" && objectRef.resource == "pods" && !(user.username in trusted)' }), rule({ id: 'T-002', slug: 'other', tags: ['activity'], enabled: false })])],
      [override({ lists: { trusted: { append: ['bob'] } }, rules: { 'tag:activity': { enabled: true }, 'T-001': { severity: 'high' } } }), override({ file: 'second.yaml', rules: { other: { enabled: false } } })],
      undefined,
      [],
    );
    const [a, b] = set.rules;
    expect(a!.def.severity).toBe('high');
    expect(a!.expanded).toContain('["alice", "bob"]');
    expect(b!.def.enabled).toBe(false);
    expect(set.lists.get('trusted')!.files).toEqual(['base.yaml', 'override.yaml']);
    expect([...a!.match.verbs!]).toEqual(['create']);
  });

  it('names the file, line and rule of a broken condition', () => {
    const e = compileError([base, src([rule(), rule({ id: 'T-002', slug: 'b', condition: 'verb == ' })])]);
    expect(e.message).toMatch(/^rules\.yaml:11 \(rules\[1\]\.condition\): rule T-002: CEL syntax error/);
    expect(compileError([base, src([rule({ condition: 'kevt && nosuchname' })])]).message).toMatch(/rule T-001: "nosuchname" is not a context variable, list or macro/);
    expect(compileError([base, src([rule({ condition: 'verb' })])]).message).toMatch(/the condition is a string, not a bool/);
    expect(compileError([base, src([rule({ output: '{usr.name}' })])]).message).toMatch(/output template: \{usr\.name\}/);
    expect(compileError([base, src([rule(), rule({ slug: 'x' })])]).message).toMatch(/id "T-001" is already used/);
    expect(compileError([base, src([rule({ severity: 'urgent' })])]).message).toMatch(/rules\.yaml:10 \(rules\[0\]\.severity\): rule T-001:/);
    expect(compileError([base, src([], { macros: [{ name: 'verb', condition: 'true' }] })]).message).toMatch(/macro "verb" has the name of a context variable/);
  });

  it('rejects overrides of unknown names, appends to missing lists, and broken custom rules', () => {
    expect(compileError([base, src([rule()])], [override({ lists: { nope: { append: ['x'] } } })]).message).toMatch(/^override\.yaml.*list "nope" does not exist/);
    expect(compileError([base, src([rule()])], [override({ rules: { 'T-404': { enabled: true } } })]).message).toMatch(/no rule has the id or slug "T-404"/);
    expect(compileError([base, src([rule()])], [override({ rules: { 'tag:none': { enabled: true } } })]).message).toMatch(/no rule has the tag "none"/);
    expect(compileError([base, src([rule()])], [override({ customRules: [rule({ id: 'C-1', slug: 'c', condition: 'kevt &&' }) as never] })]).message).toMatch(/^override\.yaml.*rule C-1: CEL syntax error/);
    const ok = compileRuleSet([base, src([rule()])], [override({ lists: { mine: { items: ['x'] } }, macros: { kevt: 'stage != ""' }, customRules: [rule({ id: 'C-1', slug: 'c', condition: 'kevt && user.username in mine' }) as never] })], undefined, []);
    expect(ok.rules.map((r) => r.file)).toEqual(['rules.yaml', 'override.yaml']);
  });
});

describe('engine', () => {
  const set = compileRuleSet([
    base,
    src([
      rule({ exceptions: [{ name: 'trusted users', condition: 'user.username in trusted' }] }),
      rule({ id: 'T-002', slug: 'broken', condition: 'verb == "create" && requestObject.spec.replicas > 1' }),
      rule({ id: 'T-003', slug: 'secrets', condition: 'objectRef.resource == "secrets"' }),
    ]),
  ], [], undefined, []);

  it('alerts with entities and rendered output, suppresses exceptions, counts evaluation errors', () => {
    const engine = new ThreatEngine(set);
    const [alert] = engine.evaluate(ev({ sourceIPs: ['192.0.2.1'], userAgent: 'kubectl' }));
    expect(alert).toMatchObject({ ruleId: 'T-001', output: 'bob created ns/p', count: 1, auditIds: ['a1'], entities: { user: 'bob', namespace: 'ns', name: 'p', resource: 'pods', sourceIP: '192.0.2.1', verb: 'create' }, source: { file: 'f.jsonl', line: 1 } });
    expect(engine.evaluate(ev({ user: { username: 'alice' } }))).toEqual([]);
    expect(engine.stats.suppressed).toEqual({ 'T-001/trusted users': 1 });
    expect(engine.stats.errors['T-002']).toMatchObject({ count: 2 });
  });

  it('evaluates an event only against rules whose verb and resource admit it', () => {
    const engine = new ThreatEngine(set);
    expect(engine.rulesFor('get', 'secrets').map((r) => r.def.id)).toEqual(['T-003']);
    expect(engine.rulesFor('create', 'pods').map((r) => r.def.id)).toEqual(['T-001', 'T-002']);
    engine.evaluate(ev({ verb: 'get', objectRef: { resource: 'configmaps' } }));
    expect(engine.stats.evaluations).toBe(0);
  });
});

describe('deduplication', () => {
  const a = (time: string, user = 'bob', id = time): Alert => ({
    ruleId: 'R', slug: 'r', title: 'R', severity: 'low', mitre: { tactics: ['TA0002'], techniques: [] }, output: 'o', entities: { user, verb: 'get' }, time, auditIds: [id], count: 1, source: { file: 'f', format: 'kubernetes' }, equivalents: {},
  });
  it('merges the same rule and entities within the window, keeping first time and counting', () => {
    const out = dedupeAlerts([a('2024-01-01T00:00:00Z'), a('2024-01-01T00:04:00Z'), a('2024-01-01T00:03:00Z', 'eve'), a('2024-01-01T00:06:00Z'), a('2024-01-01T00:04:00Z', 'bob', '2024-01-01T00:00:00Z')], 5 * 60_000);
    expect(out.map((x) => [x.entities.user, x.time, x.lastTime, x.count, x.auditIds.length])).toEqual([
      ['bob', '2024-01-01T00:00:00Z', '2024-01-01T00:04:00Z', 3, 2],
      ['eve', '2024-01-01T00:03:00Z', undefined, 1, 1],
      ['bob', '2024-01-01T00:06:00Z', undefined, 1, 1],
    ]);
    expect(dedupeAlerts([a('2024-01-01T00:00:00Z'), a('2024-01-01T00:00:01Z')], 0)).toHaveLength(2);
  });
});
