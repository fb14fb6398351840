import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

interface Started {
  child: ChildProcess;
  url: string;
  username: string;
  password: string;
  stderr: () => string;
}

/** Starts `palisade serve --demo --port 0` and waits for the URL and login it prints. */
function startDemo(env: NodeJS.ProcessEnv): Promise<Started> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/run.ts'), 'serve', '--demo', '--port', '0', '--log-level', 'warn'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  return new Promise((ok, fail) => {
    child.stderr!.on('data', (c: Buffer) => {
      err += c.toString();
      const m = /demo ready at (http:\/\/\S+)\n\s+log in as "([^"]+)" with password (\S+)/.exec(err);
      if (m) ok({ child, url: m[1]!, username: m[2]!, password: m[3]!, stderr: () => err });
    });
    child.on('exit', (code) => fail(new Error(`serve --demo exited (${code}): ${err}`)));
  });
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((ok) => {
    if (child.exitCode !== null) return ok();
    child.once('exit', () => ok());
    child.kill('SIGTERM');
  });
}

async function getJson(url: string, cookie: string): Promise<{ status: number; body: { items: Array<Record<string, unknown>> } }> {
  const res = await fetch(url, { headers: { cookie } });
  return { status: res.status, body: (await res.json()) as { items: Array<Record<string, unknown>> } };
}

describe('palisade serve --demo', () => {
  const dir = mkdtempSync(join(tmpdir(), 'palisade-serve-demo-'));
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: dir, PALISADE_DATA_DIR: join(dir, 'data'), NO_COLOR: '1' };
  const children: ChildProcess[] = [];

  afterAll(async () => {
    for (const c of children) await stop(c);
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves a populated demo from its own data directory and prints the same login on every start', async () => {
    const first = await startDemo(env);
    children.push(first.child);
    expect(first.stderr()).toMatch(/demo environment loaded into .*palisade-demo: cluster "demo-shop" with \d+ findings/);
    // The demo keeps to a folder of its own under the normal data directory.
    expect(existsSync(join(dir, 'data', 'palisade-demo', 'demo-login.json'))).toBe(true);
    expect(existsSync(join(dir, 'data', 'palisade.db'))).toBe(false);

    const login = await fetch(`${first.url}/api/v1/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: first.username, password: first.password }) });
    expect(login.status).toBe(200);
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;

    const recs = await getJson(`${first.url}/api/v1/recommendations`, cookie);
    expect(recs.status).toBe(200);
    expect(recs.body.items.length).toBeGreaterThan(5);
    const alerts = await getJson(`${first.url}/api/v1/alerts`, cookie);
    expect(alerts.status).toBe(200);
    expect(alerts.body.items.some((a) => (a.mitre as { tactics: string[] }).tactics.length > 0)).toBe(true);
    const vulns = await getJson(`${first.url}/api/v1/vulnerabilities?exposed=true`, cookie);
    expect(vulns.status).toBe(200);
    expect(vulns.body.items).toHaveLength(1);
    await stop(first.child);

    const second = await startDemo(env);
    children.push(second.child);
    expect(second.password).toBe(first.password);
    const again = await fetch(`${second.url}/api/v1/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: second.username, password: second.password }) });
    expect(again.status).toBe(200);
    const cookie2 = (again.headers.get('set-cookie') ?? '').split(';')[0]!;
    const connectors = await getJson(`${second.url}/api/v1/connectors`, cookie2);
    expect(connectors.body.items).toHaveLength(1);
  }, 120_000);
});
