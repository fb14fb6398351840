import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { compress, hasZstdCli, zstdRaw } from '../../../test/helpers/oci-image.js';
import { PalisadeError } from '../../model/errors.js';
import { zstdDecompress } from './zstd.js';

async function* chunks(data: Buffer, size: (i: number) => number): AsyncGenerator<Buffer> {
  let off = 0;
  for (let i = 0; off < data.length; i++) {
    const n = Math.max(1, size(i));
    yield data.subarray(off, off + n);
    off += n;
  }
}

async function decode(data: Buffer, size: (i: number) => number, maxWindow = 128 * 1024 * 1024): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const c of zstdDecompress(chunks(data, size), maxWindow, 'test')) {
    expect(c.length).toBeLessThanOrEqual(128 * 1024);
    out.push(c);
  }
  return Buffer.concat(out);
}

const sample = Buffer.concat([randomBytes(50_000), Buffer.alloc(400_000, 'a'), Buffer.from('tail'.repeat(1000))]);
const skippable = Buffer.concat([Buffer.from([0x50, 0x2a, 0x4d, 0x18, 5, 0, 0, 0]), Buffer.from('skip!')]);

describe('zstd decompression', () => {
  it('decodes several frames and skippable frames, whatever the chunking', async () => {
    const stream = Buffer.concat([zstdRaw(sample.subarray(0, 200_000)), skippable, zstdRaw(sample.subarray(200_000))]);
    for (const size of [() => 1 << 20, (i: number) => (i < 3000 ? 1 : 4096), (i: number) => (i * 7919) % 997 + 1]) {
      expect((await decode(stream, size)).equals(sample)).toBe(true);
    }
  });

  it.skipIf(!hasZstdCli())('decodes the zstd program\'s output (compressed blocks, checksum) in odd chunks', async () => {
    const z = compress(sample, 'zstd');
    expect(z.length).toBeLessThan(sample.length / 2);
    expect((await decode(z, (i) => (i * 31) % 1000 + 1)).equals(sample)).toBe(true);
  });

  it('refuses dictionaries, bad magic and truncation with coded errors', async () => {
    const dict = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x01, 0x38, 0x07, 0x01, 0x00, 0x00]);
    for (const [bad, re] of [[dict, /dictionar/], [Buffer.from('not zstd at all'), /magic/], [zstdRaw(sample).subarray(0, 5000), /truncated/]] as const) {
      const e = await decode(bad, () => 4096).then(() => undefined, (x: unknown) => x);
      expect(e).toBeInstanceOf(PalisadeError);
      expect((e as PalisadeError).message).toMatch(re);
    }
  });

  it('refuses windows over the limit before allocating them', async () => {
    const e = await decode(zstdRaw(sample), () => 1 << 20, 64 * 1024).then(() => undefined, (x: unknown) => x);
    expect((e as PalisadeError).code).toBe('E_IMAGE_LIMIT');
  });
});
