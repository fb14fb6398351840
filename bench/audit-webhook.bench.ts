/**
 * Webhook ingestion over loopback: EventList batches of 400 events (kube-apiserver's default batch size) posted
 * one after another over one keep-alive TLS connection, each answered only after it is journaled
 * (synchronous=FULL) and run through every rule. Prints events per second for `full` and `normal` and the ratio
 * to JSON.parse alone over the same bodies in the same run.
 *
 *   npx tsx bench/audit-webhook.bench.ts [batches]
 */
import { Agent, request } from 'node:https';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serveAuditWebhook } from '../src/app/audit-live.js';
import { makeTestPki } from '../test/helpers/tls.js';

const BATCHES = Number(process.argv[2] ?? 100);
const BATCH = 400;
const verbs = ['get', 'list', 'watch', 'update', 'patch'];
const resources = ['pods', 'configmaps', 'endpoints', 'leases', 'deployments', 'nodes'];

function event(n: number): Record<string, unknown> {
  const verb = verbs[n % verbs.length]!;
  return {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: 'Metadata',
    auditID: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    stage: 'ResponseComplete',
    requestURI: `/api/v1/namespaces/ns-${n % 40}/${resources[n % resources.length]}`,
    verb,
    user: { username: `system:serviceaccount:kube-system:controller-${n % 25}`, groups: ['system:serviceaccounts', 'system:authenticated'] },
    sourceIPs: [`10.0.${n % 250}.${n % 200}`],
    userAgent: 'kube-controller-manager/v1.30.2 (linux/amd64) kubernetes/abc1234/system:serviceaccount:kube-system:generic-garbage-collector',
    objectRef: { resource: resources[n % resources.length], namespace: `ns-${n % 40}`, name: `obj-${n % 1000}`, apiVersion: 'v1' },
    responseStatus: { metadata: {}, code: 200 },
    requestReceivedTimestamp: new Date(1_715_680_800_000 + n * 10).toISOString(),
    stageTimestamp: new Date(1_715_680_800_000 + n * 10 + 3).toISOString(),
    annotations: { 'authorization.k8s.io/decision': 'allow', 'authorization.k8s.io/reason': 'RBAC: allowed by ClusterRoleBinding' },
  };
}

const bodies = Array.from({ length: BATCHES }, (_, b) => JSON.stringify({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', items: Array.from({ length: BATCH }, (_, i) => event(b * BATCH + i)) }));

function post(port: number, ca: string, agent: Agent, body: string): Promise<number> {
  return new Promise((ok, fail) => {
    const req = request({ host: '127.0.0.1', port, path: '/audit', method: 'POST', ca, agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: 'Bearer bench' } }, (res) => {
      res.resume();
      res.on('end', () => ok(res.statusCode ?? 0));
    });
    req.on('error', fail);
    req.end(body);
  });
}

const pki = makeTestPki();
let t = process.hrtime.bigint();
for (const b of bodies) JSON.parse(b);
const parseMs = Number(process.hrtime.bigint() - t) / 1e6;

for (const synchronous of ['full', 'normal'] as const) {
  const dataDir = mkdtempSync(join(tmpdir(), 'palisade-bench-webhook-'));
  const h = await serveAuditWebhook({ dataDir, host: '127.0.0.1', port: 0, cert: pki.serverCert, key: pki.serverKey, tokens: ['bench'], synchronous });
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  t = process.hrtime.bigint();
  for (const b of bodies) if ((await post(h.port, pki.caCert, agent, b)) !== 200) throw new Error('refused');
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  agent.destroy();
  await h.stop(0);
  rmSync(dataDir, { recursive: true, force: true });
  const events = BATCHES * BATCH;
  console.log(`webhook synchronous=${synchronous}: ${events} events in ${BATCHES} batches, ${Math.round(events / (ms / 1000))} events/s, ${(ms / BATCHES).toFixed(1)} ms/batch, ratio to JSON.parse ${(ms / parseMs).toFixed(1)}`);
}
rmSync(pki.dir, { recursive: true, force: true });
