import { createHash, randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { PalisadeError } from '../../model/errors.js';
import { gunzipOnThread, type GunzipSpec } from './gunzip-thread.js';

const sha256 = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** `data` in chunks of `size` bytes, noting whether the consumer closed it. */
function chunked(data: Buffer, size: number, seen = { closed: false }): AsyncIterable<Buffer> {
  return (async function* () {
    try {
      for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
    } finally {
      seen.closed = true;
    }
  })();
}

/** Everything the thread yields, copied (the pieces are views into memory that is reused). */
async function collect(source: AsyncIterable<Buffer>, spec: GunzipSpec): Promise<Buffer> {
  const it = gunzipOnThread(source, spec);
  expect(it).toBeDefined();
  const parts: Buffer[] = [];
  for await (const c of it as AsyncIterable<Buffer>) parts.push(Buffer.from(c));
  return Buffer.concat(parts);
}

async function failure(p: Promise<unknown>): Promise<PalisadeError> {
  const e = await p.then(() => undefined, (err: unknown) => err);
  expect(e).toBeInstanceOf(PalisadeError);
  return e as PalisadeError;
}

/** Text that compresses about as well as file systems do, with a random part that does not. */
function sample(n: number, seed: number): Buffer {
  const out = Buffer.alloc(n);
  const noise = randomBytes(4096);
  for (let i = 0; i < n; i += 4096) {
    const line = Buffer.from(`line ${i} of sample ${seed}: ${'abcdefghij'.repeat(1 + (i % 37))}\n`);
    line.copy(out, i);
    if ((i / 4096) % 3 === 0) noise.copy(out, i + line.length, 0, Math.min(4096 - line.length, n - i - line.length));
  }
  return out;
}

describe('gunzipOnThread', () => {
  it('inflates multi-member gzip in any chunking, beyond the size of its rings, and verifies digest, size and diff_id', async () => {
    // 48 MiB of output wraps the 32 MiB output ring; 200,000 zero bytes per member are a small bomb each.
    const tar = Buffer.concat([sample(40 * 1024 * 1024, 1), Buffer.alloc(200_000), sample(8 * 1024 * 1024, 2)]);
    const blob = Buffer.concat([gzipSync(tar.subarray(0, 1_000_000)), gzipSync(tar.subarray(1_000_000))]);
    for (const size of [1, 4093, 65536, 3 * 1024 * 1024]) {
      if (size === 1) {
        // Byte by byte only over a small blob (it is slow).
        const small = sample(20_000, 3);
        const gz = gzipSync(small);
        expect(await collect(chunked(gz, 1), { digest: sha256(gz), size: gz.length, diffId: sha256(small), what: 'layer 0 (test)' })).toEqual(small);
        continue;
      }
      const got = await collect(chunked(blob, size), { digest: sha256(blob), size: blob.length, diffId: sha256(tar), what: 'layer 0 (test)' });
      expect(got.length).toBe(tar.length);
      expect(got.equals(tar)).toBe(true);
    }
  }, 60_000);

  it('fails on a blob digest, size or diff_id that does not match, and on corrupt gzip', async () => {
    const tar = sample(3_000_000, 4);
    const blob = gzipSync(tar);
    const spec = { digest: sha256(blob), size: blob.length, diffId: sha256(tar), what: 'layer 1 (test)' };

    const wrongDigest = await failure(collect(chunked(blob, 65536), { ...spec, digest: sha256(Buffer.from('other')) }));
    expect(wrongDigest.code).toBe('E_IMAGE_DIGEST');
    expect(wrongDigest.message).toMatch(/layer 1 \(test\): digest mismatch, expected sha256:/);

    const truncated = await failure(collect(chunked(blob.subarray(0, blob.length - 10), 65536), spec));
    expect(truncated.code).toBe('E_IMAGE_DIGEST');
    expect(truncated.message).toMatch(/truncated, got \d+ of \d+ bytes/);

    const longer = await failure(collect(chunked(Buffer.concat([blob, Buffer.alloc(10)]), 65536), spec));
    expect(longer.code).toBe('E_IMAGE_DIGEST');
    expect(longer.message).toMatch(/more data than the \d+ bytes its descriptor declares/);

    const wrongDiff = await failure(collect(chunked(blob, 65536), { ...spec, diffId: sha256(Buffer.from('other')) }));
    expect(wrongDiff.code).toBe('E_IMAGE_DIGEST');
    expect(wrongDiff.message).toMatch(/does not match the config's diff_id/);

    const corrupt = Buffer.from(blob);
    corrupt[Math.floor(corrupt.length / 2)] ^= 0xff;
    const bad = await failure(collect(chunked(corrupt, 65536), { what: 'layer 2 (test)' }));
    expect(bad.code).toBe('E_IMAGE_FORMAT');
    expect(bad.message).toMatch(/^layer 2 \(test\): gzip: /);

    // With the digest known, an alteration that also breaks the gzip stream is reported as what it is.
    const altered = await failure(collect(chunked(corrupt, 65536), spec));
    expect(altered.code).toBe('E_IMAGE_DIGEST');
    expect(altered.message).toMatch(/digest mismatch/);

    // Cut short without a size to check: the inflater's own end-of-stream check.
    const cut = await failure(collect(chunked(blob.subarray(0, blob.length >> 1), 65536), { what: 'layer 3 (test)' }));
    expect(cut.message).toMatch(/gzip: unexpected end of file/);
  }, 60_000);

  it('passes on a failure of the source', async () => {
    const blob = gzipSync(sample(2_000_000, 5));
    const source = (async function* () {
      yield blob.subarray(0, 100_000);
      throw new PalisadeError('E_IMAGE_NETWORK', 'connection reset');
    })();
    const e = await failure(collect(source, { what: 'layer 4 (test)' }));
    expect(e.code).toBe('E_IMAGE_NETWORK');
  });

  it('stops early when the consumer does, closes the source, and serves the next layer correctly', async () => {
    const first = sample(30 * 1024 * 1024, 6);
    const seen = { closed: false };
    const it = gunzipOnThread(chunked(gzipSync(first), 65536, seen), { what: 'layer 5 (test)' });
    expect(it).toBeDefined();
    let n = 0;
    for await (const c of it as AsyncIterable<Buffer>) {
      n += c.length;
      if (n > 2_000_000) break;
    }
    expect(seen.closed).toBe(true);
    // The same worker and memory serve the next layers, from their first byte.
    for (let i = 0; i < 3; i++) {
      const next = sample(5_000_000 + i, 7 + i);
      const gz = gzipSync(next);
      expect((await collect(chunked(gz, 100_000), { digest: sha256(gz), size: gz.length, diffId: sha256(next), what: 'layer 6 (test)' })).equals(next)).toBe(true);
    }
  }, 60_000);

  it('serves layers read at the same time', async () => {
    const datas = [sample(6_000_000, 11), sample(7_000_000, 12), sample(3_000_000, 13)];
    const got = await Promise.all(datas.map((d) => {
      const gz = gzipSync(d);
      return collect(chunked(gz, 50_000), { digest: sha256(gz), diffId: sha256(d), what: 'layer 7 (test)' });
    }));
    got.forEach((g, i) => expect(g.equals(datas[i])).toBe(true));
  }, 60_000);
});
