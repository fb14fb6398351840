import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { tarOf, type TestEntry } from '../../../test/helpers/oci-image.js';
import { PalisadeError } from '../../model/errors.js';
import { decompress, tarEntries, type LayerEntry } from './layer.js';

/** `data` in chunks of `size` bytes, noting whether the consumer read it to the end or closed it. */
function chunked(data: Buffer, size: number, seen: { ended: boolean; closed: boolean }): AsyncIterable<Buffer> {
  return (async function* () {
    try {
      for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
      seen.ended = true;
    } finally {
      seen.closed = true;
    }
  })();
}

interface Got {
  path: string;
  type: LayerEntry['type'];
  linkname?: string;
  size: number;
  content?: string;
}

/** Every entry; content of those `read` picks. */
async function list(source: AsyncIterable<Buffer>, read: (e: LayerEntry, i: number) => boolean = () => true): Promise<Got[]> {
  const out: Got[] = [];
  let i = 0;
  for await (const e of tarEntries(source, 'layer 0 (test)')) {
    const g: Got = { path: e.path, type: e.type, size: e.size };
    if (e.linkname !== undefined) g.linkname = e.linkname;
    if (read(e, i++)) g.content = (await e.read()).toString('latin1');
    out.push(g);
  }
  return out;
}

async function failure(p: Promise<unknown>): Promise<PalisadeError> {
  const e = await p.then(() => undefined, (err: unknown) => err);
  expect(e).toBeInstanceOf(PalisadeError);
  return e as PalisadeError;
}

const bytes = (n: number, seed: number): string => Array.from({ length: n }, (_, i) => String.fromCharCode(32 + ((i * 7 + seed) % 90))).join('');
const LONG_DIR = `${'deep/'.repeat(25)}end`;
const ENTRIES: TestEntry[] = [
  { name: 'etc/', type: 'directory' },
  { name: 'etc/empty', content: '' },
  { name: 'etc/one', content: 'x' },
  { name: 'etc/b511', content: bytes(511, 1) },
  { name: 'etc/b512', content: bytes(512, 2) },
  { name: 'etc/b513', content: bytes(513, 3) },
  { name: 'usr/lib/big', content: bytes(100_003, 4) },
  { name: `${LONG_DIR}/${'n'.repeat(120)}.txt`, content: 'long name' },
  { name: 'etc/os-release', type: 'symlink', linkname: `../${'l'.repeat(150)}/os-release` },
  { name: 'usr/bin/again', type: 'link', linkname: 'usr/lib/big' },
  { name: 'run/fifo', type: 'fifo' },
];

function expected(read: (i: number) => boolean): Got[] {
  return ENTRIES.map((e, i) => {
    const type = ({ directory: 'dir', file: 'file', symlink: 'symlink', link: 'link', fifo: 'other' } as const)[e.type ?? 'file'];
    const content = e.content === undefined ? '' : Buffer.from(e.content).toString('latin1');
    const g: Got = { path: e.name, type, size: type === 'file' ? content.length : 0 };
    if (e.linkname) g.linkname = e.linkname;
    if (read(i)) g.content = type === 'file' ? content : '';
    return g;
  });
}

