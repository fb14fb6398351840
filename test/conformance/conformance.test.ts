import { describe, expect, it } from 'vitest';
import { checkovResourceId, compareCounts, compareResourceSets, countStatuses, resolvePeerResourceId, type ResourceVerdict } from './compare.js';
import { findKnownDifference, matchesKnownDifference, parseKnownDifferences, unusedKnownDifferences } from './known-differences.js';
import type { CaseResult, KnownDifference } from './model.js';
import type { Check } from '../../src/misconfig/check.js';
import { parseGrade, translateConfig } from './peers/kube-score.js';
import { describeFiles } from './report.js';
import { exitCodeFor, totalsOf } from './summary.js';

function result(over: Partial<CaseResult> = {}): CaseResult {
  return {
    peer: 'checkov', peerCheck: 'CKV_K8S_16', palisadeChecks: ['PAL-001'], outcome: 'disagree', expected: 'failed', got: 'passed',
    files: ['tests/kubernetes/checks/example_PrivilegedContainers/pod-FAILED.yaml'],
    ...over,
  };
}

describe('checkov resource ids', () => {
  it('formats Kind.namespace.name with default for an unset namespace', () => {
    expect(checkovResourceId('Deployment', 'prod', 'web')).toBe('Deployment.prod.web');
    expect(checkovResourceId('Pod', undefined, 'p')).toBe('Pod.default.p');
    expect(checkovResourceId('Pod', '', 'p')).toBe('Pod.default.p');
  });

  it('uses default for cluster-scoped kinds too, and keeps a namespace written on them', () => {
    expect(checkovResourceId('ClusterRoleBinding', undefined, 'crb')).toBe('ClusterRoleBinding.default.crb');
    expect(checkovResourceId('ClusterRole', 'test', 'cr')).toBe('ClusterRole.test.cr');
  });

  it('resolves graph pod ids derived from a workload template to the workload', () => {
    const owners = [
      { id: 'Deployment.default.web', kind: 'Deployment', namespace: undefined, name: 'web' },
      { id: 'Deployment.default.web-api', kind: 'Deployment', namespace: undefined, name: 'web-api' },
      { id: 'Pod.default.solo', kind: 'Pod', namespace: undefined, name: 'solo' },
    ];
    const known = new Set(['Deployment.default.web', 'Deployment.default.web-api', 'Pod.default.solo']);
    expect(resolvePeerResourceId('Pod.default.web.app-web', known, owners)).toBe('Deployment.default.web');
    expect(resolvePeerResourceId('Pod.default.web-api.app-api', known, owners)).toBe('Deployment.default.web-api');
    expect(resolvePeerResourceId('Pod.default.solo', known, owners)).toBe('Pod.default.solo');
    expect(resolvePeerResourceId('Pod.other.web.app-web', known, owners)).toBe('Pod.other.web.app-web');
    expect(resolvePeerResourceId('Role.default.r', known, owners)).toBe('Role.default.r');
  });
});

describe('count comparison', () => {
  const verdicts: ResourceVerdict[] = [
    { id: 'Pod.default.a', status: 'passed' },
    { id: 'Pod.default.a', status: 'failed' },
    { id: 'Pod.default.b', status: 'skipped' },
    { id: 'Pod.default.c', status: 'not-applied' },
    { id: 'Pod.default.d', status: 'error' },
  ];

  it('counts every resource once, duplicates included, and ignores resources no check applied to', () => {
    expect(countStatuses(verdicts)).toEqual({ passed: 1, failed: 1, skipped: 1 });
  });

  it('compares only the fields the peer asserts', () => {
    expect(compareCounts({ passed: 1, failed: 1 }, { passed: 1, failed: 1, skipped: 7 })).toEqual({ agree: true, expected: 'passed=1 failed=1', got: 'passed=1 failed=1' });
    expect(compareCounts({ passed: 1, failed: 1, skipped: 0 }, { passed: 1, failed: 1, skipped: 1 }).agree).toBe(false);
    expect(compareCounts({}, { passed: 0, failed: 0, skipped: 0 }).agree).toBe(false);
  });

  it('compares per resource as sets, reporting resources the peer does not list', () => {
    const cmp = compareResourceSets(['Pod.default.a', 'Pod.default.x'], ['Pod.default.b'], [
      { id: 'Pod.default.a', status: 'passed' },
      { id: 'Pod.default.a', status: 'passed' },
      { id: 'Pod.default.b', status: 'skipped' },
      { id: 'Pod.default.extra', status: 'failed' },
      { id: 'Pod.default.ignored', status: 'not-applied' },
    ]);
    expect(cmp).toEqual([
      { id: 'Pod.default.a', expected: 'passed', got: 'passed', agree: true },
      { id: 'Pod.default.x', expected: 'passed', got: 'not evaluated', agree: false },
      { id: 'Pod.default.b', expected: 'failed', got: 'not evaluated', agree: false },
      { id: 'Pod.default.extra', expected: 'not evaluated', got: 'failed', agree: false },
    ]);
  });

  it('treats a crashed check as a disagreement', () => {
    expect(compareResourceSets([], ['Pod.default.a'], [{ id: 'Pod.default.a', status: 'error' }])[0]).toMatchObject({ got: 'error', agree: false });
  });
});

