import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PalisadeError } from '../model/errors.js';
import { findThreatRules, loadThreatRules, readOverride, scanAudit } from './audit.js';

function dir(files: Record<string, string>): string {
  const d = mkdtempSync(join(tmpdir(), 'palisade-audit-app-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(d, name), text);
  return d;
}

const event = (over: Record<string, unknown>) =>
  JSON.stringify({ kind: 'Event', apiVersion: 'audit.k8s.io/v1', stage: 'ResponseComplete', verb: 'get', user: { username: 'alice' }, sourceIPs: ['192.0.2.200'], responseStatus: { code: 200 }, annotations: { 'authorization.k8s.io/decision': 'allow' }, ...over });

function thrown(f: () => unknown): PalisadeError {
  try {
    f();
  } catch (e) {
    if (e instanceof PalisadeError) return e;
    throw e;
  }
  throw new Error('expected an error');
}

describe('override files', () => {
  it('reads list files relative to the override, skipping comments, and validates address lists', () => {
    const d = dir({
      'tor.txt': '# Tor exit addresses\n185.220.101.1\n\n2a0b:f4c2::/40  # a range\n',
      'o.yaml': 'lists:\n  anonymizing_proxy_ranges:\n    file: tor.txt\n    append: [203.0.113.0/24]\n  allowed_namespaces: {append: [shop]}\nrules:\n  "tag:activity": {enabled: true}\n',
    });
    const o = readOverride(join(d, 'o.yaml'));
    expect(o.lists.anonymizing_proxy_ranges).toEqual({ items: ['185.220.101.1', '2a0b:f4c2::/40'], append: ['203.0.113.0/24'] });
    const set = loadThreatRules({ overrides: [join(d, 'o.yaml')] });
    expect(set.lists.get('anonymizing_proxy_ranges')!.value).toEqual(['185.220.101.1', '2a0b:f4c2::/40', '203.0.113.0/24']);
    expect(set.rules.find((r) => r.def.id === 'PAL-RT-040')!.def.enabled).toBe(true);
  });

  it('names the file and line of a bad entry, field or reference', () => {
    const d = dir({ 'bad.txt': '10.0.0.1\nnot-an-address\n', 'a.yaml': 'lists:\n  anonymizing_proxy_ranges: {file: bad.txt}\n', 'b.yaml': 'lists:\n  anonymizing_proxy_ranges:\n    append: [1.2.3.4, 999.1.1.1]\n', 'c.yaml': 'rules:\n  PAL-RT-999: {enabled: true}\n', 'd.yaml': 'macros:\n  kevt: {condition: "stage ==", extra: 1}\n', 'e.yaml': 'macros:\n  kevt: "stage =="\n' });
    expect(thrown(() => readOverride(join(d, 'a.yaml'))).message).toBe(`${join(d, 'bad.txt')}:2: list anonymizing_proxy_ranges: "not-an-address" is not an IP address or CIDR range`);
    expect(thrown(() => readOverride(join(d, 'b.yaml'))).message).toMatch(/b\.yaml:3 \(lists\.anonymizing_proxy_ranges\.append\[1\]\): .*"999\.1\.1\.1"/);
    expect(thrown(() => loadThreatRules({ overrides: [join(d, 'c.yaml')] })).message).toMatch(/c\.yaml:2 \(rules\.PAL-RT-999\): no rule has the id or slug "PAL-RT-999"/);
    expect(thrown(() => readOverride(join(d, 'd.yaml'))).message).toMatch(/d\.yaml:2 \(macros\.kevt\)/);
    expect(thrown(() => loadThreatRules({ overrides: [join(d, 'e.yaml')] })).message).toMatch(/e\.yaml.*macro kevt: CEL syntax error/);
  });
});

describe('audit scan', () => {
  const log = [
    event({ auditID: 'a1', verb: 'list', objectRef: { resource: 'secrets', namespace: 'prod' }, stageTimestamp: '2024-05-14T10:00:00Z' }),
    event({ auditID: 'a2', verb: 'list', objectRef: { resource: 'secrets', namespace: 'prod' }, stageTimestamp: '2024-05-14T10:02:00Z' }),
    event({ auditID: 'a3', verb: 'get', objectRef: { resource: 'secrets', namespace: 'prod', name: 'db' }, sourceIPs: ['192.0.2.66'], stageTimestamp: '2024-05-14T10:01:00Z' }),
    '{"broken":',
  ].join('\n');

  it('sorts alerts by time, reports bad lines, and deduplicates within a window', async () => {
    const d = dir({ 'audit.log': log });
    const r = await scanAudit([join(d, 'audit.log')]);
    expect(r.alerts.map((a) => `${a.ruleId} ${a.auditIds.join(',')}`)).toEqual(['PAL-RT-017 a1', 'PAL-RT-015 a3', 'PAL-RT-017 a3', 'PAL-RT-017 a2']);
    expect(r.errors.map((e) => `${e.code}:${e.line}`)).toEqual(['E_JSON_SYNTAX:4']);
    const merged = await scanAudit([join(d, 'audit.log')], { dedupeWindowMs: 5 * 60_000 });
    expect(merged.alerts.map((a) => `${a.ruleId} ${a.count} ${a.auditIds.join(',')}`)).toEqual(['PAL-RT-017 2 a1,a2', 'PAL-RT-015 1 a3', 'PAL-RT-017 1 a3']);
  });

  it('runs only the rules asked for, disabled ones included, and rejects unknown ones', async () => {
    const d = dir({ 'audit.log': log });
    const r = await scanAudit([join(d, 'audit.log')], { only: ['secret-read', 'PAL-RT-015'] });
    expect(r.alerts.map((a) => a.ruleId)).toEqual(['PAL-RT-015', 'PAL-RT-060']);
    await expect(scanAudit([join(d, 'audit.log')], { only: ['nope'] })).rejects.toThrow(/no rule has the id or slug "nope"/);
  });

  it('finds rules by id, slug, Falco rule name and Defender alert type', () => {
    const set = loadThreatRules();
    expect(findThreatRules(set, 'pal-rt-001').map((r) => r.def.id)).toEqual(['PAL-RT-001']);
    expect(findThreatRules(set, 'Attach/Exec Pod').map((r) => r.def.id)).toEqual(['PAL-RT-010']);
    expect(findThreatRules(set, 'k8s_exposedredis').map((r) => r.def.slug)).toEqual(['exposed-redis']);
    expect(findThreatRules(set, 'K8s Role/Clusterrole Created').map((r) => r.def.id)).toEqual(['PAL-RT-050', 'PAL-RT-052']);
  });
});

describe('managed-cluster exports end to end', () => {
  const fixtures = join(dirname(fileURLToPath(import.meta.url)), '..', 'inputs', 'audit', '__fixtures__');
  it('raises the expected alerts from GKE, EKS and AKS logs, naming format, file and line', async () => {
    const r = await scanAudit(['gke-gcloud.json', 'eks-filter-log-events.json', 'eks-s3-export.txt', 'aks-event-hubs.json'].map((f) => join(fixtures, f)));
    const seen = r.alerts.map((a) => `${a.source.format} ${a.ruleId} ${a.entities.user}`);
    expect(seen).toEqual(expect.arrayContaining([
      'gke PAL-RT-010 mallory@acme.example',
      'gke PAL-RT-020 mallory@acme.example',
      'eks PAL-RT-029 arn:aws:sts::111122223333:assumed-role/dev/eve',
      'eks PAL-RT-012 system:anonymous',
      'eks PAL-RT-016 system:anonymous',
      'eks PAL-RT-011 arn:aws:sts::111122223333:assumed-role/dev/eve',
      'aks PAL-RT-008 system:serviceaccount:kube-system:default',
      'aks PAL-RT-001 system:serviceaccount:kube-system:default',
      'aks PAL-RT-027 aks-admin@contoso.example',
    ]));
    // The denied GKE secret read (403) raises nothing: only successful reads count.
    expect(r.alerts.filter((a) => a.entities.user === 'system:serviceaccount:payments:ledger')).toEqual([]);
    const miner = r.alerts.find((a) => a.ruleId === 'PAL-RT-008')!;
    expect(miner).toMatchObject({ severity: 'critical', entities: { namespace: 'kube-system', name: 'miner-6f7', images: ['docker.io/xmrig/xmrig:6.21.0'] }, source: { line: 1 }, equivalents: { defender: ['K8S_MaliciousContainerImage'] } });
    expect(miner.source.file.endsWith('aks-event-hubs.json')).toBe(true);
  });
});
