import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasZstdCli, image, layer, layerFromTar, tarOf, writeOciLayout, type BuiltImage, type BuiltLayer, type TestEntry } from '../../../test/helpers/oci-image.js';
import { PalisadeError } from '../../model/errors.js';
import { openImage } from './open.js';
import type { ImageFile, OpenImageOptions } from './types.js';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'palisade-walk-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

let counter = 0;
async function layoutOf(im: BuiltImage): Promise<string> {
  const dir = join(tmp, `img${counter++}`);
  await writeOciLayout(dir, [im]);
  return dir;
}

async function walkLayers(layers: BuiltLayer[], want: (p: string) => boolean = () => true, opts: OpenImageOptions = {}): Promise<{ files: ImageFile[]; warnings: string[] }> {
  const warnings: string[] = [];
  const img = await openImage({ kind: 'oci-layout', path: await layoutOf(image(layers)) }, { onWarning: (m) => warnings.push(m), ...opts });
  try {
    return { files: await img.walk(want), warnings };
  } finally {
    await img.close();
  }
}

function contents(files: ImageFile[]): Record<string, string> {
  return Object.fromEntries(files.map((f) => [f.path, f.content.toString('utf8')]));
}

async function expectCode(p: Promise<unknown>, code: string, message?: RegExp): Promise<void> {
  const e = await p.then(() => undefined, (err: unknown) => err);
  expect(e, 'expected a PalisadeError').toBeInstanceOf(PalisadeError);
  expect((e as PalisadeError).code).toBe(code);
  if (message) expect((e as PalisadeError).message).toMatch(message);
}

const file = (name: string, content: string): TestEntry => ({ name, content });
const dir = (name: string): TestEntry => ({ name, type: 'directory' });
const symlink = (name: string, linkname: string): TestEntry => ({ name, type: 'symlink', linkname });

describe('walk: layers and whiteouts', () => {
  it('returns the final state of wanted files, with the layer that wrote each', async () => {
    const l0 = await layer([dir('etc/'), file('etc/a', 'a0'), file('etc/b', 'b0'), file('etc/c', 'c0'), file('etc/skip', 'x')]);
    const l1 = await layer([file('etc/a', 'a1'), { name: 'etc/.wh.b', content: '' }]);
    const { files } = await walkLayers([l0, l1], (p) => p.startsWith('/etc/') && p !== '/etc/skip');
    expect(contents(files)).toEqual({ '/etc/a': 'a1', '/etc/c': 'c0' });
    expect(files.find((f) => f.path === '/etc/a')?.layer).toMatchObject({ index: 1, digest: l1.digest, diffId: l1.diffId, createdBy: 'RUN step 1' });
    expect(files.find((f) => f.path === '/etc/c')?.layer.index).toBe(0);
    expect(files.map((f) => f.path)).toEqual(['/etc/a', '/etc/c']);
  });

  it('applies a whiteout of a directory to everything below it, and a later layer can recreate it', async () => {
    const l0 = await layer([file('opt/app/x', 'x'), file('opt/app/sub/y', 'y'), file('opt/keep', 'k')]);
    const l1 = await layer([{ name: 'opt/.wh.app', content: '' }]);
    const l2 = await layer([file('opt/app/z', 'z')]);
    expect(contents((await walkLayers([l0, l1])).files)).toEqual({ '/opt/keep': 'k' });
    expect(contents((await walkLayers([l0, l1, l2])).files)).toEqual({ '/opt/keep': 'k', '/opt/app/z': 'z' });
  });

  it('applies opaque directories to lower layers only, whichever order the marker comes in', async () => {
    const l0 = await layer([file('var/cache/old', 'o'), file('var/cache/sub/old2', 'o2'), file('var/other', 'v')]);
    const before = await layer([{ name: 'var/cache/.wh..wh..opq', content: '' }, file('var/cache/new', 'n')]);
    const after = await layer([file('var/cache/new', 'n'), { name: 'var/cache/.wh..wh..opq', content: '' }]);
    for (const l1 of [before, after]) {
      expect(contents((await walkLayers([l0, l1])).files)).toEqual({ '/var/cache/new': 'n', '/var/other': 'v' });
    }
  });

  it('does not let a whiteout hide a file added by its own layer', async () => {
    const l0 = await layer([file('a/f', 'old')]);
    const l1 = await layer([file('a/f', 'new'), { name: 'a/.wh.f', content: '' }]);
    expect(contents((await walkLayers([l0, l1])).files)).toEqual({ '/a/f': 'new' });
  });

  it('ignores AUFS bookkeeping entries and handles ./-prefixed names', async () => {
    const l0 = await layer([file('./etc/hostname', 'h'), { name: '.wh..wh.plnk/1.2', content: '' }]);
    expect(contents((await walkLayers([l0])).files)).toEqual({ '/etc/hostname': 'h' });
  });

  it('replaces a directory by a file and a file by a directory', async () => {
    const l0 = await layer([file('x/inner', 'i'), file('y', 'file')]);
    const l1 = await layer([file('x', 'now a file'), file('y/inner', 'now a dir')]);
    expect(contents((await walkLayers([l0, l1])).files)).toEqual({ '/x': 'now a file', '/y/inner': 'now a dir' });
  });

  it('does not read unwanted files into memory and keeps the returned order sorted', async () => {
    const big = 'z'.repeat(200_000);
    const l0 = await layer([file('b', 'B'), file('big', big), file('a', 'A')]);
    const { files } = await walkLayers([l0], (p) => p !== '/big', { limits: { maxFileBytes: 1000 } });
    expect(files.map((f) => f.path)).toEqual(['/a', '/b']);
  });
});

