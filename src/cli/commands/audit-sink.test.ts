import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Io } from '../io.js';
import { main } from '../main.js';

const crb = JSON.stringify({ kind: 'Event', apiVersion: 'audit.k8s.io/v1', auditID: 'c1', stage: 'ResponseComplete', verb: 'create', user: { username: 'mallory' }, objectRef: { resource: 'clusterrolebindings', name: 'x', apiGroup: 'rbac.authorization.k8s.io' }, responseStatus: { code: 201 }, requestObject: { roleRef: { kind: 'ClusterRole', name: 'cluster-admin' }, subjects: [{ kind: 'User', name: 'mallory' }] }, stageTimestamp: '2024-05-14T10:01:00Z' });

describe('palisade audit scan --sink', () => {
  it('sends the alerts to the sinks of the config file and of --sink flags, expanding ${ENV}', async () => {
    const bodies: Array<{ alert: { ruleId: string } }> = [];
    const server = createServer((req, res) => {
      let data = '';
      req.on('data', (c: Buffer) => (data += c.toString()));
      req.on('end', () => {
        bodies.push(JSON.parse(data) as { alert: { ruleId: string } });
        res.end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;
    const d = mkdtempSync(join(tmpdir(), 'palisade-sink-cli-'));
    writeFileSync(join(d, 'audit.log'), `${crb}\n`);
    writeFileSync(join(d, 'palisade.yaml'), 'alerts:\n  sinks:\n    - type: webhook\n      url: "http://127.0.0.1:${HOOK_PORT}/hook"\n');
    const io = { out: '', err: '', stdout: (s: string) => void (io.out += s), stderr: (s: string) => void (io.err += s), stdoutIsTty: false, stderrIsTty: false, env: { HOOK_PORT: String(port) } as NodeJS.ProcessEnv } satisfies Io & { out: string; err: string };
    const code = await main(['node', 'palisade', 'audit', 'scan', join(d, 'audit.log'), '-c', join(d, 'palisade.yaml'), '--sink', `jsonl=${join(d, 'alerts.jsonl')}`], io);
    server.close();
    expect(io.err).toBe('');
    expect(code).toBe(0);
    expect(bodies.map((b) => b.alert.ruleId)).toEqual(['PAL-RT-020']);
    expect(readFileSync(join(d, 'alerts.jsonl'), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { ruleId: string }).ruleId)).toEqual(['PAL-RT-020']);
  });

  it('rejects a malformed --sink flag', async () => {
    const io = { out: '', err: '', stdout: (s: string) => void (io.out += s), stderr: (s: string) => void (io.err += s), stdoutIsTty: false, stderrIsTty: false, env: {} as NodeJS.ProcessEnv };
    const code = await main(['node', 'palisade', 'audit', 'scan', '-', '--sink', 'pager=x'], io);
    expect(code).not.toBe(0);
    expect(io.err).toMatch(/unknown sink type "pager"/);
  });
});
