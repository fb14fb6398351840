import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { alertSchema } from '../../model/audit.js';
import type { Io } from '../io.js';
import { main } from '../main.js';
import { parseWindow } from './audit.js';

function capture(): Io & { out: string; err: string } {
  const io = { out: '', err: '', stdout: (s: string) => void (io.out += s), stderr: (s: string) => void (io.err += s), stdoutIsTty: false, stderrIsTty: false, columns: 120, env: {} as NodeJS.ProcessEnv };
  return io;
}
const run = async (args: string[]) => {
  const io = capture();
  return { code: await main(['node', 'palisade', ...args], io), io };
};

const exec = JSON.stringify({ kind: 'Event', apiVersion: 'audit.k8s.io/v1', auditID: 'e1', stage: 'ResponseStarted', verb: 'create', user: { username: 'alice' }, sourceIPs: ['192.0.2.200'], objectRef: { resource: 'pods', namespace: 'shop', name: 'cart-0', subresource: 'exec' }, requestURI: '/api/v1/namespaces/shop/pods/cart-0/exec?command=sh', responseStatus: { code: 101 }, stageTimestamp: '2024-05-14T10:00:00Z' });
const crb = JSON.stringify({ kind: 'Event', apiVersion: 'audit.k8s.io/v1', auditID: 'c1', stage: 'ResponseComplete', verb: 'create', user: { username: 'mallory' }, objectRef: { resource: 'clusterrolebindings', name: 'x', apiGroup: 'rbac.authorization.k8s.io' }, responseStatus: { code: 201 }, requestObject: { roleRef: { kind: 'ClusterRole', name: 'cluster-admin' }, subjects: [{ kind: 'User', name: 'mallory' }] }, stageTimestamp: '2024-05-14T10:01:00Z' });

function logDir(files: Record<string, string>): string {
  const d = mkdtempSync(join(tmpdir(), 'palisade-audit-cli-'));
  for (const [n, t] of Object.entries(files)) writeFileSync(join(d, n), t);
  return d;
}

describe('palisade audit scan', () => {
  it('prints each alert with its rule id and exits 1 at or above --fail-on', async () => {
    const d = logDir({ 'audit.log': `${exec}\n${crb}\n` });
    const low = await run(['audit', 'scan', join(d, 'audit.log'), '--fail-on', 'critical']);
    expect(low.code).toBe(0);
    expect(low.io.out).toMatch(/PAL-RT-010 +Exec or attach into a pod: alice opened exec into pod shop\/cart-0 \(command: sh/);
    expect(low.io.out).toMatch(/PAL-RT-020 +Binding to the cluster-admin role: mallory bound cluster-admin/);
    expect(low.io.out).toMatch(/2 events, 2 alerts \(1 high, 1 low\)/);
    expect((await run(['audit', 'scan', join(d, 'audit.log'), '--fail-on', 'high'])).code).toBe(1);
  });

  it('writes JSON alerts matching the published schema, and sets the input-error bit for bad lines', async () => {
    const d = logDir({ 'audit.log': `${exec}\nnot json\n` });
    const { code, io } = await run(['audit', 'scan', join(d, 'audit.log'), '-o', 'json']);
    expect(code).toBe(2);
    const doc = JSON.parse(io.out) as { alerts: unknown[]; errors: Array<{ line: number }>; summary: { events: number } };
    expect(doc.alerts).toHaveLength(1);
    for (const a of doc.alerts) expect(alertSchema.safeParse(a).success).toBe(true);
    expect(doc.errors.map((e) => e.line)).toEqual([2]);
    expect(doc.summary.events).toBe(1);
  });

  it('applies overrides from the config file and the command line, in that order', async () => {
    const d = logDir({
      'audit.log': `${exec}\n`,
      'quiet.yaml': 'rules:\n  pod-exec-or-attach: {enabled: false}\n',
      'loud.yaml': 'rules:\n  PAL-RT-010: {enabled: true, severity: critical}\n',
      'palisade.yaml': 'threatRules:\n  overrides: [quiet.yaml]\n',
    });
    const quiet = await run(['audit', 'scan', join(d, 'audit.log'), '-c', join(d, 'palisade.yaml')]);
    expect(quiet.io.out).toMatch(/^No alerts\./);
    const loud = await run(['audit', 'scan', join(d, 'audit.log'), '-c', join(d, 'palisade.yaml'), '--rules-override', join(d, 'loud.yaml'), '--fail-on', 'critical']);
    expect(loud.code).toBe(1);
    expect(loud.io.out).toMatch(/CRITICAL +PAL-RT-010/);
    const bad = await run(['audit', 'scan', join(d, 'audit.log'), '--rules-override', join(d, 'audit.log')]);
    expect(bad.code).toBe(78);
    expect(bad.io.err).toMatch(/audit\.log/);
  });

  it('parses dedupe windows', () => {
    expect([parseWindow('90s'), parseWindow('5m'), parseWindow('1h'), parseWindow('0'), parseWindow('250ms')]).toEqual([90_000, 300_000, 3_600_000, 0, 250]);
    expect(() => parseWindow('soon')).toThrow(/not a duration/);
  });
});

describe('palisade rules', () => {
  it('lists every rule, and shows one by id, slug or equivalent', async () => {
    const list = await run(['rules', 'list', '-o', 'json']);
    const rules = JSON.parse(list.io.out) as Array<{ id: string; enabled: boolean }>;
    expect(rules.length).toBeGreaterThanOrEqual(60);
    expect(rules[0]!.id).toBe('PAL-RT-001');
    expect((await run(['rules', 'list'])).io.out).toMatch(/^ID +ENABLED +SEVERITY +SLUG +TITLE\nPAL-RT-001 +on +high +privileged-pod-created/);
    const show = await run(['rules', 'show', 'Create Privileged Pod', '-o', 'json']);
    expect(JSON.parse(show.io.out)).toMatchObject({ id: 'PAL-RT-001', match: { verbs: ['create'], resources: ['pods'] }, equivalents: { falco: ['Create Privileged Pod'] } });
    expect((await run(['rules', 'show', 'exposed-redis', '-o', 'yaml'])).io.out).toMatch(/^id: PAL-RT-036/);
    expect((await run(['rules', 'show', 'PAL-RT-010'])).io.out).toMatch(/Matches: +verbs create, get; resources pods/);
    const missing = await run(['rules', 'show', 'nope']);
    expect(missing.code).toBe(64);
  });
});
