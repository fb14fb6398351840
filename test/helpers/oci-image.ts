/**
 * Builds small container images for tests: layer tars (tar-stream), gzip / zstd / uncompressed blobs,
 * configs, manifests and indexes, written as OCI layouts or `docker save` archives in temporary folders.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';

/** One tar entry of a test layer. */
export interface TestEntry {
  name: string;
  type?: 'file' | 'directory' | 'symlink' | 'link' | 'fifo';
  content?: string | Buffer;
  linkname?: string;
}

/** How a test layer blob is compressed: `zstd` uses the zstd program, `zstd-raw` hand-made raw blocks. */
export type Compression = 'gzip' | 'zstd' | 'zstd-raw' | 'none';

export function sha256(data: Buffer): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** True when the `zstd` program is installed. */
export function hasZstdCli(): boolean {
  return spawnSync('zstd', ['--version']).status === 0;
}

/** A tar archive of `entries`, in order. */
export async function tarOf(entries: TestEntry[]): Promise<Buffer> {
  const p = pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const c of p) chunks.push(c as Buffer);
  })();
  for (const e of entries) {
    const type = e.type ?? 'file';
    const content = e.content === undefined ? undefined : Buffer.from(e.content);
    await new Promise<void>((resolve, reject) => {
      const header = { name: e.name, type, linkname: e.linkname, mode: type === 'directory' ? 0o755 : 0o644, mtime: new Date(0) };
      if (type === 'file') p.entry({ ...header, size: content?.length ?? 0 }, content ?? Buffer.alloc(0), (err) => (err ? reject(err) : resolve()));
      else p.entry(header, (err) => (err ? reject(err) : resolve()));
    });
  }
  p.finalize();
  await done;
  return Buffer.concat(chunks);
}

/** A zstd frame of raw (stored) blocks: a valid stream that needs no compressor. */
export function zstdRaw(data: Buffer): Buffer {
  const parts: Buffer[] = [Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x38])]; // magic, FHD, window 128 KiB
  const max = 128 * 1024;
  let off = 0;
  do {
    const n = Math.min(max, data.length - off);
    const last = off + n >= data.length ? 1 : 0;
    const h = last | (0 << 1) | (n << 3);
    parts.push(Buffer.from([h & 0xff, (h >> 8) & 0xff, (h >> 16) & 0xff]), data.subarray(off, off + n));
    off += n;
  } while (off < data.length);
  return Buffer.concat(parts);
}

export function compress(data: Buffer, c: Compression): Buffer {
  switch (c) {
    case 'gzip':
      return gzipSync(data);
    case 'zstd': {
      const r = spawnSync('zstd', ['-q', '-c', '-3'], { input: data, maxBuffer: 1 << 30 });
      if (r.status !== 0) throw new Error(`zstd failed: ${r.stderr}`);
      return r.stdout;
    }
    case 'zstd-raw':
      return zstdRaw(data);
    case 'none':
      return data;
  }
}

export interface BuiltLayer {
  blob: Buffer;
  digest: string;
  diffId: string;
  size: number;
  mediaType: string;
  tar: Buffer;
}

/** A layer from entries; OCI media types unless `docker`. */
export async function layer(entries: TestEntry[], compression: Compression = 'gzip', docker = false): Promise<BuiltLayer> {
  return layerFromTar(await tarOf(entries), compression, docker);
}

export function layerFromTar(tar: Buffer, compression: Compression = 'gzip', docker = false): BuiltLayer {
  const blob = compress(tar, compression);
  const suffix = compression === 'gzip' ? '+gzip' : compression === 'none' ? '' : '+zstd';
  const mediaType = docker ? (compression === 'none' ? 'application/vnd.docker.image.rootfs.diff.tar' : 'application/vnd.docker.image.rootfs.diff.tar.gzip') : `application/vnd.oci.image.layer.v1.tar${suffix}`;
  return { blob, digest: sha256(blob), diffId: sha256(tar), size: blob.length, mediaType, tar };
}

export interface BuiltImage {
  manifest: Buffer;
  manifestDigest: string;
  manifestMediaType: string;
  config: Buffer;
  configDigest: string;
  layers: BuiltLayer[];
  platform: { os: string; architecture: string; variant?: string };
  /** Every blob (config and layers) by digest. */
  blobs: Map<string, Buffer>;
}

export interface ImageOptions {
  docker?: boolean;
  platform?: { os: string; architecture: string; variant?: string };
  /** History entries; default one `created_by` per layer. */
  history?: Array<{ created_by?: string; empty_layer?: boolean }>;
  /** Override config fields. */
  config?: Record<string, unknown>;
  /** Override manifest layer descriptors (for hostile cases). */
  layerDescriptors?: Array<Record<string, unknown>>;
}

