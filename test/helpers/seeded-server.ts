/**
 * A server on a temporary SQLite store, seeded as a running installation would be: two cluster connectors
 * synced from the fake Kubernetes API server (inventory, findings, scores), alerts from the audit pipeline's
 * commit step, and a scanned image that a workload runs behind a LoadBalancer. For the tests of the summary
 * views, exports and reports.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildApp, type AppOptions } from '../../src/api/server.js';
import { secretBox } from '../../src/app/secrets.js';
import { addUser, createToken } from '../../src/app/users.js';
import { openSqliteStore } from '../../src/storage/sqlite/index.js';
import { ROLES, type Role, type Store } from '../../src/storage/store.js';
import { startFakeKubeApiServer, type FakeKubeApiServer } from './fake-kube-apiserver.js';

const TOKEN = 'kube-token-seeded-server';
const system = { name: 'system', role: 'owner' as const };

/** A running seeded server. */
export interface SeededServer {
  app: FastifyInstance;
  store: Store;
  kube: FakeKubeApiServer;
  /** An API token per global role. */
  tokens: Record<Role, string>;
  /** The two connectors, synced from the same fake cluster: `lab` (with the alerts) and `lab2`. */
  lab: string;
  lab2: string;
  /** The digest of the scanned image (`nginx:latest`, run by the exposed `storefront/web` Deployment). */
  digest: string;
  /** A GET with a role's token. */
  get(role: Role, url: string): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

/** An alert's fields, as the audit pipeline's rules produce them. */
function alert(id: string, severity: 'critical' | 'high' | 'low', output: string) {
  return {
    ruleId: `PAL-RT-0${id}`,
    slug: `rule-${id}`,
    title: `Rule ${id}`,
    severity,
    mitre: { tactics: ['TA0002'], techniques: ['T1609'] },
    output,
    entities: { user: 'mallory', verb: 'create', namespace: 'storefront', resource: 'pods', subresource: 'exec' },
    auditIds: [`audit-${id}`],
    count: 1,
    source: { file: 'connector:lab', format: 'kubernetes' as const },
    equivalents: {},
  };
}

/** Starts the server and seeds it. `opts` go to {@link buildApp} (a PDF renderer, say). */
export async function startSeededServer(opts: Partial<AppOptions> = {}): Promise<SeededServer> {
  const dir = mkdtempSync(join(tmpdir(), 'palisade-seeded-'));
  const store = openSqliteStore(join(dir, 'palisade.db'));
  await store.migrate();
  const tokens = {} as Record<Role, string>;
  for (const role of ROLES) {
    const u = await addUser(store, system, { username: role, role, password: 'a-long-enough-password' });
    tokens[role] = (await createToken(store, system, { userId: u.id, name: role, role })).token;
  }
  const app = await buildApp({ store, validateResponses: true, secrets: secretBox(randomBytes(32)), ...opts });
  const kube = await startFakeKubeApiServer({ token: TOKEN });
  const call = (role: Role, method: 'GET' | 'POST', url: string, payload?: Record<string, unknown>) => app.inject({ method, url, payload, headers: { authorization: `Bearer ${tokens[role]}` } });

  const connector = async (name: string) => {
    const res = await call('owner', 'POST', '/api/v1/connectors', { kind: 'cluster', name, kubeconfig: kube.kubeconfig(name), context: name });
    if (res.statusCode !== 201) throw new Error(`onboarding ${name}: ${res.statusCode} ${res.body}`);
    const id = res.json().connector.id as string;
    const sync = await call('contributor', 'POST', `/api/v1/connectors/${id}/sync`);
    if (sync.statusCode !== 200) throw new Error(`sync of ${name}: ${sync.statusCode} ${sync.body}`);
    return id;
  };
  const lab = await connector('lab');
  const lab2 = await connector('lab2');

  // Alerts of lab raised today: one critical still new, one high acknowledged, one low resolved. The outputs
  // hold what a CSV must quote or defuse.
  const now = Date.now();
  const events = ['1', '2', '3'].map((id) => ({ body: JSON.stringify({ kind: 'Event', auditID: `audit-${id}`, stage: 'ResponseComplete' }), auditId: `audit-${id}`, stage: 'ResponseComplete', format: 'kubernetes', eventTime: new Date(now).toISOString() }));
  const { seqs } = await store.journalAuditEvents(lab, events, new Date(now).toISOString());
  const step = await store.commitAlertProcessing({
    seqs: seqs.filter((s): s is number => s !== undefined),
    occurrences: [
      { connectorId: lab, alert: alert('11', 'critical', '=HYPERLINK("http://evil.example","open me")'), dedupeKey: 'a', at: new Date(now - 60_000).toISOString(), eventSeq: seqs[0] },
      { connectorId: lab, alert: alert('12', 'high', 'mallory ran "sh -c id", then\nleft'), dedupeKey: 'b', at: new Date(now - 30_000).toISOString(), eventSeq: seqs[1] },
      { connectorId: lab, alert: alert('13', 'low', 'plain'), dedupeKey: 'c', at: new Date(now - 10_000).toISOString(), eventSeq: seqs[2] },
    ],
    windowMs: 3_600_000,
  });
  const [, high, low] = step!.created;
  await store.updateAlertStatus(high!.id, { status: 'acknowledged', by: 'user:alice', at: new Date(now).toISOString(), reason: null });
  await store.updateAlertStatus(low!.id, { status: 'resolved', by: 'user:alice', at: new Date(now).toISOString(), reason: 'fixed' });

  // nginx:latest, which storefront/web runs behind a LoadBalancer, scanned with three vulnerabilities.
  const digest = `sha256:${'c'.repeat(64)}`;
  const at = new Date(now).toISOString();
  const vuln = (vulnId: string, severity: string, pkg: string, fixedVersion: string | null) => ({ digest, vulnId, package: pkg, installedVersion: '1.0', packagePath: '/var/lib/dpkg/status', ecosystem: 'debian', fixedVersion, status: fixedVersion ? 'fixed' : 'affected', severity, title: `${pkg} flaw, "bad"`, aliases: [], primaryUrl: null, layer: null });
  await store.putImageScan({ digest, reference: 'nginx:latest', platform: 'linux/amd64', os: null, packages: [], layers: [], packageCount: 3, scannedAt: at, matchedAt: at, dbUpdatedAt: null }, [
    vuln('CVE-2026-0001', 'critical', 'openssl', '3.0.2'),
    vuln('CVE-2026-0002', 'high', 'zlib', null),
    vuln('CVE-2026-0003', 'low', '=cmd', null),
  ]);
  await store.putImageReference({ reference: 'nginx:latest', digest, status: 'ok', errorCode: null, error: null, attemptedAt: at, succeededAt: at });
  await store.refreshImageExposure(lab);
  await store.refreshImageExposure(lab2);

  return {
    app,
    store,
    kube,
    tokens,
    lab,
    lab2,
    digest,
    get: (role, url) => call(role, 'GET', url),
    async close() {
      await app.close();
      await kube.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