describe('walk: links', () => {
  it('returns the target content of a wanted symbolic link (relative, target later in the stream)', async () => {
    const l0 = await layer([symlink('etc/os-release', '../usr/lib/os-release'), file('usr/lib/os-release', 'ID=debian\n')]);
    const { files } = await walkLayers([l0], (p) => p === '/etc/os-release');
    expect(files).toHaveLength(1);
    expect(files[0]).toMatchObject({ path: '/etc/os-release', resolvedPath: '/usr/lib/os-release' });
    expect(files[0].content.toString()).toBe('ID=debian\n');
  });

  it('reads a link target that streamed past before the link, from that one layer', async () => {
    const l0 = await layer([file('usr/lib/os-release', 'ID=alpine\n')]);
    const l1 = await layer([file('usr/share/x', 'x'), symlink('etc/os-release', '/usr/lib/os-release')]);
    const { files } = await walkLayers([l0, l1], (p) => p === '/etc/os-release');
    expect(contents(files)).toEqual({ '/etc/os-release': 'ID=alpine\n' });
    expect(files[0].layer.index).toBe(0);
  });

  it('follows chains and symlinked parent directories (merged /usr)', async () => {
    const l0 = await layer([symlink('lib', 'usr/lib'), dir('usr/lib/'), file('usr/lib/os-release', 'merged')]);
    const l1 = await layer([symlink('etc/os-release', '../lib/os-release'), file('lib/added-later', 'via link')]);
    const { files } = await walkLayers([l0, l1], (p) => p === '/etc/os-release' || p.startsWith('/usr/lib/'));
    expect(contents(files)).toEqual({ '/etc/os-release': 'merged', '/usr/lib/os-release': 'merged', '/usr/lib/added-later': 'via link' });
  });

  it('resolves absolute symbolic links against the image root, never the host', async () => {
    const l0 = await layer([symlink('etc/passwd-link', '/etc/passwd'), symlink('escape', '../../../../../etc/hostname'), file('etc/hostname', 'image-hostname')]);
    const { files } = await walkLayers([l0], (p) => p === '/etc/passwd-link' || p === '/escape');
    // /etc/passwd does not exist in the image: the link dangles rather than reading the host's file.
    expect(contents(files)).toEqual({ '/escape': 'image-hostname' });
  });

  it('stops at symbolic link loops with a warning', async () => {
    const l0 = await layer([symlink('a', 'b'), symlink('b', 'a'), symlink('self', 'self'), symlink('d/x', '../d/x/y')]);
    const { files, warnings } = await walkLayers([l0]);
    expect(files).toEqual([]);
    expect(warnings.some((w) => /loop/.test(w))).toBe(true);
  });

  it('resolves hard links, including to files that were not wanted', async () => {
    const l0 = await layer([file('usr/bin/python3.11', 'py'), { name: 'usr/bin/python3', type: 'link', linkname: 'usr/bin/python3.11' }]);
    const { files } = await walkLayers([l0], (p) => p === '/usr/bin/python3');
    expect(contents(files)).toEqual({ '/usr/bin/python3': 'py' });
  });

  it('drops a link deleted by a later layer and follows a link replaced by a file', async () => {
    const l0 = await layer([file('t', 'target'), symlink('l1', 't'), symlink('l2', 't')]);
    const l1 = await layer([{ name: '.wh.l1', content: '' }, file('l2', 'own')]);
    expect(contents((await walkLayers([l0, l1], (p) => p.startsWith('/l'))).files)).toEqual({ '/l2': 'own' });
  });
});

