import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { image, index, layer, sha256, tarOf, writeDockerArchive, writeOciLayout, type BuiltImage } from '../../../test/helpers/oci-image.js';
import { PalisadeError } from '../../model/errors.js';
import { openImage, resolveSource } from './open.js';
import type { ImageFile, OpenedImage } from './types.js';

let tmp: string;
let n = 0;
const fresh = (name: string): string => join(tmp, `${name}${n++}`);
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'palisade-src-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

async function expectCode(p: Promise<unknown>, code: string, message?: RegExp): Promise<void> {
  const e = await p.then(() => undefined, (err: unknown) => err);
  expect(e, 'expected a PalisadeError').toBeInstanceOf(PalisadeError);
  expect((e as PalisadeError).code).toBe(code);
  if (message) expect((e as PalisadeError).message).toMatch(message);
}

function contents(files: ImageFile[]): Record<string, string> {
  return Object.fromEntries(files.map((f) => [f.path, f.content.toString('utf8')]));
}

async function osRelease(img: OpenedImage): Promise<string | undefined> {
  try {
    return (await img.walk((p) => p === '/etc/os-release'))[0]?.content.toString();
  } finally {
    await img.close();
  }
}

async function sampleImage(tag: string, opts: Parameters<typeof image>[1] = {}): Promise<BuiltImage> {
  const base = await layer([{ name: 'usr/lib/os-release', content: `ID=${tag}\n` }, { name: 'etc/os-release', type: 'symlink', linkname: '../usr/lib/os-release' }]);
  const app = await layer([{ name: 'app/main.js', content: 'console.log(1)' }]);
  return image([base, app], { history: [{ created_by: 'ADD rootfs.tar /' }, { created_by: 'ENV A=1', empty_layer: true }, { created_by: 'COPY main.js /app/' }], ...opts });
}

