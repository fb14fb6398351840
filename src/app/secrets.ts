import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PalisadeError } from '../model/errors.js';

/** File in the data directory holding the generated key when PALISADE_SECRET_KEY is not set. */
export const SECRET_KEY_FILE = 'secret.key';

const VERSION = 'v1';

/**
 * Encrypts and decrypts connector secrets (registry passwords, kubeconfig tokens) with AES-256-GCM, so
 * the database alone never reveals them. The 12-byte nonce is random per value; the 16-byte tag makes
 * any change to the ciphertext fail decryption. `aad` binds a ciphertext to its row (the connector id),
 * so a blob copied onto another connector does not decrypt.
 */
export interface SecretBox {
  seal(plaintext: string, aad?: string): string;
  open(sealed: string, aad?: string): string;
}

function parseKey(text: string, where: string): Buffer {
  const t = text.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(t) ? Buffer.from(t, 'hex') : Buffer.from(t, 'base64');
  if (key.length !== 32) throw new PalisadeError('E_CONFIG', `${where}: the secret key must be 32 bytes, written as 64 hex digits or base64 (generate one with: openssl rand -hex 32)`);
  return key;
}

/** A box over a 32-byte key. */
export function secretBox(key: Buffer): SecretBox {
  if (key.length !== 32) throw new PalisadeError('E_CONFIG', 'the secret key must be 32 bytes');
  return {
    seal(plaintext, aad = '') {
      const iv = randomBytes(12);
      const c = createCipheriv('aes-256-gcm', key, iv);
      c.setAAD(Buffer.from(aad, 'utf8'));
      const body = Buffer.concat([c.update(plaintext, 'utf8'), c.final()]);
      return `${VERSION}:${iv.toString('base64')}:${c.getAuthTag().toString('base64')}:${body.toString('base64')}`;
    },
    open(sealed, aad = '') {
      const [v, iv, tag, body] = sealed.split(':');
      if (v !== VERSION || !iv || !tag || body === undefined) throw new PalisadeError('E_CONFIG', 'stored secret is not in a known format');
      try {
        const d = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64'));
        d.setAAD(Buffer.from(aad, 'utf8'));
        d.setAuthTag(Buffer.from(tag, 'base64'));
        return Buffer.concat([d.update(Buffer.from(body, 'base64')), d.final()]).toString('utf8');
      } catch {
        // Never echo the blob: it is the ciphertext of a credential.
        throw new PalisadeError('E_CONFIG', 'a stored secret cannot be decrypted: PALISADE_SECRET_KEY (or the key file) is not the key it was written with');
      }
    },
  };
}

/**
 * The key: PALISADE_SECRET_KEY when set (64 hex digits or base64 of 32 bytes); else `<dataDir>/secret.key`,
 * created with mode 0600 on first use. With several replicas on one PostgreSQL, set the variable on all of
 * them: a key generated per machine would not open the others' secrets.
 */
export function loadSecretKey(dataDir: string, env: NodeJS.ProcessEnv = process.env): Buffer {
  const fromEnv = env.PALISADE_SECRET_KEY;
  if (fromEnv) return parseKey(fromEnv, 'PALISADE_SECRET_KEY');
  const file = join(dataDir, SECRET_KEY_FILE);
  if (existsSync(file)) {
    if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
    return parseKey(readFileSync(file, 'utf8'), file);
  }
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const key = randomBytes(32);
  // 'wx': never overwrite a key another process wrote a moment ago (that would orphan its secrets).
  try {
    writeFileSync(file, `${key.toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return parseKey(readFileSync(file, 'utf8'), file);
    throw e;
  }
  return key;
}
