/**
 * The CLI as a client of a real server in this process: `connect cluster` against the fake Kubernetes API
 * server, `connect registry` against the real docker-registry, then `inventory` and `recommendations`.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import jsYaml from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeKubeApiServer, type FakeKubeApiServer, type FakeRule } from '../../../test/helpers/fake-kube-apiserver.js';
import { image, layer } from '../../../test/helpers/oci-image.js';
import { hasRegistry, pushImage, startRegistry, type RunningRegistry } from '../../../test/helpers/registry.js';
import { buildApp } from '../../api/server.js';
import { secretBox } from '../../app/secrets.js';
import { addUser, createToken } from '../../app/users.js';
import { openSqliteStore } from '../../storage/sqlite/index.js';
import type { Store } from '../../storage/store.js';
import { API_EXIT, apiRequest } from '../api-client.js';
import type { Io } from '../io.js';
import { main } from '../main.js';

const system = { name: 'system', role: 'owner' as const };
let dir: string;
let store: Store;
let app: FastifyInstance;
let kube: FakeKubeApiServer;
let server: string;
const tokens = {} as { owner: string; reader: string };

function memoryIo(env: NodeJS.ProcessEnv, stdin = ''): Io & { out: string; err: string } {
  const io = { out: '', err: '', stdoutIsTty: false, stderrIsTty: false, env, readStdin: async () => stdin, stdout: (s: string) => void (io.out += s), stderr: (s: string) => void (io.err += s) };
  return io;
}

/** Runs `palisade ...` with PALISADE_SERVER and PALISADE_TOKEN (the owner's unless given). */
async function palisade(args: string[], env: NodeJS.ProcessEnv = {}, stdin?: string) {
  const io = memoryIo({ PALISADE_SERVER: server, PALISADE_TOKEN: tokens.owner, ...env }, stdin);
  const code = await main(['node', 'palisade', ...args], io);
  return { code, out: io.out, err: io.err };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'palisade-cli-client-'));
  store = openSqliteStore(join(dir, 'palisade.db'));
  await store.migrate();
  for (const role of ['owner', 'reader'] as const) {
    const u = await addUser(store, system, { username: role, role, password: 'a-long-enough-password' });
    tokens[role] = (await createToken(store, system, { userId: u.id, name: role, role })).token;
  }
  app = await buildApp({ store, secrets: secretBox(randomBytes(32)) });
  server = await app.listen({ host: '127.0.0.1', port: 0 });
  kube = await startFakeKubeApiServer({ token: 'kube-token' });
});
afterAll(async () => {
  await app.close();
  await kube.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('palisade connect cluster', () => {
  it('prints the missing permissions and the grant, exits non-zero and saves nothing; connects once the grant is applied', async () => {
    const file = join(dir, 'kubeconfig');
    writeFileSync(file, kube.kubeconfig('lab'));
    kube.rules = [{ verbs: ['get', 'list', 'watch'], apiGroups: ['', 'apps', 'batch', 'policy', 'autoscaling', 'admissionregistration.k8s.io', 'rbac.authorization.k8s.io'], resources: ['*'] }];
    const refused = await palisade(['connect', 'cluster', '--kubeconfig', file]);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/permissions checked, \d+ missing/);
    expect(refused.err).toContain('missing: get networking.k8s.io/ingresses');
    expect(refused.err).toMatch(/not connected: .*lack/);
    // Standard output is the grant alone, ready for kubectl apply -f -.
    const grant = jsYaml.loadAll(refused.out) as Array<{ kind: string; rules?: FakeRule[] }>;
    expect(grant.map((d) => d.kind)).toEqual(['ClusterRole', 'ClusterRoleBinding']);
    expect(await store.listConnectors()).toEqual([]);

    // A dry run prints the same and saves nothing either.
    const dry = await palisade(['connect', 'cluster', '--kubeconfig', file, '--dry-run']);
    expect(dry.code).toBe(1);
    expect(dry.err).toContain('missing: get networking.k8s.io/ingresses');
    expect(dry.err).toContain('dry run: nothing was saved');
    expect((jsYaml.loadAll(dry.out) as Array<{ kind: string }>).map((d) => d.kind)).toEqual(['ClusterRole', 'ClusterRoleBinding']);
    expect((await palisade(['connect', 'cluster', '--kubeconfig', file, '--dry-run', '--force'])).code).toBe(64);

    kube.rules = grant[0].rules!;
    const dryOk = await palisade(['connect', 'cluster', '--kubeconfig', file, '--context', 'lab', '--name', 'lab-cluster', '--dry-run']);
    expect(dryOk.code, dryOk.err).toBe(0);
    expect(dryOk.out).toMatch(/none missing/);
    expect(await store.listConnectors()).toEqual([]);
    const ok = await palisade(['connect', 'cluster', '--kubeconfig', file, '--context', 'lab', '--name', 'lab-cluster']);
    expect(ok.code, ok.err).toBe(0);
    expect(ok.out).toMatch(/none missing/);
    expect(ok.out).toMatch(/Connected cluster "lab-cluster" \([\w-]+\)/);
    for (const text of [ok.out, ok.err, refused.out, refused.err]) expect(text).not.toContain(tokens.owner);
  });

  it('says what is wrong with the server, the token or the role, with distinct exit codes', async () => {
    const file = join(dir, 'kubeconfig');
    const noServer = await palisade(['connect', 'cluster', '--kubeconfig', file], { PALISADE_SERVER: '' });
    expect(noServer.code).toBe(64);
    expect(noServer.err).toContain('PALISADE_SERVER');
    const down = await palisade(['inventory', '--server', 'http://127.0.0.1:9']);
    expect(down.code).toBe(API_EXIT.unavailable);
    expect(down.err).toMatch(/cannot reach the Palisade server at http:\/\/127\.0\.0\.1:9/);
    const badToken = await palisade(['inventory'], { PALISADE_TOKEN: 'pal_wrong-token-value' });
    expect(badToken.code).toBe(API_EXIT.noPermission);
    expect(badToken.err).toContain('refused the API token');
    expect(badToken.err).not.toContain('pal_wrong-token-value');
    const reader = await palisade(['connect', 'cluster', '--kubeconfig', file, '--context', 'lab', '--name', 'x'], { PALISADE_TOKEN: tokens.reader });
    expect(reader.code).toBe(API_EXIT.noPermission);
    expect(reader.err).toMatch(/permission denied .*owner role/);
    const missing = await palisade(['recommendations', '--connector', 'nope']);
    expect(missing.code).toBe(64);
  });
});

describe.skipIf(!hasRegistry())('palisade connect registry', () => {
  let registry: RunningRegistry;
  beforeAll(async () => {
    registry = await startRegistry({ auth: { htpasswd: { username: 'robot', password: 'robot-secret-pw' } } });
    const built = image([await layer([{ name: 'etc/hostname', content: 'app\n' }])]);
    await pushImage({ url: registry.url, repository: 'team/app', authorization: `Basic ${Buffer.from('robot:robot-secret-pw').toString('base64')}` }, built, '1.0');
  });
  afterAll(() => registry?.stop());

  it('refuses wrong credentials with the failed check, and connects with the right ones read from stdin', async () => {
    const wrong = await palisade(['connect', 'registry', registry.url, '--plain-http', '--username', 'robot'], { PALISADE_REGISTRY_PASSWORD: 'wrong-password' });
    expect(wrong.code).toBe(1);
    expect(wrong.err).toMatch(/FAILED +catalog: .*refused/);
    const ok = await palisade(['connect', 'registry', registry.url, '--plain-http', '--username', 'robot', '--password-stdin', '--include', 'team/*', '-o', 'json'], {}, 'robot-secret-pw\n');
    expect(ok.code, ok.err).toBe(0);
    const saved = JSON.parse(ok.out) as { connector: { id: string; kind: string; name: string }; preflight: { ok: boolean } };
    expect(saved.connector).toMatchObject({ kind: 'registry', name: `127.0.0.1-${registry.port}` });
    expect(saved.preflight.ok).toBe(true);
    expect(ok.out + ok.err).not.toContain('robot-secret-pw');
    const stored = await apiRequest<{ config: Record<string, unknown> }>({ server, token: tokens.owner }, 'GET', `/api/v1/connectors/${saved.connector.id}`);
    expect(JSON.stringify(stored)).not.toContain('robot-secret-pw');
  });
});

describe('palisade inventory and recommendations', () => {
  it('list what a sync stored, as a table, JSON or YAML, filtered', async () => {
    const lab = (await store.listConnectors()).find((c) => c.name === 'lab-cluster')!;
    const sync = await app.inject({ method: 'POST', url: `/api/v1/connectors/${lab.id}/sync`, headers: { authorization: `Bearer ${tokens.owner}` } });
    expect(sync.statusCode, sync.body).toBe(200);

    const table = await palisade(['inventory', '--type', 'workload', '--connector', 'lab-cluster'], { PALISADE_TOKEN: tokens.reader });
    expect(table.code, table.err).toBe(0);
    const [header, ...rows] = table.out.trim().split('\n');
    expect(header).toMatch(/^TYPE\s+CONNECTOR\s+KEY\s+LAST SEEN$/);
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) expect(r).toMatch(/^workload\s+lab-cluster\s+\S+\/\w+\/\S+\s+\d{4}-/);

    const json = await palisade(['inventory', '--namespace', 'kube-system', '-o', 'json']);
    const assets = JSON.parse(json.out) as Array<{ key: string }>;
    expect(assets.length).toBeGreaterThan(0);
    expect(assets.every((a) => a.key.startsWith('kube-system/'))).toBe(true);
    const limited = JSON.parse((await palisade(['inventory', '--limit', '3', '-o', 'json'])).out) as unknown[];
    expect(limited).toHaveLength(3);
    const all = JSON.parse((await palisade(['inventory', '-o', 'json'])).out) as Array<{ id: string }>;
    expect(new Set(all.map((a) => a.id)).size).toBe(all.length);
    expect(all.length).toBe((await store.listAssets({ limit: 1000 })).items.length);

    const recs = await palisade(['recommendations', '-o', 'yaml']);
    expect(recs.code, recs.err).toBe(0);
    const list = jsYaml.load(recs.out) as Array<{ checkId: string; severity: string; affected: number }>;
    expect(list.length).toBeGreaterThan(0);
    const high = await palisade(['recommendations', '--severity', 'high']);
    const lines = high.out.trim().split('\n');
    expect(lines[0]).toMatch(/^SEVERITY\s+CHECK\s+AFFECTED\s+FINDINGS\s+TITLE$/);
    expect(lines.slice(1).every((l) => l.startsWith('high '))).toBe(true);
    expect(lines.length - 1).toBe(list.filter((r) => r.severity === 'high').length);
  });
});