describe('OCI layout folders', () => {
  it('opens the only image, with config, platform, digest and history matched to layers', async () => {
    const im = await sampleImage('one');
    const dir = fresh('layout');
    await writeOciLayout(dir, [im]);
    const img = await openImage(dir);
    expect(img.digest).toBe(im.manifestDigest);
    expect(img.platform).toEqual({ os: 'linux', architecture: 'amd64' });
    expect(img.config.config?.Cmd).toEqual(['/bin/sh']);
    expect(img.layers.map((l) => [l.index, l.digest, l.diffId, l.createdBy])).toEqual([
      [0, im.layers[0].digest, im.layers[0].diffId, 'ADD rootfs.tar /'],
      [1, im.layers[1].digest, im.layers[1].diffId, 'COPY main.js /app/'],
    ]);
    expect(await osRelease(img)).toBe('ID=one\n');
  });

  it('leaves createdBy out when the history does not line up with the layers', async () => {
    const im = await sampleImage('x', { history: [{ created_by: 'only one' }] });
    const dir = fresh('layout');
    await writeOciLayout(dir, [im]);
    const img = await openImage({ kind: 'oci-layout', path: dir });
    expect(img.layers.every((l) => l.createdBy === undefined)).toBe(true);
  });

  it('chooses by ref name (oci:dir:ref), else asks for one when several are present', async () => {
    const a = await sampleImage('a');
    const b = await sampleImage('b');
    const dir = fresh('layout');
    await writeOciLayout(dir, [a, b], { refs: ['1.0', '2.0'] });
    expect(await osRelease(await openImage(`oci:${dir}:2.0`))).toBe('ID=b\n');
    expect(await osRelease(await openImage({ kind: 'oci-layout', path: dir, ref: '1.0' }))).toBe('ID=a\n');
    await expectCode(openImage(dir), 'E_IMAGE_SOURCE', /holds 2 images.*1\.0, 2\.0/);
    await expectCode(openImage({ kind: 'oci-layout', path: dir, ref: '3.0' }), 'E_IMAGE_NOT_FOUND', /no image named "3.0"/);
  });

  it('follows an index to the requested platform, arm64 meaning arm64/v8', async () => {
    const amd = await sampleImage('amd64');
    const arm = await sampleImage('arm64', { platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } });
    const idx = index([amd, arm], false, [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${'1'.repeat(64)}`, size: 1, platform: { os: 'unknown', architecture: 'unknown' } }]);
    const dir = fresh('layout');
    await writeOciLayout(dir, [amd, arm], { index: idx, refs: ['latest'] });
    expect(await osRelease(await openImage(dir))).toBe('ID=amd64\n');
    const a = await openImage(dir, { platform: 'linux/arm64' });
    expect(a.platform).toEqual({ os: 'linux', architecture: 'arm64', variant: 'v8' });
    expect(await osRelease(a)).toBe('ID=arm64\n');
    expect(await osRelease(await openImage(dir, { platform: 'aarch64' }))).toBe('ID=arm64\n');
    await expectCode(openImage(dir, { platform: 'linux/s390x' }), 'E_IMAGE_NOT_FOUND', /linux\/s390x.*linux\/amd64, linux\/arm64\/v8/);
  });

  it('reads Docker schema 2 manifests and refuses schema 1, artifacts and unknown layer types', async () => {
    const docker = await sampleImage('docker', { docker: true });
    const dir = fresh('layout');
    await writeOciLayout(dir, [docker]);
    expect(await osRelease(await openImage(dir))).toBe('ID=docker\n');

    const l = await layer([{ name: 'a', content: 'a' }]);
    const helm = image([l], { layerDescriptors: [{ mediaType: 'application/vnd.cncf.helm.chart.content.v1.tar+gzip', digest: l.digest, size: l.size }] });
    const d2 = fresh('layout');
    await writeOciLayout(d2, [helm]);
    await expectCode(openImage(d2), 'E_IMAGE_FORMAT', /unsupported media type application\/vnd.cncf.helm/);

    const schema1 = Buffer.from(JSON.stringify({ schemaVersion: 1, name: 'x', tag: 'y', fsLayers: [] }));
    const d3 = fresh('layout');
    await writeOciLayout(d3, [], { extraBlobs: new Map([[sha256(schema1), schema1]]) });
    await writeFile(join(d3, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.docker.distribution.manifest.v1+prettyjws', digest: sha256(schema1), size: schema1.length }] }));
    await expectCode(openImage(d3), 'E_IMAGE_FORMAT', /schema 1/);
  });

  it('fails on a manifest or config whose digest does not match', async () => {
    const im = await sampleImage('m');
    const dir = fresh('layout');
    await writeOciLayout(dir, [im]);
    await writeFile(join(dir, 'blobs', 'sha256', im.configDigest.slice(7)), Buffer.from(im.config.toString().replace('amd64', 'arm64')));
    await expectCode(openImage(dir), 'E_IMAGE_DIGEST', /config/);
  });

  it('refuses digests that would make paths', async () => {
    const dir = fresh('layout');
    await writeOciLayout(dir, []);
    await writeFile(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: 'sha256:../../../../etc/passwd', size: 1 }] }));
    await expectCode(openImage(dir), 'E_IMAGE_FORMAT', /digest/);
  });
});

describe('docker save / podman save archives', () => {
  it('reads the legacy layout, following the symlink Docker writes for a repeated layer', async () => {
    const same = await layer([{ name: 'shared', content: 'same' }], 'none');
    const base = await layer([{ name: 'etc/os-release', content: 'ID=legacy\n' }], 'none');
    const im = image([base, same, same]);
    const path = fresh('save') + '.tar';
    await writeDockerArchive(path, im, 'legacy', 'example.com/app:1.0');
    const img = await openImage(path);
    expect(img.ref).toBe(`${path}:example.com/app:1.0`);
    expect(img.digest).toBe(im.configDigest);
    expect(img.layers.map((l) => l.digest)).toEqual(im.layers.map((l) => l.diffId));
    const files = await img.walk(() => true);
    expect(contents(files)).toEqual({ '/etc/os-release': 'ID=legacy\n', '/shared': 'same' });
    expect(files.find((f) => f.path === '/shared')?.layer.index).toBe(2);
  });

  it('verifies legacy layers against the diff_ids', async () => {
    const good = await layer([{ name: 'a', content: 'good' }], 'none');
    const evil = await layer([{ name: 'a', content: 'evil' }], 'none');
    const im = image([good]);
    const path = fresh('save') + '.tar';
    await writeDockerArchive(path, { ...im, layers: [{ ...good, tar: evil.tar }] }, 'legacy');
    const img = await openImage(`docker-archive:${path}`);
    await expect(img.walk(() => true)).rejects.toMatchObject({ code: 'E_IMAGE_DIGEST', message: expect.stringMatching(/diff_id/) });
  });

  it('reads Docker 25 archives (an OCI layout inside) and chooses by tag', async () => {
    const im = await sampleImage('docker25');
    const path = fresh('save') + '.tar';
    await writeDockerArchive(path, im, 'oci', 'docker.io/library/app:2.0');
    const img = await openImage(path);
    expect(img.digest).toBe(im.manifestDigest);
    expect(await osRelease(img)).toBe('ID=docker25\n');
    expect(await osRelease(await openImage({ kind: 'archive', path, ref: 'app:2.0' }))).toBe('ID=docker25\n');
  });

  it('reads podman oci-archive files (layout only, no manifest.json)', async () => {
    const im = await sampleImage('podman');
    const entries = [
      { name: 'oci-layout', content: JSON.stringify({ imageLayoutVersion: '1.0.0' }) },
      { name: 'index.json', content: JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: im.manifestMediaType, digest: im.manifestDigest, size: im.manifest.length }] }) },
      { name: `blobs/sha256/${im.manifestDigest.slice(7)}`, content: im.manifest },
      ...[...im.blobs].map(([d, b]) => ({ name: `blobs/sha256/${d.slice(7)}`, content: b })),
    ];
    const path = fresh('podman') + '.tar';
    await writeFile(path, await tarOf(entries));
    expect(await osRelease(await openImage(`oci-archive:${path}`))).toBe('ID=podman\n');
  });

  it.skipIf(spawnSync('tar', ['--version']).status !== 0)('indexes an archive written by GNU tar with long names', async () => {
    const im = await sampleImage('gnutar');
    const src = fresh('gnusrc');
    await writeOciLayout(src, [im]);
    const deep = join(src, 'x'.repeat(120), 'y'.repeat(120));
    await mkdir(deep, { recursive: true });
    await writeFile(join(deep, 'pad'), 'long name member');
    const path = fresh('gnu') + '.tar';
    expect(spawnSync('tar', ['-cf', path, '-C', src, '.']).status).toBe(0);
    expect(await osRelease(await openImage(`oci-archive:${path}`))).toBe('ID=gnutar\n');
  });

  it('asks for an uncompressed archive, and names what is missing', async () => {
    const im = await sampleImage('gz');
    const path = fresh('save') + '.tar';
    await writeDockerArchive(path, im, 'legacy');
    const { readFile } = await import('node:fs/promises');
    await writeFile(path + '.gz', gzipSync(await readFile(path)));
    await expectCode(openImage(path + '.gz'), 'E_IMAGE_SOURCE', /decompress it first/);
    const notImage = fresh('plain') + '.tar';
    await writeFile(notImage, await tarOf([{ name: 'hello.txt', content: 'hi' }]));
    await expectCode(openImage(notImage), 'E_IMAGE_SOURCE', /not an image archive/);
    const notTar = fresh('junk') + '.tar';
    await writeFile(notTar, Buffer.alloc(2048, 'j'));
    await expectCode(openImage(notTar), 'E_IMAGE_FORMAT', /not a valid tar/);
  });
});

describe('root file system folders', () => {
  it('reads files and resolves links inside the root, never on the host', async () => {
    const root = fresh('rootfs');
    await mkdir(join(root, 'usr/lib'), { recursive: true });
    await mkdir(join(root, 'etc'), { recursive: true });
    await writeFile(join(root, 'usr/lib/os-release'), 'ID=rootfs\n');
    await symlink('../usr/lib/os-release', join(root, 'etc/os-release'));
    // Absolute links name image paths: /etc/hostname here is the root's, and the root has none.
    await symlink('/etc/hostname', join(root, 'etc/host-link'));
    await symlink('../../../../../../etc/passwd', join(root, 'etc/passwd-escape'));
    await symlink('loop-b', join(root, 'etc/loop-a'));
    await symlink('loop-a', join(root, 'etc/loop-b'));
    // A folder link must not be descended on the host either.
    await symlink('/etc', join(root, 'hostetc'));
    const fifo = spawnSync('mkfifo', [join(root, 'etc/fifo')]).status === 0;
    const warnings: string[] = [];
    const img = await openImage(root, { onWarning: (m) => warnings.push(m) });
    expect(img.layers).toEqual([{ digest: `rootfs:${root}`, index: 0 }]);
    const files = await img.walk((p) => p.startsWith('/etc/') || p.startsWith('/hostetc/'));
    expect(contents(files)).toEqual({ '/etc/os-release': 'ID=rootfs\n' });
    expect(files[0].resolvedPath).toBe('/usr/lib/os-release');
    expect(warnings.some((w) => /loop/.test(w))).toBe(true);
    if (fifo) expect(files.some((f) => f.path === '/etc/fifo')).toBe(false);
  });

  it('reads a link target that was listed before the link (second read of one file)', async () => {
    const root = fresh('rootfs');
    await mkdir(join(root, 'a'), { recursive: true });
    await mkdir(join(root, 'z'), { recursive: true });
    await writeFile(join(root, 'a/target'), 'T');
    await symlink('/a/target', join(root, 'z/link'));
    const img = await openImage(`rootfs:${root}`);
    expect(contents(await img.walk((p) => p === '/z/link'))).toEqual({ '/z/link': 'T' });
  });
});

describe('source detection', () => {
  it('tells layouts, archives, folders and references apart', async () => {
    const layoutDir = fresh('layout');
    await writeOciLayout(layoutDir, []);
    const plainDir = fresh('plain');
    await mkdir(plainDir);
    const file = fresh('file');
    await writeFile(file, '');
    expect(await resolveSource(layoutDir)).toEqual({ kind: 'oci-layout', path: layoutDir });
    expect(await resolveSource(plainDir)).toEqual({ kind: 'rootfs', path: plainDir });
    expect(await resolveSource(file)).toEqual({ kind: 'archive', path: file });
    expect(await resolveSource('localhost:5000/app:1')).toEqual({ kind: 'registry', reference: 'localhost:5000/app:1' });
    expect(await resolveSource('docker://alpine')).toEqual({ kind: 'registry', reference: 'alpine' });
    expect(await resolveSource(`oci:${layoutDir}:v1`)).toEqual({ kind: 'oci-layout', path: layoutDir, ref: 'v1' });
    expect(await resolveSource(`dir:${plainDir}`)).toEqual({ kind: 'rootfs', path: plainDir });
  });

  it('names a source that is neither a path nor a reference', async () => {
    await expectCode(openImage('/no/such/path:Bad Tag'), 'E_IMAGE_SOURCE', /invalid image reference/);
  });
});