export function image(layers: BuiltLayer[], opts: ImageOptions = {}): BuiltImage {
  const platform = opts.platform ?? { os: 'linux', architecture: 'amd64' };
  const config = Buffer.from(JSON.stringify({
    architecture: platform.architecture,
    os: platform.os,
    ...(platform.variant ? { variant: platform.variant } : {}),
    created: '2024-01-01T00:00:00Z',
    config: { Env: ['PATH=/usr/bin:/bin'], Cmd: ['/bin/sh'] },
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
    history: opts.history ?? layers.map((_, i) => ({ created: '2024-01-01T00:00:00Z', created_by: `RUN step ${i}` })),
    ...opts.config,
  }));
  const configDigest = sha256(config);
  const docker = opts.docker === true;
  const manifestMediaType = docker ? 'application/vnd.docker.distribution.manifest.v2+json' : 'application/vnd.oci.image.manifest.v1+json';
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: manifestMediaType,
    config: { mediaType: docker ? 'application/vnd.docker.container.image.v1+json' : 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.length },
    layers: opts.layerDescriptors ?? layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
  }));
  const blobs = new Map<string, Buffer>([[configDigest, config]]);
  for (const l of layers) blobs.set(l.digest, l.blob);
  return { manifest, manifestDigest: sha256(manifest), manifestMediaType, config, configDigest, layers, platform, blobs };
}

export interface BuiltIndex {
  bytes: Buffer;
  digest: string;
  mediaType: string;
}

export function index(images: BuiltImage[], docker = false, extra: Array<Record<string, unknown>> = []): BuiltIndex {
  const mediaType = docker ? 'application/vnd.docker.distribution.manifest.list.v2+json' : 'application/vnd.oci.image.index.v1+json';
  const bytes = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType,
    manifests: [
      ...images.map((im) => ({ mediaType: im.manifestMediaType, digest: im.manifestDigest, size: im.manifest.length, platform: im.platform })),
      ...extra,
    ],
  }));
  return { bytes, digest: sha256(bytes), mediaType };
}

/** Writes an OCI layout; `refs` names the top-level entries (`org.opencontainers.image.ref.name`). */
export async function writeOciLayout(dir: string, images: BuiltImage[], opts: { refs?: string[]; index?: BuiltIndex; extraBlobs?: Map<string, Buffer> } = {}): Promise<void> {
  await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
  await writeFile(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  const put = (digest: string, data: Buffer): Promise<void> => writeFile(join(dir, 'blobs', 'sha256', digest.slice(7)), data);
  for (const im of images) {
    await put(im.manifestDigest, im.manifest);
    for (const [d, b] of im.blobs) await put(d, b);
  }
  for (const [d, b] of opts.extraBlobs ?? []) await put(d, b);
  let manifests: unknown[];
  if (opts.index) {
    await put(opts.index.digest, opts.index.bytes);
    manifests = [{ mediaType: opts.index.mediaType, digest: opts.index.digest, size: opts.index.bytes.length, ...(opts.refs?.[0] ? { annotations: { 'org.opencontainers.image.ref.name': opts.refs[0] } } : {}) }];
  } else {
    manifests = images.map((im, i) => ({
      mediaType: im.manifestMediaType,
      digest: im.manifestDigest,
      size: im.manifest.length,
      ...(opts.refs?.[i] ? { annotations: { 'org.opencontainers.image.ref.name': opts.refs[i] } } : {}),
    }));
  }
  await writeFile(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests }));
}

/**
 * Writes a `docker save` archive. `legacy`: `<id>/layer.tar` folders (the second copy of a repeated layer
 * is a symlink, as Docker writes it) and `<config id>.json`. `oci`: Docker 25's layout, an OCI layout plus
 * manifest.json pointing into blobs/.
 */
export async function writeDockerArchive(path: string, im: BuiltImage, format: 'legacy' | 'oci', repoTag = 'example.com/app:1.0'): Promise<void> {
  const entries: TestEntry[] = [];
  if (format === 'legacy') {
    const layerNames: string[] = [];
    const seen = new Map<string, string>();
    im.layers.forEach((l, i) => {
      const id = createHash('sha256').update(`${l.diffId}/${i}`).digest('hex');
      const name = `${id}/layer.tar`;
      layerNames.push(name);
      entries.push({ name: `${id}/`, type: 'directory' });
      entries.push({ name: `${id}/VERSION`, content: '1.0' });
      const prior = seen.get(l.diffId);
      if (prior) entries.push({ name, type: 'symlink', linkname: `../${prior}` });
      else {
        entries.push({ name, content: l.tar });
        seen.set(l.diffId, name);
      }
    });
    const cfgName = `${im.configDigest.slice(7)}.json`;
    entries.push({ name: cfgName, content: im.config });
    entries.push({ name: 'manifest.json', content: JSON.stringify([{ Config: cfgName, RepoTags: [repoTag], Layers: layerNames }]) });
    entries.push({ name: 'repositories', content: '{}' });
  } else {
    entries.push({ name: 'blobs/', type: 'directory' }, { name: 'blobs/sha256/', type: 'directory' });
    entries.push({ name: `blobs/sha256/${im.manifestDigest.slice(7)}`, content: im.manifest });
    for (const [d, b] of im.blobs) entries.push({ name: `blobs/sha256/${d.slice(7)}`, content: b });
    entries.push({ name: 'index.json', content: JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [{ mediaType: im.manifestMediaType, digest: im.manifestDigest, size: im.manifest.length, annotations: { 'io.containerd.image.name': repoTag, 'org.opencontainers.image.ref.name': repoTag.split(':').pop() } }] }) });
    entries.push({ name: 'manifest.json', content: JSON.stringify([{ Config: `blobs/sha256/${im.configDigest.slice(7)}`, RepoTags: [repoTag], Layers: im.layers.map((l) => `blobs/sha256/${l.digest.slice(7)}`) }]) });
    entries.push({ name: 'oci-layout', content: JSON.stringify({ imageLayoutVersion: '1.0.0' }) });
  }
  await writeFile(path, await tarOf(entries));
}
