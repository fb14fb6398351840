import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresUnavailable, startPostgres, type RunningPostgres } from '../../test/helpers/postgres.js';
import { serveCommand } from '../cli/commands/serve.js';
import type { Io } from '../cli/io.js';
import { describeStoreLocation, prepareServer, resolveDataDir } from './serve.js';

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'palisade-serve-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function memoryIo(env: NodeJS.ProcessEnv): Io & { out: string; err: string } {
  const io = { out: '', err: '', stdoutIsTty: false, stderrIsTty: false, env, stdout: (s: string) => void (io.out += s), stderr: (s: string) => void (io.err += s) };
  return io;
}

/** Runs `palisade serve` on a free port, calls `fn` with its URL, then stops it the way a signal would. */
async function withServer(env: NodeJS.ProcessEnv, dataDir: string, fn: (url: string, io: ReturnType<typeof memoryIo>) => Promise<void>): Promise<number> {
  const io = memoryIo(env);
  let stop!: () => void;
  const until = new Promise<void>((r) => (stop = r));
  let listening!: (url: string) => void;
  const address = new Promise<string>((r) => (listening = r));
  let code = -1;
  const cmd = serveCommand(io, (c) => (code = c), { until, onListening: listening });
  const run = cmd.parseAsync(['--port', '0', '--data-dir', dataDir, '--log-level', 'silent'], { from: 'user' });
  const url = await Promise.race([address, run.then(() => Promise.reject(new Error(`serve exited: ${io.err}`)))]);
  try {
    await fn(url, io);
  } finally {
    stop();
    await run;
  }
  return code;
}

describe('data directory', () => {
  it('comes from the flag, PALISADE_DATA_DIR, an absolute XDG_DATA_HOME, or ~/.local/share', () => {
    expect(resolveDataDir('/srv/p', { PALISADE_DATA_DIR: '/x' }, '/home/u')).toBe('/srv/p');
    expect(resolveDataDir(undefined, { PALISADE_DATA_DIR: '/x' }, '/home/u')).toBe('/x');
    expect(resolveDataDir(undefined, { XDG_DATA_HOME: '/xdg' }, '/home/u')).toBe('/xdg/palisade');
    expect(resolveDataDir(undefined, { XDG_DATA_HOME: 'relative' }, '/home/u')).toBe('/home/u/.local/share/palisade');
    expect(resolveDataDir(undefined, {}, '/home/u')).toBe('/home/u/.local/share/palisade');
  });

  it('names the store without the database password', () => {
    expect(describeStoreLocation('/d', {})).toBe('/d/palisade.db');
    expect(describeStoreLocation('/d', { DATABASE_URL: 'postgres://p:hunter2@db:5432/palisade' })).toBe('postgres://p:***@db:5432/palisade');
  });
});

describe('palisade serve on SQLite', () => {
  it('prints the first Owner password once, serves the API with it, and keeps data across restarts', async () => {
    const dir = tempDir();
    let password = '';
    const code = await withServer({}, dir, async (url, io) => {
      password = io.err.match(/one-time password.*:\n\n\s+(\S+)/)?.[1] ?? '';
      expect(password).toMatch(/^[\w-]{24}$/);
      expect(io.err).toContain(`store: ${join(dir, 'palisade.db')}`);
      expect(await (await fetch(`${url}/readyz`)).json()).toMatchObject({ status: 'ready', store: 'sqlite' });
      const login = await fetch(`${url}/api/v1/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password }) });
      expect(login.status).toBe(200);
      const cookie = login.headers.get('set-cookie')!.split(';')[0];
      const ex = await fetch(`${url}/api/v1/exemptions`, { method: 'POST', headers: { 'content-type': 'application/json', cookie }, body: JSON.stringify({ scope: '*', checkId: 'C', reason: 'r', owner: 'o' }) });
      expect(ex.status).toBe(201);
    });
    expect(code).toBe(0);
    await withServer({}, dir, async (url, io) => {
      expect(io.err).not.toContain('one-time password');
      const login = await fetch(`${url}/api/v1/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password }) });
      const cookie = login.headers.get('set-cookie')!.split(';')[0];
      const list = (await (await fetch(`${url}/api/v1/exemptions`, { headers: { cookie } })).json()) as { items: unknown[] };
      expect(list.items).toHaveLength(1);
    });
  });

  it('refuses a bad port and a malformed secret key with a message', async () => {
    const io = memoryIo({ PALISADE_SECRET_KEY: 'nope' });
    let code = -1;
    await serveCommand(io, (c) => (code = c)).parseAsync(['--port', 'http', '--data-dir', tempDir()], { from: 'user' });
    expect(code).toBe(64);
    expect(io.err).toContain('--port: "http" is not a port number');
    await serveCommand(io, (c) => (code = c)).parseAsync(['--port', '0', '--data-dir', tempDir()], { from: 'user' });
    expect(io.err).toContain('PALISADE_SECRET_KEY: the secret key must be 32 bytes');
  });
});

const pgSkip = postgresUnavailable();
describe.skipIf(pgSkip)('palisade serve on PostgreSQL (DATABASE_URL)', () => {
  let server: RunningPostgres;
  beforeAll(async () => {
    server = await startPostgres();
  }, 60_000);
  afterAll(() => server?.stop());

  it('uses DATABASE_URL, and two servers starting together share one schema and one first Owner', async () => {
    const url = await server.createDatabase('serve');
    const env = { DATABASE_URL: url, PALISADE_ADMIN_PASSWORD: 'shared-password-1', PALISADE_SECRET_KEY: 'a'.repeat(64) };
    const [a, b] = await Promise.all([prepareServer({ dataDir: tempDir(), env }), prepareServer({ dataDir: tempDir(), env })]);
    expect(a.store.dialect).toBe('postgres');
    expect((await a.store.listUsers()).map((u) => u.username)).toEqual(['admin']);
    expect([a.createdOwner, b.createdOwner].filter(Boolean)).toHaveLength(1);
    await a.store.close();
    await b.store.close();
    await withServer(env, tempDir(), async (base) => {
      expect(await (await fetch(`${base}/readyz`)).json()).toMatchObject({ status: 'ready', store: 'postgres', pendingMigrations: [] });
    });
  });
});
if (pgSkip) console.warn(pgSkip);
