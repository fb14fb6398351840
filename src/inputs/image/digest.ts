import { createHash, type Hash } from 'node:crypto';
import { PalisadeError } from '../../model/errors.js';

const DIGEST_RE = /^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;

/** True for a `sha256:` or `sha512:` digest in canonical (lower-case hex) form. */
export function isDigest(s: unknown): s is string {
  return typeof s === 'string' && DIGEST_RE.test(s);
}

/**
 * Checks a digest before it is used to build a path or URL: only the two algorithms with fixed-length hex
 * encodings are accepted, so a digest can never carry `/` or `..`.
 */
export function assertDigest(s: unknown, what: string): string {
  if (!isDigest(s)) throw new PalisadeError('E_IMAGE_FORMAT', `${what}: unsupported or malformed digest ${JSON.stringify(s)}`);
  return s;
}

/** A hash for the algorithm of `digest`. */
export function hasherFor(digest: string): Hash {
  return createHash(digest.startsWith('sha512:') ? 'sha512' : 'sha256');
}

/** `sha256:<hex>` of a buffer. */
export function sha256Digest(data: Buffer): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** Digest of `data` with the algorithm of `like`. */
export function digestLike(like: string, data: Buffer): string {
  const alg = like.startsWith('sha512:') ? 'sha512' : 'sha256';
  return `${alg}:${createHash(alg).update(data).digest('hex')}`;
}

/** A short form for messages (`sha256:0123456789ab`). */
export function shortDigest(d: string): string {
  const i = d.indexOf(':');
  return i < 0 ? d : d.slice(0, i + 13);
}

/** Throws unless `data` has the expected digest (and size, when given). */
export function verifyBuffer(data: Buffer, digest: string, size: number | undefined, what: string): void {
  if (size !== undefined && data.length !== size) {
    throw new PalisadeError('E_IMAGE_DIGEST', `${what} ${shortDigest(digest)}: expected ${size} bytes, got ${data.length}${data.length < size ? ' (truncated)' : ''}`);
  }
  const got = digestLike(digest, data);
  if (got !== digest) throw new PalisadeError('E_IMAGE_DIGEST', `${what}: digest mismatch, expected ${digest}, got ${got}`);
}

/**
 * Passes the bytes of a blob through while hashing and counting them. Fails as soon as more bytes than the
 * descriptor's size arrive, and at the end when the size or digest differs, so nothing downstream ever sees
 * a clean end of a tampered or truncated blob.
 */
export async function* verifyStream(source: AsyncIterable<Buffer>, digest: string, size: number | undefined, what: string): AsyncGenerator<Buffer> {
  const hash = hasherFor(digest);
  let n = 0;
  for await (const chunk of source) {
    n += chunk.length;
    if (size !== undefined && n > size) {
      throw new PalisadeError('E_IMAGE_DIGEST', `${what} ${shortDigest(digest)}: more data than the ${size} bytes its descriptor declares`);
    }
    hash.update(chunk);
    yield chunk;
  }
  if (size !== undefined && n !== size) {
    throw new PalisadeError('E_IMAGE_DIGEST', `${what} ${shortDigest(digest)}: truncated, got ${n} of ${size} bytes`);
  }
  const got = `${digest.slice(0, digest.indexOf(':'))}:${hash.digest('hex')}`;
  if (got !== digest) throw new PalisadeError('E_IMAGE_DIGEST', `${what}: digest mismatch, expected ${digest}, got ${got}`);
}
