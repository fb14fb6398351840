import { describe, expect, it } from 'vitest';
import { parseManifestText } from '../inputs/manifests/parse.js';
import type { ConfigExemption } from '../model/config.js';
import { evaluate } from './engine.js';
import { hostPid } from './checks/host-pid.js';
import { privilegedContainer } from './checks/privileged-container.js';

const now = new Date('2026-06-01T00:00:00Z');
const checks = [privilegedContainer, hostPid];

function pod(name: string, annotations: Record<string, string> = {}, opts: { hostPID?: boolean; namespace?: string; labels?: Record<string, string> } = {}): string {
  const ann = Object.entries(annotations).map(([k, v]) => `    ${JSON.stringify(k)}: ${JSON.stringify(v)}`).join('\n');
  const labels = Object.entries(opts.labels ?? {}).map(([k, v]) => `    ${k}: ${v}`).join('\n');
  return `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  namespace: ${opts.namespace ?? 'apps'}
${ann ? `  annotations:\n${ann}\n` : ''}${labels ? `  labels:\n${labels}\n` : ''}spec:
  hostPID: ${opts.hostPID ?? false}
  containers:
    - name: app
      image: app:1
      securityContext: {privileged: true}
    - name: sidecar
      image: side:1
      securityContext: {privileged: true}
`;
}

function run(text: string, extra: { config?: ConfigExemption[]; mode?: 'on' | 'own-only' | 'off' } = {}) {
  const { resources, errors } = parseManifestText('m.yaml', text);
  expect(errors).toEqual([]);
  return evaluate(resources, { checks, now, configExemptions: extra.config, annotationExemptions: extra.mode ?? 'on', configFile: 'palisade.yaml' });
}

describe('annotation exemptions', () => {
  it('exempts listed checks by id or slug, keeps the finding with its reason, and reports nothing else', () => {
    const r = run(pod('a', { 'palisade.dev/exempt': 'PAL-001', 'palisade.dev/exempt-reason': 'needs devices' }));
    expect(r.findings).toEqual([]);
    expect(r.exempted).toHaveLength(2);
    expect(r.exempted[0]!.exemption).toMatchObject({ origin: 'annotation', reason: 'needs devices', source: 'm.yaml:7' });
    expect(r.exemptionIssues).toEqual([]);
    expect(r.score.value).toBe(100);
  });

  it('limits a container-scoped exemption to that container', () => {
    const r = run(pod('a', { 'palisade.dev/exempt': 'privileged-container:sidecar' }));
    expect(r.findings.map((f) => f.container)).toEqual(['app']);
    expect(r.exempted.map((f) => f.container)).toEqual(['sidecar']);
  });

  it('stops applying an expired exemption and says so', () => {
    const r = run(pod('a', { 'palisade.dev/exempt': 'PAL-001', 'palisade.dev/exempt-expires': '2026-01-31' }));
    expect(r.findings).toHaveLength(2);
    expect(r.exemptionIssues).toHaveLength(1);
    expect(r.exemptionIssues[0]).toMatchObject({ kind: 'expired', expires: '2026-01-31', source: 'm.yaml:7' });
  });

  it('reports an exemption that matches no finding', () => {
    const r = run(pod('a', { 'palisade.dev/exempt': 'host-pid' }));
    expect(r.exemptionIssues).toHaveLength(1);
    expect(r.exemptionIssues[0]).toMatchObject({ kind: 'unmatched', checks: ['host-pid'] });
    expect(r.exemptionIssues[0]!.message).toContain('Pod/apps/a');
  });

  it('reports an exemption naming a check that does not exist', () => {
    const r = run(pod('a', { 'palisade.dev/exempt': 'no-such-check' }));
    expect(r.exemptionIssues[0]).toMatchObject({ kind: 'unknown-check', checks: ['no-such-check'] });
  });

  it.each([
    ['polaris', { 'polaris.fairwinds.com/runAsPrivileged-exempt': 'true' }, 'polaris-annotation'],
    ['polaris (all checks)', { 'polaris.fairwinds.com/exempt': 'true' }, 'polaris-annotation'],
    ['kube-score', { 'kube-score/ignore': 'container-security-context-privileged' }, 'kube-score-annotation'],
    ['checkov', { 'checkov.io/skip1': 'CKV_K8S_16=legacy driver' }, 'checkov-annotation'],
    ['kube-linter', { 'ignore-check.kube-linter.io/privileged-container': 'legacy driver' }, 'kube-linter-annotation'],
    ['kubescape', { 'kubescape.io/ignore': 'true' }, 'kubescape-annotation'],
  ])('honours %s annotations through equivalents', (_name, ann, origin) => {
    const r = run(pod('a', ann));
    expect(r.findings).toEqual([]);
    expect(r.exempted.every((f) => f.exemption.origin === origin)).toBe(true);
    expect(r.exempted).toHaveLength(2);
  });

  it('reports a foreign exemption with no Palisade equivalent instead of ignoring it silently', () => {
    const r = run(pod('a', { 'checkov.io/skip1': 'CKV_K8S_9999=whatever' }));
    expect(r.findings).toHaveLength(2);
    expect(r.exemptionIssues[0]).toMatchObject({ kind: 'unknown-check', origin: 'checkov-annotation', checks: ['CKV_K8S_9999'] });
  });

  it('ignores foreign annotations in own-only mode, and every annotation when disallowed (reporting them)', () => {
    expect(run(pod('a', { 'kube-score/ignore': 'container-security-context-privileged' }), { mode: 'own-only' }).findings).toHaveLength(2);
    const r = run(pod('a', { 'palisade.dev/exempt': 'PAL-001' }), { mode: 'off' });
    expect(r.findings).toHaveLength(2);
    expect(r.exemptionIssues).toHaveLength(1);
    expect(r.exemptionIssues[0]!.kind).toBe('disallowed');
  });

  it('reads exemptions on a pod template', () => {
    const text = `apiVersion: apps/v1
kind: Deployment
metadata: {name: d}
spec:
  template:
    metadata:
      annotations:
        palisade.dev/exempt: privileged-container
    spec:
      containers:
        - {name: app, image: a:1, securityContext: {privileged: true}}
`;
    const r = run(text);
    expect(r.findings).toEqual([]);
    expect(r.exempted[0]!.exemption.source).toBe('m.yaml:8');
  });
});