describe('tarEntries', () => {
  it('reads names, kinds, links and content whatever the chunk boundaries', async () => {
    const tar = await tarOf(ENTRIES);
    for (const size of [1, 7, 511, 512, 513, 4096, 65536, tar.length]) {
      const seen = { ended: false, closed: false };
      const readOdd = (i: number): boolean => i % 2 === 1;
      expect(await list(chunked(tar, size, seen), (_, i) => readOdd(i)), `chunks of ${size}`).toEqual(expected(readOdd));
      // Read past the end-of-archive blocks to the end, so that a digest upstream sees every byte.
      expect(seen).toEqual({ ended: true, closed: true });
    }
  });

  it('reads GNU tar long names and link targets', async (ctx) => {
    if (spawnSync('tar', ['--version']).status !== 0) return ctx.skip('GNU tar is not installed');
    const dir = mkdtempSync(join(tmpdir(), 'palisade-gnutar-'));
    try {
      const longDir = join(dir, 'src', 'd'.repeat(90), 'e'.repeat(90));
      mkdirSync(longDir, { recursive: true });
      writeFileSync(join(longDir, 'f'.repeat(100)), 'gnu');
      symlinkSync(`../${'t'.repeat(200)}`, join(dir, 'src', 'link'));
      const out = join(dir, 'gnu.tar');
      expect(spawnSync('tar', ['--format=gnu', '-cf', out, '-C', join(dir, 'src'), '.']).status).toBe(0);
      const got = await list(chunked(readFileSync(out), 1000, { ended: false, closed: false }));
      expect(got).toContainEqual({ path: `./${'d'.repeat(90)}/${'e'.repeat(90)}/${'f'.repeat(100)}`, type: 'file', size: 3, content: 'gnu' });
      expect(got).toContainEqual({ path: './link', type: 'symlink', linkname: `../${'t'.repeat(200)}`, size: 0, content: '' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fails on a tar cut in the middle of a file, naming the layer', async () => {
    const tar = await tarOf(ENTRIES);
    const cut = tar.subarray(0, 512 * 12 + 100);
    for (const read of [true, false]) {
      const e = await failure(list(chunked(cut, 300, { ended: false, closed: false }), () => read));
      expect(e.code).toBe('E_IMAGE_FORMAT');
      expect(e.message).toMatch(/layer 0 \(test\).*unexpected end of data/);
    }
  });

  it('fails on a header with a bad checksum', async () => {
    const tar = Buffer.from(await tarOf([{ name: 'a', content: 'a' }]));
    tar[0] ^= 1;
    const e = await failure(list(chunked(tar, 512, { ended: false, closed: false })));
    expect(e.code).toBe('E_IMAGE_FORMAT');
    expect(e.message).toMatch(/bad header checksum at offset 0/);
  });

  it('closes the source when the consumer stops early', async () => {
    const tar = await tarOf(ENTRIES);
    const seen = { ended: false, closed: false };
    for await (const e of tarEntries(chunked(tar, 1024, seen), 'layer 0')) {
      expect(e.path).toBe('etc/');
      break;
    }
    expect(seen).toEqual({ ended: false, closed: true });
  });
});

describe('decompress (gzip)', () => {
  // Incompressible, so that the compressed stream is longer than what the inflater reads ahead.
  const tar = randomBytes(8 * 1024 * 1024 + 17);
  const gz = gzipSync(tar);
  const dir = mkdtempSync(join(tmpdir(), 'palisade-gunzip-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('inflates what came in any chunking, and reads the source to its end', async () => {
    for (const size of [1000, 65536, gz.length]) {
      const seen = { ended: false, closed: false };
      const parts: Buffer[] = [];
      for await (const c of decompress(chunked(gz, size, seen), 'layer 0', 1 << 27)) parts.push(c);
      expect(Buffer.concat(parts).equals(tar), `chunks of ${size}`).toBe(true);
      expect(seen).toEqual({ ended: true, closed: true });
    }
  });

  it('fails on a truncated gzip stream, and on a source that fails', async () => {
    const e = await failure((async () => {
      for await (const _ of decompress(chunked(gz.subarray(0, gz.length - 100), 4096, { ended: false, closed: false }), 'layer 3', 1 << 27)) {
        // drain
      }
    })());
    expect(e.message).toMatch(/layer 3/);
    const broken = (async function* () {
      yield gz.subarray(0, 100_000);
      throw new PalisadeError('E_IMAGE_DIGEST', 'layer 3: digest mismatch');
    })();
    const e2 = await failure((async () => {
      for await (const _ of decompress(broken, 'layer 3', 1 << 27)) {
        // drain
      }
    })());
    expect(e2.code).toBe('E_IMAGE_DIGEST');
  });

  it('closes the source when the consumer stops early', async () => {
    const seen = { ended: false, closed: false };
    for await (const c of decompress(chunked(gz, 65536, seen), 'layer 0', 1 << 27)) {
      expect(c.length).toBeGreaterThan(0);
      break;
    }
    // The feeder notices at its next chunk.
    await new Promise((r) => setTimeout(r, 50));
    expect(seen.closed).toBe(true);
    expect(seen.ended).toBe(false);
  });
});
