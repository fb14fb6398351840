import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../storage/sqlite/index.js';
import { loadSecretKey, secretBox, SECRET_KEY_FILE } from './secrets.js';

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'palisade-secrets-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('secrets at rest', () => {
  it('keeps a connector secret out of the database file: only the AES-GCM envelope is stored', async () => {
    const dir = tempDir();
    const box = secretBox(loadSecretKey(dir, {}));
    const secret = 'registry-password-Zq8v1mX3kP';
    const store = openSqliteStore(join(dir, 'palisade.db'));
    await store.migrate();
    const c = await store.createConnector({ kind: 'registry', name: 'ghcr', config: { url: 'https://ghcr.io' }, secrets: null });
    const sealed = box.seal(JSON.stringify({ password: secret }), c.id);
    await store.updateConnector(c.id, { secrets: sealed });
    expect(box.open((await store.getConnector(c.id))!.secrets!, c.id)).toBe(JSON.stringify({ password: secret }));
    await store.close();
    // Every file of the database (main, WAL, shared memory) is free of the plaintext.
    const files = readdirSync(dir).filter((f) => f.startsWith('palisade.db'));
    const bytes = Buffer.concat(files.map((f) => readFileSync(join(dir, f))));
    expect(bytes.includes(Buffer.from('ghcr.io'))).toBe(true);
    expect(bytes.includes(Buffer.from(sealed.split(':')[3]))).toBe(true);
    expect(bytes.includes(Buffer.from(secret))).toBe(false);
  });

  it('refuses a wrong key, a tampered ciphertext and a blob moved to another row', () => {
    const box = secretBox(randomBytes(32));
    const sealed = box.seal('s3cret', 'connector-1');
    expect(() => secretBox(randomBytes(32)).open(sealed, 'connector-1')).toThrow(/not the key it was written with/);
    const [v, iv, tag, body] = sealed.split(':');
    const flipped = Buffer.from(body, 'base64');
    flipped[0] ^= 1;
    expect(() => box.open([v, iv, tag, flipped.toString('base64')].join(':'), 'connector-1')).toThrow();
    expect(() => box.open(sealed, 'connector-2')).toThrow();
    expect(box.seal('s3cret', 'connector-1')).not.toBe(sealed);
  });

  it('generates a 0600 key file once and reuses it; PALISADE_SECRET_KEY wins and is checked', () => {
    const dir = tempDir();
    const k1 = loadSecretKey(dir, {});
    expect(statSync(join(dir, SECRET_KEY_FILE)).mode & 0o777).toBe(0o600);
    expect(loadSecretKey(dir, {}).equals(k1)).toBe(true);
    const hex = randomBytes(32).toString('hex');
    expect(loadSecretKey(dir, { PALISADE_SECRET_KEY: hex }).toString('hex')).toBe(hex);
    expect(() => loadSecretKey(dir, { PALISADE_SECRET_KEY: 'too-short' })).toThrow(/32 bytes.*openssl rand -hex 32/);
  });
});

describe('database file', () => {
  it('is readable by its owner only', async () => {
    const dir = tempDir();
    const store = openSqliteStore(join(dir, 'palisade.db'));
    await store.migrate();
    await store.close();
    expect(statSync(join(dir, 'palisade.db')).mode & 0o777).toBe(0o600);
  });
});