describe('config exemptions', () => {
  const base = { reason: 'accepted risk' };
  it('match by namespace glob, kind, name glob, labels and container', () => {
    const text = [pod('web-1', {}, { namespace: 'team-a', labels: { tier: 'web' } }), pod('web-2', {}, { namespace: 'team-b', labels: { tier: 'web' } })].join('---\n');
    const r = run(text, { config: [{ ...base, checks: ['PAL-001'], namespace: 'team-*', kind: 'Pod', name: 'web-?', labels: { tier: 'web' }, container: 'sidecar' }] });
    expect(r.exempted.map((f) => `${f.resourceId}/${f.container}`)).toEqual(['Pod/team-a/web-1/sidecar', 'Pod/team-b/web-2/sidecar']);
    expect(r.findings.map((f) => f.container)).toEqual(['app', 'app']);
    expect(r.exempted[0]!.exemption.source).toBe('palisade.yaml exemptions[0]');
  });

  it('report unmatched, expired and unknown-check entries', () => {
    const r = run(pod('a'), {
      config: [
        { ...base, checks: ['PAL-001'], namespace: 'nowhere' },
        { ...base, checks: ['host-pid'] },
        { ...base, checks: ['PAL-001'], expires: '2025-12-31' },
        { ...base, checks: ['bogus'] },
      ],
    });
    const kinds = r.exemptionIssues.map((i) => `${i.kind}:${i.source}`).sort();
    expect(kinds).toEqual([
      'expired:palisade.yaml exemptions[2]',
      'unknown-check:palisade.yaml exemptions[3]',
      'unmatched:palisade.yaml exemptions[0]',
      'unmatched:palisade.yaml exemptions[1]',
    ]);
    expect(r.findings).toHaveLength(2);
  });
});

describe('hostile kinds', () => {
  it('does not trip over kinds named after Object.prototype members', () => {
    const { resources } = parseManifestText('k.yaml', 'apiVersion: v1\nkind: constructor\nmetadata: {name: x}\n---\napiVersion: v1\nkind: toString\nmetadata: {name: y}\n');
    const r = evaluate(resources, { checks, now });
    expect(r.errors).toEqual([]);
    expect(r.resourcesEvaluated).toBe(2);
  });
});
