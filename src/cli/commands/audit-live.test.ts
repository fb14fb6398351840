import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { makeTestPki } from '../../../test/helpers/tls.js';
import { AuditStore, auditDbPath } from '../../storage/audit/index.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

function startReceiver(args: string[]): Promise<{ child: ChildProcess; port: number; stderr: () => string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/run.ts'), 'audit', 'serve', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  return new Promise((ok, fail) => {
    child.stderr!.on('data', (c: Buffer) => {
      err += c.toString();
      const m = /listening on https:\/\/[^:]+:(\d+)/.exec(err);
      if (m) ok({ child, port: Number(m[1]), stderr: () => err });
    });
    child.on('exit', (code) => fail(new Error(`receiver exited (${code}): ${err}`)));
  });
}

function post(port: number, ca: string, token: string, body: string): Promise<number> {
  return new Promise((ok, fail) => {
    const req = request({ host: '127.0.0.1', port, path: '/audit', method: 'POST', ca, agent: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: `Bearer ${token}` } }, (res) => {
      res.resume();
      res.on('end', () => ok(res.statusCode ?? 0));
    });
    req.on('error', fail);
    req.end(body);
  });
}

const event = (id: string, i: number) => ({
  kind: 'Event',
  apiVersion: 'audit.k8s.io/v1',
  level: 'Metadata',
  auditID: id,
  stage: 'ResponseComplete',
  verb: i % 50 === 0 ? 'delete' : 'get',
  user: { username: 'system:serviceaccount:kube-system:replicaset-controller' },
  sourceIPs: ['10.0.0.7'],
  userAgent: 'kube-controller-manager/v1.30.0',
  objectRef: { resource: i % 50 === 0 ? 'events' : 'pods', namespace: 'default', name: `p-${i}`, apiVersion: 'v1' },
  responseStatus: { code: 200 },
  requestReceivedTimestamp: '2024-05-14T10:00:00.000000Z',
  stageTimestamp: '2024-05-14T10:00:00.001000Z',
});

describe('palisade audit serve under SIGKILL', () => {
  it('keeps every acknowledged event when the receiver is killed mid-load', async () => {
    const pki = makeTestPki();
    const dir = mkdtempSync(join(tmpdir(), 'palisade-kill-'));
    writeFileSync(join(dir, 'tokens'), 'load-token\n');
    const { child, port } = await startReceiver(['--listen', '127.0.0.1:0', '--tls-cert', pki.files.serverCert, '--tls-key', pki.files.serverKey, '--token-file', join(dir, 'tokens'), '--data-dir', dir]);
    const acked: string[] = [];
    let sent = 0;
    let batches = 0;
    let killed = false;
    const exited = new Promise<NodeJS.Signals | null>((ok) => child.on('exit', (_code, signal) => ok(signal)));
    // Four clients send batches of 100 events as fast as answers come; the receiver is killed once 40 batches
    // are acknowledged, with requests in flight.
    const client = async (c: number): Promise<void> => {
      for (let b = 0; !killed; b++) {
        const ids = Array.from({ length: 100 }, (_, i) => `c${c}-b${b}-e${i}`);
        sent += ids.length;
        let status: number;
        try {
          status = await post(port, pki.caCert, 'load-token', JSON.stringify({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', items: ids.map((id, i) => event(id, i)) }));
        } catch {
          return; // connection reset by the kill: not acknowledged
        }
        if (status !== 200) throw new Error(`unexpected status ${status}`);
        acked.push(...ids);
        if (++batches >= 40 && !killed) {
          killed = true;
          child.kill('SIGKILL');
        }
      }
    };
    await Promise.all([0, 1, 2, 3].map(client));
    expect(await exited).toBe('SIGKILL');
    expect(acked.length).toBeGreaterThanOrEqual(4000);
    const store = AuditStore.open(auditDbPath(dir));
    try {
      const present = store.journaledAuditIds(acked);
      const missing = acked.filter((id) => !present.has(id));
      expect(missing).toEqual([]);
      expect(store.stats().events).toBeGreaterThanOrEqual(acked.length);
      expect(store.stats().events).toBeLessThanOrEqual(sent);
    } finally {
      store.close();
    }
  }, 120_000);
});