describe('known differences', () => {
  const known: KnownDifference[] = [
    { peer: 'checkov', check: 'CKV_K8S_16', case: 'tests/kubernetes/checks/example_PrivilegedContainers/*.yaml', reason: 'verified peer bug in the test data' },
    { peer: 'checkov', check: 'CKV_K8S_20', case: '**/example_AllowPrivilegeEscalation/**', resource: 'Pod.default.*', reason: 'deliberate: pods only, verified' },
  ];

  it('matches on peer, check (case-insensitive) and a file glob', () => {
    expect(findKnownDifference(known, result())).toBe(known[0]);
    expect(findKnownDifference(known, result({ peerCheck: 'ckv_k8s_16' }))).toBe(known[0]);
    expect(findKnownDifference(known, result({ peer: 'polaris' }))).toBeUndefined();
    expect(findKnownDifference(known, result({ files: ['tests/kubernetes/checks/example_Other/pod.yaml'] }))).toBeUndefined();
  });

  it('matches when any case file matches, and honours the optional resource glob', () => {
    const r = result({ peerCheck: 'CKV_K8S_20', files: ['a/b.yaml', 'tests/kubernetes/checks/example_AllowPrivilegeEscalation/x/p.yaml'] });
    expect(matchesKnownDifference(known[1]!, { ...r, resource: 'Pod.default.p' })).toBe(true);
    expect(matchesKnownDifference(known[1]!, { ...r, resource: 'Deployment.default.p' })).toBe(false);
    expect(matchesKnownDifference(known[1]!, r)).toBe(false);
  });

  it('honours pinned expected and got values', () => {
    const pinned: KnownDifference = { ...known[0]!, expected: 'passed=1 failed=2', got: 'passed=2 failed=1' };
    expect(matchesKnownDifference(pinned, result({ expected: 'passed=1 failed=2', got: 'passed=2 failed=1' }))).toBe(true);
    expect(matchesKnownDifference(pinned, result({ expected: 'passed=1 failed=2', got: 'passed=1 failed=1' }))).toBe(false);
  });

  it('lists entries that explain no disagreement', () => {
    expect(unusedKnownDifferences(known, [result()])).toEqual([known[1]]);
  });

  it('parses the data file and rejects malformed entries', () => {
    expect(parseKnownDifferences('[]\n', 'k.yaml')).toEqual([]);
    expect(parseKnownDifferences('# nothing yet\n', 'k.yaml')).toEqual([]);
    expect(parseKnownDifferences('- {peer: polaris, check: hostPIDSet, case: "test/checks/hostPIDSet/*", reason: "verified deliberate difference"}\n', 'k.yaml')).toHaveLength(1);
    expect(() => parseKnownDifferences('- {peer: trivy, check: x, case: y, reason: "some long reason"}\n', 'k.yaml')).toThrow(/k\.yaml at 0\.peer/);
    expect(() => parseKnownDifferences('- {peer: polaris, check: x, case: y}\n', 'k.yaml')).toThrow(/reason/);
  });
});

describe('totals and exit code', () => {
  it('computes agreement over compared cases only, and fails on unexplained disagreements', () => {
    const results = [
      result({ outcome: 'agree' }),
      result({ outcome: 'no-equivalent' }),
      result({ outcome: 'skipped' }),
      result({ outcome: 'out-of-scope' }),
      result({ outcome: 'disagree', peerCheck: 'CKV_K8S_99' }),
    ];
    const t = totalsOf(results, []);
    expect(t).toMatchObject({ cases: 5, compared: 2, agree: 1, disagree: 1, unexplained: 1, noEquivalent: 1, skipped: 1, outOfScope: 1, agreementPct: 50 });
    expect(exitCodeFor(t)).toBe(1);
  });

  it('passes at or above the threshold when every disagreement is explained', () => {
    const known: KnownDifference[] = [{ peer: 'checkov', check: 'CKV_K8S_16', case: '**', reason: 'verified deliberate difference' }];
    const results = [...Array.from({ length: 19 }, () => result({ outcome: 'agree' })), result()];
    expect(exitCodeFor(totalsOf(results, known))).toBe(0);
    expect(exitCodeFor(totalsOf([result({ outcome: 'agree' }), result()], known))).toBe(1);
    expect(exitCodeFor(totalsOf([result({ outcome: 'no-equivalent' })], []))).toBe(0);
  });
});