describe('walk: hostile layers', () => {
  it('ignores entries that climb out of the root, with a warning, and writes nothing to the host', async () => {
    const l0 = await layer([file('../../etc/passwd', 'root::0:0::/:/bin/sh'), file('/abs/ok', 'fine'), file('a/../../b', 'escape')]);
    const path = await layoutOf(image([l0]));
    const before = [await readdir(tmp), await readdir(path, { recursive: true })];
    const warnings: string[] = [];
    const img = await openImage(path, { onWarning: (m) => warnings.push(m) });
    const files = await img.walk(() => true);
    expect(contents(files)).toEqual({ '/abs/ok': 'fine' });
    expect(warnings.filter((w) => /climbs out/.test(w))).toHaveLength(2);
    expect([await readdir(tmp), await readdir(path, { recursive: true })]).toEqual(before);
  });

  it('stops a gzip decompression bomb at the total limit', async () => {
    const bombTar = Buffer.alloc(24 * 1024 * 1024); // all zeros: a valid empty tar that expands 1000-fold
    const bomb = layerFromTar(bombTar, 'gzip');
    expect(bomb.size).toBeLessThan(100_000);
    await expectCode(walkLayers([bomb], () => true, { limits: { maxTotalBytes: 2 * 1024 * 1024 } }), 'E_IMAGE_LIMIT', /maxTotalBytes/);
  });

  it('refuses a wanted file over the per-file limit with a clear error', async () => {
    const l0 = await layer([file('var/lib/rpm/Packages', 'p'.repeat(5000))]);
    await expectCode(walkLayers([l0], () => true, { limits: { maxFileBytes: 4096 } }), 'E_IMAGE_LIMIT', /Packages is 5000 bytes.*maxFileBytes/);
  });

  it('stops at the entry limit', async () => {
    const l0 = await layer(Array.from({ length: 50 }, (_, i) => file(`f${i}`, '')));
    await expectCode(walkLayers([l0], () => false, { limits: { maxEntries: 20 } }), 'E_IMAGE_LIMIT', /maxEntries/);
  });

  it('fails on a layer whose bytes do not match its digest', async () => {
    const good = await layer([file('a', 'a')]);
    const evil = await layer([file('a', 'evil')]);
    const tampered: BuiltLayer = { ...good, blob: evil.blob, size: evil.size };
    const im = image([good]);
    const dirPath = join(tmp, `tampered${counter++}`);
    await writeOciLayout(dirPath, [im]);
    await writeFile(join(dirPath, 'blobs', 'sha256', good.digest.slice(7)), tampered.blob);
    const img = await openImage({ kind: 'oci-layout', path: dirPath });
    await expectCode(img.walk(() => true), 'E_IMAGE_DIGEST', /digest mismatch|bytes/);
  });

  it('fails on a truncated layer blob', async () => {
    const good = await layer([file('a', 'x'.repeat(10_000))]);
    const im = image([good]);
    const dirPath = join(tmp, `trunc${counter++}`);
    await writeOciLayout(dirPath, [im]);
    await writeFile(join(dirPath, 'blobs', 'sha256', good.digest.slice(7)), good.blob.subarray(0, good.blob.length - 10));
    const img = await openImage({ kind: 'oci-layout', path: dirPath });
    await expectCode(img.walk(() => true), 'E_IMAGE_DIGEST', /truncated/);
  });

  it('fails when the uncompressed content does not match the diff_id', async () => {
    const good = await layer([file('a', 'a')]);
    const im = image([good], { config: { rootfs: { type: 'layers', diff_ids: [`sha256:${'0'.repeat(64)}`] } } });
    const img = await openImage({ kind: 'oci-layout', path: await layoutOf(im) });
    await expectCode(img.walk(() => true), 'E_IMAGE_DIGEST', /diff_id/);
  });

  it('fails on a layer that is not a tar archive', async () => {
    const junk = layerFromTar(Buffer.from('this is not a tar archive, just some text that is long enough'.repeat(20)), 'gzip');
    const img = await openImage({ kind: 'oci-layout', path: await layoutOf(image([junk])) });
    await expectCode(img.walk(() => true), 'E_IMAGE_FORMAT');
  });

  it('fails on a corrupt gzip stream with the layer named', async () => {
    const l = await layer([file('a', 'a')]);
    const blob = Buffer.from(l.blob);
    blob[20] ^= 0xff;
    const bad: BuiltLayer = { ...l, blob, digest: (await import('../../../test/helpers/oci-image.js')).sha256(blob) };
    const img = await openImage({ kind: 'oci-layout', path: await layoutOf(image([bad])) });
    await expectCode(img.walk(() => true), 'E_IMAGE_FORMAT', /layer 0/);
  });
});

