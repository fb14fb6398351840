import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { readRuleSources } from '../app/audit.js';
import { auditEventSchema, type SourcedAuditEvent } from '../model/audit.js';
import { compileRuleSet, type RuleSet } from './compile.js';
import { ALL_DETECTORS } from './detectors/index.js';
import { ThreatEngine } from './engine.js';

/**
 * The shipped threat rules: ids and slugs, coverage of Falco's k8saudit ruleset, and every rule's fixture cases
 * (`__fixtures__/<slug>.yaml`: `fail` events must raise the rule, `pass` events must not). Activity-stream rules
 * are covered by the Falco conformance cases instead.
 */
const here = dirname(fileURLToPath(import.meta.url));
const fixturesDir = join(here, '__fixtures__');
const shipped = compileRuleSet(readRuleSources());
const NO_FIXTURE_TAGS = ['activity', 'debug'];

/** Defender for Containers control-plane alert types (K8S_ prefix), as documented in its alerts reference. */
const DEFENDER_ALERT_TYPES = new Set([
  'K8S_ExposedPostgresTrustAuth', 'K8S_ExposedPostgresBroadIPRange', 'K8S_AbnormalMiActivity', 'K8S_ServiceAccountRareOperation', 'K8S_SensitiveMount',
  'K8S_CoreDnsModification', 'K8S_AdmissionController', 'K8S_MaliciousContainerImage', 'K8S_ExposedKubeflow', 'K8S_ExposedDashboard', 'K8S_ExposedService',
  'K8S_ExposedRedis', 'K8S_TI_Proxy', 'K8S_DeleteEvents', 'K8S_PenTestToolsKubeHunter', 'K8S_KubeSystemContainer', 'K8S_HighPrivilegesRole',
  'K8S_PrivilegedContainer', 'K8S_ClusterAdminBinding', 'K8S_AnomalousPodDeployment', 'K8S_ServiceAcountPermissionAnomaly', 'K8S_AnomalousSecretAccess',
]);

/** A case is one event, or (for stateful detectors) a sequence of events read in order. */
interface Case {
  name: string;
  event?: Record<string, unknown>;
  events?: Array<Record<string, unknown>>;
}
interface Fixture {
  lists?: Record<string, string[]>;
  fail: Case[];
  pass: Case[];
}

/** A completed, allowed request by a human user, which each case changes. */
const DEFAULT_EVENT = {
  kind: 'Event',
  apiVersion: 'audit.k8s.io/v1',
  level: 'RequestResponse',
  auditID: '00000000-0000-4000-8000-000000000000',
  stage: 'ResponseComplete',
  verb: 'create',
  user: { username: 'alice@example.com', groups: ['system:authenticated'] },
  sourceIPs: ['203.0.113.10'],
  userAgent: 'kubectl/v1.30.1 (linux/amd64) kubernetes/6911225',
  responseStatus: { code: 201 },
  annotations: { 'authorization.k8s.io/decision': 'allow', 'authorization.k8s.io/reason': '' },
  requestReceivedTimestamp: '2024-05-14T10:00:00.000000Z',
  stageTimestamp: '2024-05-14T10:00:00.010000Z',
};

function merge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    if (v === null) delete out[k];
    else out[k] = typeof v === 'object' && !Array.isArray(v) && typeof b === 'object' && b !== null && !Array.isArray(b) ? merge(b as Record<string, unknown>, v as Record<string, unknown>) : v;
  }
  return out;
}

function engineFor(slug: string, lists: Record<string, string[]> | undefined): ThreatEngine {
  const set: RuleSet = lists
    ? compileRuleSet(readRuleSources(), [{ file: 'fixture', lists: Object.fromEntries(Object.entries(lists).map(([k, items]) => [k, { items }])), macros: {}, rules: {}, customRules: [] }])
    : shipped;
  // Only the rule under test, enabled even when it ships disabled.
  return new ThreatEngine({ ...set, rules: set.rules.filter((r) => r.def.slug === slug).map((r) => ({ ...r, def: { ...r.def, enabled: true } })) });
}

