import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../api/server.js';
import { secretBox } from '../../app/secrets.js';
import { addUser, createToken } from '../../app/users.js';
import { openSqliteStore } from '../../storage/sqlite/index.js';
import type { Store } from '../../storage/store.js';
import { main } from '../main.js';

const box = secretBox(randomBytes(32));
let store: Store;
let app: FastifyInstance;
let url: string;
let dataDir: string;
let ownerToken: string;
let readerToken: string;

beforeAll(async () => {
  store = openSqliteStore(':memory:');
  await store.migrate();
  const system = { name: 'system', role: 'owner' as const };
  const o = await addUser(store, system, { username: 'owner', role: 'owner', password: 'a-long-enough-password' });
  const r = await addUser(store, system, { username: 'reader', role: 'reader', password: 'a-long-enough-password' });
  ownerToken = (await createToken(store, system, { userId: o.id, name: 'cli', role: 'owner' })).token;
  readerToken = (await createToken(store, system, { userId: r.id, name: 'cli', role: 'reader' })).token;
  dataDir = mkdtempSync(join(tmpdir(), 'palisade-offboard-cli-'));
  // The server's clock runs 40 days ahead: connectors created now are inactive.
  app = await buildApp({ store, secrets: box, offboarding: { dataDir, now: () => new Date(Date.now() + 40 * 86_400_000) } });
  url = await app.listen({ host: '127.0.0.1', port: 0 });
  const c = await store.createConnector({ kind: 'cluster', name: 'old', config: { context: 'old-ctx', inCluster: false, scope: {} }, secrets: null });
  await store.updateConnector(c.id, { secrets: box.seal(JSON.stringify({ kubeconfig: 'apiVersion: v1\nkind: Config\n' }), c.id) });
  await store.upsertAssets([{ connectorId: c.id, type: 'node', key: 'Node/n1', attributes: {} }], new Date().toISOString());
});
afterAll(async () => {
  await app.close();
  await store.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function run(args: string[], token = ownerToken) {
  const io = { out: '', err: '', stdoutIsTty: false, stderrIsTty: false, env: { PALISADE_TOKEN: token }, stdout: (s: string) => void (io.out += s), stderr: (s: string) => void (io.err += s) };
  const code = await main(['node', 'palisade', 'offboard', ...args, '--server', url], io);
  return { code, out: io.out, err: io.err };
}

describe('palisade offboard', () => {
  it('lists inactive connectors, plans, executes, reports and purges through the server', async () => {
    const inactive = await run(['--list-inactive']);
    expect(inactive.code, inactive.err).toBe(0);
    expect(inactive.out).toMatch(/^old\s+cluster\s+40/m);

    const plan = await run(['old', '--plan']);
    expect(plan.code, plan.err).toBe(0);
    expect(plan.out).toContain('Offboarding plan for connector old');
    expect(plan.out).toContain('$ kubectl --context old-ctx delete clusterrolebinding palisade-read palisade-read-secrets --ignore-not-found');
    expect(plan.out).toContain('Nothing was changed (dry run)');
    expect((await store.getConnector((await store.listConnectors())[0].id))?.secrets).not.toBeNull();

    expect((await run(['old', '--execute'])).code).toBe(64);
    expect((await run(['old', '--plan', '--execute'])).code).toBe(64);
    expect((await run(['old', '--execute', '--reason', 'decommissioned'], readerToken)).code).toBe(77);

    const exec = await run(['old', '--execute', '--reason', 'decommissioned']);
    expect(exec.code, exec.err).toBe(0);
    expect(exec.out).toMatch(/offboarded/);
    expect(exec.out).toMatch(/8 validate\s+done/);
    expect(exec.out).toMatch(/9 decommission\s+scheduled/);
    expect(exec.out).toContain('Validation: passed');
    expect(exec.out).toContain('sha256sum -c SHA256SUMS');

    const json = await run(['old', '--report', '-o', 'json']);
    expect(JSON.parse(json.out)).toMatchObject({ state: 'offboarded', reason: 'decommissioned', complete: true });

    const purge = await run(['old', '--purge']);
    expect(purge.code, purge.err).toBe(0);
    expect(purge.out).toMatch(/: purged/);
    // Purged: the connector is gone, the record is still found by name.
    expect((await run(['old', '--report'])).out).toMatch(/purged/);
    expect((await run(['nope', '--plan'])).code).toBe(66);
  });
});
