import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openMigratedStore } from '../../app/serve.js';
import { authenticate } from '../../app/users.js';
import { main } from '../main.js';

const dir = mkdtempSync(join(tmpdir(), 'palisade-cli-users-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(args: string[], stdin = '') {
  const io = { out: '', err: '', stdoutIsTty: false, stderrIsTty: false, env: {}, readStdin: async () => stdin, stdout: (s: string) => void (io.out += s), stderr: (s: string) => void (io.err += s) };
  const code = await main(['node', 'palisade', ...args, '--data-dir', dir], io);
  return { code, out: io.out, err: io.err };
}

describe('palisade users and tokens', () => {
  it('adds, lists and removes users, and creates, lists and revokes tokens on the store', async () => {
    expect((await run(['users', 'add', 'alice', '--role', 'owner', '--password-stdin'], 'alice-password-123\n')).code).toBe(0);
    const bob = await run(['users', 'add', 'bob', '--role', 'contributor']);
    expect(bob.out).toMatch(/Added contributor "bob" with password: [\w-]{24}/);
    expect((await run(['users', 'add', 'bob'])).err).toContain('already exists');
    expect((await run(['users', 'add', 'carol', '--role', 'boss'])).code).toBe(64);
    const list = await run(['users', 'list', '-o', 'json']);
    expect(JSON.parse(list.out).map((u: { username: string; role: string }) => `${u.username}:${u.role}`)).toEqual(['alice:owner', 'bob:contributor']);

    expect((await run(['tokens', 'create', '--user', 'bob', '--name', 'ci', '--role', 'owner'])).err).toContain('higher role');
    const created = await run(['tokens', 'create', '--user', 'bob', '--name', 'ci']);
    expect(created.code).toBe(0);
    const token = created.out.trim();
    expect(token).toMatch(/^pal_[\w-]{40}$/);
    const tokens = await run(['tokens', 'list']);
    expect(tokens.out).toContain(`${token.slice(0, 12)} `);
    expect(tokens.out).toMatch(/ci\s+contributor\s+bob\s+active/);
    expect(tokens.out).not.toContain(token);

    const store = await openMigratedStore({ dataDir: dir, env: {} });
    try {
      expect(await authenticate(store, { bearer: token })).toMatchObject({ role: 'contributor' });
      expect((await run(['tokens', 'revoke', token.slice(0, 12)])).code).toBe(0);
      expect(await authenticate(store, { bearer: token })).toBeUndefined();
      expect((await run(['users', 'remove', 'alice'])).err).toContain('last Owner');
      expect((await run(['users', 'remove', 'bob'])).code).toBe(0);
      const audit = (await store.listAudit()).items.map((e) => `${e.action} ${e.target}`);
      expect(audit).toEqual(['user.delete user:bob', `token.revoke token:${token.slice(0, 12)}`, `token.create token:${token.slice(0, 12)}`, 'user.create user:bob', 'user.create user:alice']);
      expect((await store.listAudit()).items[0].actor).toMatch(/^cli:/);
    } finally {
      await store.close();
    }
  });
});