function sourced(event: Record<string, unknown>, name: string): SourcedAuditEvent {
  const parsed = auditEventSchema.safeParse(merge(DEFAULT_EVENT, event));
  if (!parsed.success) throw new Error(`fixture "${name}" is not a valid audit event: ${parsed.error.issues[0]?.message}`);
  return { event: parsed.data, file: name, format: 'kubernetes' };
}

describe('shipped threat rules', () => {
  it('have stable, unique ids and slugs, MITRE references and known Defender alert types', () => {
    const ids = shipped.rules.map((r) => r.def.id);
    expect(ids.every((id) => /^PAL-RT-\d{3}$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(shipped.rules.map((r) => r.def.slug)).size).toBe(ids.length);
    const defender = shipped.rules.flatMap((r) => r.def.equivalents.defender ?? []);
    expect(defender.filter((d) => !DEFENDER_ALERT_TYPES.has(d))).toEqual([]);
    expect(defender.length).toBeGreaterThanOrEqual(18);
  });

  it('list every detector file of detectors/ in its index, once', () => {
    const files = readdirSync(join(here, 'detectors')).filter((f) => f.endsWith('.ts') && !['index.ts', 'detector.ts'].includes(f) && !f.endsWith('.test.ts')).map((f) => f.slice(0, -3)).sort();
    expect(ALL_DETECTORS.map((d) => d.slug).sort()).toEqual(files);
    for (const d of ALL_DETECTORS) expect(shipped.rules.find((r) => r.def.id === d.id)?.detector).toBe(d);
  });

  it('have a fixture file for every rule outside the activity stream, and no fixture without a rule', () => {
    const files = readdirSync(fixturesDir).filter((f) => f.endsWith('.yaml')).map((f) => f.slice(0, -5)).sort();
    const expected = shipped.rules.filter((r) => !r.def.tags.some((t) => NO_FIXTURE_TAGS.includes(t))).map((r) => r.def.slug).sort();
    expect(files).toEqual(expected);
  });

  const corpusRules = resolve(here, '../../../shared/corpus/falco-k8saudit/plugins/plugins/k8saudit/rules/k8s_audit_rules.yaml');
  it.skipIf(!existsSync(corpusRules))('cover every rule of Falco\'s k8saudit ruleset through equivalents.falco', () => {
    const falco = (parse(readFileSync(corpusRules, 'utf8')) as Array<{ rule?: string }>).filter((x) => x.rule).map((x) => x.rule!);
    const covered = new Set(shipped.rules.flatMap((r) => r.def.equivalents.falco ?? []));
    expect(falco.length).toBeGreaterThan(40);
    expect(falco.filter((name) => !covered.has(name))).toEqual([]);
  });
});

describe('rule fixtures', () => {
  for (const file of readdirSync(fixturesDir).filter((f) => f.endsWith('.yaml')).sort()) {
    const slug = file.slice(0, -5);
    it(slug, () => {
      const fx = parse(readFileSync(join(fixturesDir, file), 'utf8')) as Fixture;
      expect(fx.fail.length).toBeGreaterThan(0);
      expect(fx.pass.length).toBeGreaterThan(0);
      const run = (c: Case) => {
        // A fresh engine per case: detectors must not remember another case's events.
        const engine = engineFor(slug, fx.lists);
        const alerts = (c.events ?? [c.event!]).flatMap((e, i) => engine.evaluate(sourced(e, `${c.name} [${i}]`)));
        expect(engine.stats.errors, `case "${c.name}"`).toEqual({});
        return alerts.map((a) => a.slug);
      };
      for (const c of fx.fail) expect(run(c), `fail case "${c.name}"`).toEqual([slug]);
      for (const c of fx.pass) expect(run(c), `pass case "${c.name}"`).toEqual([]);
    });
  }
});
