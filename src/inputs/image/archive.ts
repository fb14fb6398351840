import { createReadStream } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { posix, resolve } from 'node:path';
import { z } from 'zod';
import { PalisadeError } from '../../model/errors.js';
import type { ImageBackend } from './backend.js';
import { assertDigest, isDigest, sha256Digest, shortDigest } from './digest.js';
import { blobLayer } from './layer.js';
import { checkLayoutVersion, openFromLayout, type BlobStore } from './layout.js';
import { configPlatform, layerRefs, parseConfig } from './manifest.js';
import { parseReference } from './reference.js';
import { indexTar, type TarMember } from './tar-index.js';
import type { ImageLimits, OpenImageOptions } from './types.js';

const dockerManifest = z.array(z.looseObject({
  Config: z.string(),
  RepoTags: z.array(z.string()).nullable().optional(),
  Layers: z.array(z.string()),
}));

/** Members of an archive by normalised name, with links (used by `docker save` for repeated layers) resolved. */
class ArchiveMembers {
  private readonly byName = new Map<string, TarMember>();

  constructor(members: TarMember[], private readonly label: string) {
    for (const m of members) {
      const name = posix.normalize(m.name).replace(/^(\.\/)+/, '').replace(/\/$/, '');
      this.byName.set(name, m);
    }
  }

  /** The regular-file member `name` leads to, following links inside the archive (at most 8). */
  get(name: string): TarMember | undefined {
    let n = posix.normalize(name).replace(/^(\.\/)+/, '');
    for (let hops = 0; hops < 8; hops++) {
      if (n.startsWith('../') || n === '..' || n.startsWith('/')) return undefined;
      const m = this.byName.get(n);
      if (!m) return undefined;
      if (m.type === 'file') return m;
      if (m.type === 'symlink') n = posix.normalize(posix.join(posix.dirname(n), m.linkname));
      else if (m.type === 'link') n = posix.normalize(m.linkname);
      else return undefined;
    }
    throw new PalisadeError('E_IMAGE_FORMAT', `${this.label}: link loop at member ${name}`);
  }
}

/**
 * Opens a `docker save` / `podman save` archive: the OCI layout inside it when there is one (Docker 25 and
 * later, `podman save --format oci-archive`), else the legacy `manifest.json` with one tar per layer.
 * Members are read in place by offset; the archive must be an uncompressed tar.
 */
