import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../storage/sqlite/index.js';
import type { Store } from '../storage/store.js';
import { addUser, authenticate, bootstrapOwner, createToken, hashPassword, login, removeUser, sha256, verifyPassword } from './users.js';

const system = { name: 'system', role: 'owner' as const };
let store: Store;
beforeEach(async () => {
  store = openSqliteStore(':memory:');
  await store.migrate();
});
afterEach(() => store.close());

describe('passwords', () => {
  it('hashes with scrypt and a per-password salt, and verifies', async () => {
    const a = await hashPassword('correct horse battery');
    const b = await hashPassword('correct horse battery');
    expect(a).toMatch(/^scrypt\$32768\$8\$1\$/);
    expect(a).not.toBe(b);
    expect(await verifyPassword('correct horse battery', a)).toBe(true);
    expect(await verifyPassword('correct horse batterx', a)).toBe(false);
    expect(await verifyPassword('x', 'not-a-hash')).toBe(false);
  });
});

describe('first Owner', () => {
  it('is created once, with a generated password or PALISADE_ADMIN_PASSWORD', async () => {
    const first = await bootstrapOwner(store, {});
    expect(first?.username).toBe('admin');
    expect(first?.password).toMatch(/^[\w-]{24}$/);
    expect(await login(store, 'admin', first!.password!)).toBeDefined();
    expect(await bootstrapOwner(store, {})).toBeUndefined();

    const other = openSqliteStore(':memory:');
    await other.migrate();
    expect(await bootstrapOwner(other, { PALISADE_ADMIN_PASSWORD: 'given-password-123' })).toEqual({ username: 'admin' });
    expect(await login(other, 'admin', 'given-password-123')).toBeDefined();
    await other.close();
  });

  it('cannot be removed while it is the last Owner', async () => {
    await addUser(store, system, { username: 'root', role: 'owner', password: 'long-password-1' });
    await expect(removeUser(store, system, 'root')).rejects.toThrow(/last Owner/);
    await addUser(store, system, { username: 'root2', role: 'owner', password: 'long-password-2' });
    expect(await removeUser(store, system, 'root')).toBe(true);
  });
});

describe('tokens', () => {
  it('are stored as hashes, shown once, capped at the user role, and end with their user', async () => {
    const u = await addUser(store, system, { username: 'ci', role: 'contributor', password: 'long-password-1' });
    await expect(createToken(store, system, { userId: u.id, name: 't', role: 'owner' })).rejects.toThrow(/higher role/);
    const { token, info } = await createToken(store, system, { userId: u.id, name: 't', role: 'contributor' });
    expect(token.startsWith(info.prefix)).toBe(true);
    const row = await store.getApiToken(info.id);
    expect(row?.tokenHash).toBe(sha256(token));
    expect(JSON.stringify(await store.listApiTokens())).not.toContain(token);
    expect(await authenticate(store, { bearer: token })).toMatchObject({ name: `token:${info.prefix}`, role: 'contributor' });
    // Removing the user removes its tokens.
    await store.deleteUser(u.id);
    expect(await authenticate(store, { bearer: token })).toBeUndefined();
  });

  it('expire', async () => {
    const u = await addUser(store, system, { username: 'ci', role: 'reader', password: 'long-password-1' });
    const { token } = await createToken(store, system, { userId: u.id, name: 't', role: 'reader', expiresAt: '2020-01-01T00:00:00Z' });
    expect(await authenticate(store, { bearer: token })).toBeUndefined();
  });
});