describe('case file naming', () => {
  it('abbreviates many files of one folder', () => {
    expect(describeFiles(['a/x.yaml'])).toBe('a/x.yaml');
    expect(describeFiles(['a/x.yaml', 'a/y.yaml'])).toBe('a/x.yaml + a/y.yaml');
    expect(describeFiles(['a/x.yaml', 'a/y.yaml', 'a/z.yaml'])).toBe('a/ (3 files)');
    expect(describeFiles(['a/b/x.yaml', 'a/c/y.yaml', 'a/c/z.yaml'])).toBe('a/** (3 files)');
  });
});

describe('kube-score configuration translation', () => {
  const fake = (id: string, equivalents: Check['equivalents'], parameters?: string[]): Check => ({
    id, slug: id.toLowerCase(), title: id, description: id, remediation: id, severity: 'low', category: 'resources', kinds: ['Pod'],
    equivalents, parameters, evaluate: () => [],
  });
  const cpuLimit = fake('PAL-901', { polaris: ['cpuLimitsMissing'] });
  const memLimit = fake('PAL-902', { checkov: ['CKV_K8S_13'] });
  const replicas = fake('PAL-903', {}, ['minReplicas']);

  it('parses grades, with the zero value meaning skipped', () => {
    expect(parseGrade('Critical(1)')).toBe('Critical');
    expect(parseGrade('AllOK(10)')).toBe('AllOK');
    expect(parseGrade('0 (zero value: check expected skipped, per comment)')).toBe('skipped');
    expect(parseGrade(null)).toBeUndefined();
  });

  it('deselects the CPU-limit check for IgnoreContainerCpuLimitRequirement', () => {
    const t = translateConfig('&config.RunConfiguration{ IgnoreContainerCpuLimitRequirement: true, }', null, [cpuLimit, memLimit]);
    expect('checks' in t && t.checks.map((c) => c.id)).toEqual(['PAL-902']);
    const f = translateConfig('&config.RunConfiguration{ IgnoreContainerCpuLimitRequirement: false, }', null, [cpuLimit, memLimit]);
    expect('checks' in f && f.checks.map((c) => c.id)).toEqual(['PAL-901', 'PAL-902']);
  });

  it('skips what it cannot express, with the reason', () => {
    const both = fake('PAL-904', { polaris: ['cpuLimitsMissing', 'memoryLimitsMissing'] });
    expect(translateConfig('&config.RunConfiguration{ IgnoreContainerCpuLimitRequirement: true, }', null, [both])).toMatchObject({ skip: expect.stringMatching(/cannot be deselected alone/) });
    expect(translateConfig('&config.RunConfiguration{ MinReplicasDeployment: 3, }', null, [cpuLimit])).toMatchObject({ skip: expect.stringMatching(/no Palisade parameter/) });
    expect(translateConfig('&config.RunConfiguration{ KubernetesVersion: config.Semver{Major: 1, Minor: 4}, }', null, [cpuLimit])).toMatchObject({ skip: expect.stringMatching(/target-version/) });
    expect(translateConfig(null, '&checks.Config{ IgnoredTests: ignoredTests, }', [cpuLimit])).toMatchObject({ skip: expect.stringMatching(/not translated/) });
  });

  it('maps replica minimums to parameters and the ignore flag to annotation handling', () => {
    const t = translateConfig('&config.RunConfiguration{ MinReplicasDeployment: 5, }', null, [replicas]);
    expect('checks' in t && t.params?.minReplicas).toBe(5);
    expect(translateConfig('&config.RunConfiguration{ UseIgnoreChecksAnnotation: true, }', null, [replicas])).toMatchObject({ annotations: 'on' });
    expect(translateConfig('KubernetesVersion=1.18 (default of testExpectedScore)', null, [replicas])).toMatchObject({ annotations: 'off' });
  });
});