export async function openArchive(path: string, ref: string | undefined, opts: OpenImageOptions, limits: ImageLimits): Promise<ImageBackend> {
  const file = resolve(path);
  let fh: FileHandle;
  try {
    fh = await open(file, 'r');
  } catch (e) {
    throw new PalisadeError('E_IMAGE_SOURCE', `${file}: cannot open: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    const size = (await fh.stat()).size;
    const magic = Buffer.alloc(4);
    await fh.read(magic, 0, 4, 0);
    if ((magic[0] === 0x1f && magic[1] === 0x8b) || magic.equals(Buffer.from([0x28, 0xb5, 0x2f, 0xfd]))) {
      throw new PalisadeError('E_IMAGE_SOURCE', `${file}: compressed archive; decompress it first (for example gunzip or zstd -d), since layers are read in place`);
    }
    const members = new ArchiveMembers(await indexTar(fh, size, file), file);
    const readMember = async (name: string, max: number, what: string): Promise<Buffer> => {
      const m = members.get(name);
      if (!m) throw new PalisadeError('E_IMAGE_FORMAT', `${what}: member ${name} missing from the archive`);
      if (m.size > max) throw new PalisadeError('E_IMAGE_LIMIT', `${what}: ${m.size} bytes, over the ${max}-byte limit (maxJsonBytes)`);
      const buf = Buffer.alloc(m.size);
      const { bytesRead } = await fh.read(buf, 0, m.size, m.offset);
      if (bytesRead !== m.size) throw new PalisadeError('E_IMAGE_FORMAT', `${what}: member ${name} is truncated`);
      return buf;
    };
    const streamMember = (name: string, what: string): AsyncIterable<Buffer> => {
      const m = members.get(name);
      if (!m) throw new PalisadeError('E_IMAGE_FORMAT', `${what}: member ${name} missing from the archive`);
      return streamRange(file, m.offset, m.size);
    };
    let backend: ImageBackend;
    const ociLayout = members.get('oci-layout');
    if (ociLayout && members.get('index.json')) {
      checkLayoutVersion((await readMember('oci-layout', 4096, file)).toString('utf8'), file);
      const blobName = (digest: string): string => assertDigest(digest, file).replace(':', '/');
      const store: BlobStore = {
        has: async (digest) => isDigest(digest) && members.get(`blobs/${blobName(digest)}`) !== undefined,
        read: (digest, max, what) => readMember(`blobs/${blobName(digest)}`, max, what),
        stream: (digest) => streamMember(`blobs/${blobName(digest)}`, `blob ${shortDigest(digest)}`),
      };
      backend = await openFromLayout(store, await readMember('index.json', limits.maxJsonBytes, file), ref, file, opts, limits);
    } else if (members.get('manifest.json')) {
      backend = await openLegacy(file, ref, limits, readMember, streamMember);
    } else {
      throw new PalisadeError('E_IMAGE_SOURCE', `${file}: not an image archive (neither manifest.json nor an OCI layout inside)`);
    }
    return backend;
  } finally {
    await fh.close();
  }
}

async function openLegacy(
  file: string,
  ref: string | undefined,
  limits: ImageLimits,
  readMember: (name: string, max: number, what: string) => Promise<Buffer>,
  streamMember: (name: string, what: string) => AsyncIterable<Buffer>,
): Promise<ImageBackend> {
  let doc: unknown;
  try {
    doc = JSON.parse((await readMember('manifest.json', limits.maxJsonBytes, file)).toString('utf8'));
  } catch (e) {
    if (e instanceof PalisadeError) throw e;
    throw new PalisadeError('E_IMAGE_FORMAT', `${file}: manifest.json is not valid JSON`);
  }
  const parsed = dockerManifest.safeParse(doc);
  if (!parsed.success || parsed.data.length === 0) throw new PalisadeError('E_IMAGE_FORMAT', `${file}: manifest.json is not a docker save manifest`);
  const entries = parsed.data;
  let entry = entries[0];
  if (ref !== undefined) {
    const norm = (r: string): string => {
      try {
        return parseReference(r).normalized;
      } catch {
        return r;
      }
    };
    const hit = entries.find((e) => (e.RepoTags ?? []).some((t) => t === ref || norm(t) === norm(ref)));
    if (!hit) throw new PalisadeError('E_IMAGE_NOT_FOUND', `${file}: no image tagged "${ref}" (the archive has ${entries.flatMap((e) => e.RepoTags ?? []).join(', ') || 'untagged images only'})`);
    entry = hit;
  } else if (entries.length > 1) {
    throw new PalisadeError('E_IMAGE_SOURCE', `${file}: holds ${entries.length} images; choose one by tag (${entries.flatMap((e) => e.RepoTags ?? []).join(', ')})`);
  }
  const cfgBytes = await readMember(entry.Config, limits.maxJsonBytes, `${file}: config`);
  const configDigest = sha256Digest(cfgBytes);
  const config = parseConfig(cfgBytes, `${file}: config ${entry.Config}`);
  const diffIds = config.rootfs?.diff_ids ?? [];
  if (diffIds.length !== entry.Layers.length || !diffIds.every(isDigest)) {
    throw new PalisadeError('E_IMAGE_FORMAT', `${file}: config lists ${diffIds.length} diff_ids for ${entry.Layers.length} layers; cannot verify the layers`);
  }
  // Legacy archives record no blob digests: each layer is identified and verified by its diff_id.
  const refs = layerRefs(diffIds, config);
  return {
    ref: entry.RepoTags?.[0] ? `${file}:${entry.RepoTags[0]}` : file,
    // The image ID (config digest) is the identity Docker itself shows for such an archive.
    digest: configDigest,
    config,
    platform: configPlatform(config),
    layers: refs.map((r, i) => blobLayer({ ref: r, open: () => streamMember(entry.Layers[i], `layer ${i}`), limits, blobDigestKnown: false })),
    close: async () => undefined,
  };
}

async function* streamRange(file: string, offset: number, size: number): AsyncGenerator<Buffer> {
  if (size === 0) return;
  const s = createReadStream(file, { start: offset, end: offset + size - 1, highWaterMark: 256 * 1024 });
  try {
    for await (const c of s) yield c as Buffer;
  } finally {
    s.destroy();
  }
}