describe('walk: compression', () => {
  const entries = [file('etc/os-release', 'ID=test\n'), file('big', 'q'.repeat(300_000))];

  it('reads uncompressed layers', async () => {
    expect(contents((await walkLayers([await layer(entries, 'none')], (p) => p === '/etc/os-release')).files)).toEqual({ '/etc/os-release': 'ID=test\n' });
  });

  it('reads zstd layers made of stored blocks', async () => {
    const { files } = await walkLayers([await layer(entries, 'zstd-raw')]);
    expect(files.find((f) => f.path === '/big')?.content.length).toBe(300_000);
  });

  it.skipIf(!hasZstdCli())('reads zstd layers compressed by the zstd program', async () => {
    const { files } = await walkLayers([await layer(entries, 'zstd')]);
    expect(contents(files)['/etc/os-release']).toBe('ID=test\n');
    expect(files.find((f) => f.path === '/big')?.content.length).toBe(300_000);
  });

  it('refuses a zstd frame that asks for a huge window', async () => {
    const tar = await tarOf([file('a', 'a')]);
    // Single-segment frame declaring a 1 GiB content size: the decoder would allocate it up front.
    const header = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0xa0, 0x00, 0x00, 0x00, 0x40]);
    const blk = Buffer.from([1 | (tar.length << 3), (tar.length << 3) >> 8, (tar.length << 3) >> 16]);
    const evil = layerFromTar(Buffer.concat([header, blk, tar]), 'none');
    await expectCode(walkLayers([{ ...evil, mediaType: 'application/vnd.oci.image.layer.v1.tar+zstd' }]), 'E_IMAGE_LIMIT', /window/);
  });

  it('stops a zstd bomb made of RLE blocks at the total limit', async () => {
    // 4-byte RLE blocks, each expanding to 128 KiB: 100 000 of them would be 12.5 GiB.
    const rle = Buffer.from([(1 << 1) | (131072 << 3) & 0xff, ((131072 << 3) >> 8) & 0xff, (131072 << 3) >> 16, 0]);
    const frame = Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x38]), ...Array.from({ length: 100_000 }, () => rle)]);
    const evil = layerFromTar(frame, 'none');
    await expectCode(walkLayers([{ ...evil, mediaType: 'application/vnd.oci.image.layer.v1.tar+zstd' }], () => true, { limits: { maxTotalBytes: 8 * 1024 * 1024 } }), 'E_IMAGE_LIMIT', /maxTotalBytes/);
  });

  it('fails on a truncated zstd stream', async () => {
    const l = await layer(entries, 'zstd-raw');
    const cut = layerFromTar(l.blob.subarray(0, 1000), 'none');
    await expectCode(walkLayers([{ ...cut, mediaType: 'application/vnd.oci.image.layer.v1.tar+zstd' }]), 'E_IMAGE_FORMAT', /zstd/);
  });

  it('refuses xz layers with a clear message', async () => {
    const xz = layerFromTar(Buffer.concat([Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), Buffer.alloc(100)]), 'none');
    await expectCode(walkLayers([xz]), 'E_IMAGE_FORMAT', /xz/);
  });

  it('reads multi-member gzip', async () => {
    const tar = await tarOf(entries);
    const blob = Buffer.concat([gzipSync(tar.subarray(0, 1000)), gzipSync(tar.subarray(1000))]);
    const l = layerFromTar(tar, 'none');
    const multi: BuiltLayer = { ...l, blob, digest: (await import('../../../test/helpers/oci-image.js')).sha256(blob), size: blob.length, mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip' };
    expect(contents((await walkLayers([multi], (p) => p === '/etc/os-release')).files)).toEqual({ '/etc/os-release': 'ID=test\n' });
  });
});
