import { createReadStream } from 'node:fs';
import { open, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { PalisadeError } from '../../model/errors.js';
import type { ImageBackend } from './backend.js';
import { assertDigest, shortDigest, verifyBuffer } from './digest.js';
import { blobLayer } from './layer.js';
import { configPlatform, layerRefs, parseConfig, parseManifest, parsePlatform, selectPlatform, type Descriptor, type ImageIndex } from './manifest.js';
import { parseReference } from './reference.js';
import type { ImageLimits, OpenImageOptions } from './types.js';

/** Content-addressed blobs of an OCI layout, wherever they are kept (a folder or a tar archive). */
export interface BlobStore {
  has(digest: string): Promise<boolean>;
  /** Reads a small blob whole, at most `max` bytes. */
  read(digest: string, max: number, what: string): Promise<Buffer>;
  /** Streams a blob. */
  stream(digest: string): AsyncIterable<Buffer>;
}

const REF_NAME = 'org.opencontainers.image.ref.name';
const CONTAINERD_NAME = 'io.containerd.image.name';

/** Does descriptor `d` carry the name `want` (a tag like `1.2` or a full reference)? */
function nameMatches(d: Descriptor, want: string): boolean {
  const a = d.annotations ?? {};
  if (a[REF_NAME] === want) return true;
  const full = a[CONTAINERD_NAME];
  if (!full) return false;
  if (full === want) return true;
  try {
    return parseReference(full).normalized === parseReference(want).normalized;
  } catch {
    return false;
  }
}

function names(index: ImageIndex): string {
  const list = index.manifests.map((m) => m.annotations?.[CONTAINERD_NAME] ?? m.annotations?.[REF_NAME]).filter(Boolean);
  return list.length ? list.join(', ') : 'none are named';
}

/**
 * Opens one image of an OCI layout whose top-level `index.json` is `indexBytes`: the entry named `ref`
 * (`org.opencontainers.image.ref.name` or containerd's full name), else the only entry, else the entry
 * for the wanted platform. Nested indexes are followed to the platform's manifest; entries whose blobs
 * are missing (a partial save of a multi-platform image) are passed over.
 */
export async function openFromLayout(store: BlobStore, indexBytes: Buffer, ref: string | undefined, label: string, opts: OpenImageOptions, limits: ImageLimits): Promise<ImageBackend> {
  const platform = parsePlatform(opts.platform);
  const top = parseManifest(indexBytes, undefined, `${label}: index.json`);
  if (top.kind !== 'index') throw new PalisadeError('E_IMAGE_FORMAT', `${label}: index.json is not an image index`);
  let chosen: Descriptor;
  if (ref !== undefined) {
    const hit = top.index.manifests.filter((m) => nameMatches(m, ref));
    if (hit.length === 0) throw new PalisadeError('E_IMAGE_NOT_FOUND', `${label}: no image named "${ref}" (the layout has ${names(top.index)})`);
    chosen = hit.length === 1 ? hit[0] : selectPlatform({ ...top.index, manifests: hit }, platform, label);
  } else {
    const present: Descriptor[] = [];
    for (const m of top.index.manifests) if (await store.has(m.digest)) present.push(m);
    if (present.length === 0) throw new PalisadeError('E_IMAGE_FORMAT', `${label}: index.json lists no image whose manifest is present`);
    if (present.length === 1) chosen = present[0];
    else if (present.every((m) => m.platform)) chosen = selectPlatform({ ...top.index, manifests: present }, platform, label);
    else throw new PalisadeError('E_IMAGE_SOURCE', `${label}: holds ${present.length} images; choose one by name (${names(top.index)})`);
  }
  for (let depth = 0; ; depth++) {
    if (depth > 3) throw new PalisadeError('E_IMAGE_FORMAT', `${label}: image indexes nested too deeply`);
    const what = `${label}: manifest ${shortDigest(chosen.digest)}`;
    if (!(await store.has(chosen.digest))) throw new PalisadeError('E_IMAGE_NOT_FOUND', `${what}: blob missing`);
    const bytes = await store.read(chosen.digest, limits.maxJsonBytes, what);
    verifyBuffer(bytes, chosen.digest, chosen.size, what);
    const doc = parseManifest(bytes, chosen.mediaType, what);
    if (doc.kind === 'index') {
      const present: Descriptor[] = [];
      for (const m of doc.index.manifests) if (await store.has(m.digest)) present.push(m);
      chosen = selectPlatform({ ...doc.index, manifests: present.length ? present : doc.index.manifests }, platform, label);
      continue;
    }
    const manifest = doc.manifest;
    const cfgWhat = `${label}: config ${shortDigest(manifest.config.digest)}`;
    const cfgBytes = await store.read(manifest.config.digest, limits.maxJsonBytes, cfgWhat);
    verifyBuffer(cfgBytes, manifest.config.digest, manifest.config.size, cfgWhat);
    const config = parseConfig(cfgBytes, cfgWhat);
    const refs = layerRefs(manifest.layers.map((l) => l.digest), config);
    return {
      ref: ref !== undefined ? `${label}:${ref}` : label,
      digest: chosen.digest,
      config,
      platform: configPlatform(config),
      layers: refs.map((r, i) => blobLayer({ ref: r, size: manifest.layers[i].size, open: () => store.stream(r.digest), limits })),
      close: async () => undefined,
    };
  }
}

/** Blobs in `<dir>/blobs/<algorithm>/<hex>`; digests are checked before they become paths. */
function dirStore(dir: string): BlobStore {
  const blobPath = (digest: string): string => {
    const d = assertDigest(digest, dir);
    const [alg, hex] = d.split(':');
    return join(dir, 'blobs', alg, hex);
  };
  return {
    async has(digest) {
      try {
        return (await stat(blobPath(digest))).isFile();
      } catch {
        return false;
      }
    },
    async read(digest, max, what) {
      const p = blobPath(digest);
      const fh = await open(p).catch((e: NodeJS.ErrnoException) => {
        throw new PalisadeError(e.code === 'ENOENT' ? 'E_IMAGE_NOT_FOUND' : 'E_IMAGE_SOURCE', `${what}: cannot read ${p}: ${e.code ?? e.message}`);
      });
      try {
        const size = (await fh.stat()).size;
        if (size > max) throw new PalisadeError('E_IMAGE_LIMIT', `${what}: ${size} bytes, over the ${max}-byte limit (maxJsonBytes)`);
        return await fh.readFile();
      } finally {
        await fh.close();
      }
    },
    async *stream(digest) {
      const p = blobPath(digest);
      const s = createReadStream(p, { highWaterMark: 256 * 1024 });
      try {
        for await (const c of s) yield c as Buffer;
      } catch (e) {
        const err = e as NodeJS.ErrnoException;
        throw new PalisadeError(err.code === 'ENOENT' ? 'E_IMAGE_NOT_FOUND' : 'E_IMAGE_SOURCE', `blob ${shortDigest(digest)}: cannot read ${p}: ${err.code ?? err.message}`);
      } finally {
        s.destroy();
      }
    },
  };
}

/** Opens an OCI image layout folder (`oci-layout`, `index.json`, `blobs/`). */
export async function openLayoutDir(dir: string, ref: string | undefined, opts: OpenImageOptions, limits: ImageLimits): Promise<ImageBackend> {
  const root = resolve(dir);
  let layoutText: string;
  try {
    layoutText = await readFile(join(root, 'oci-layout'), 'utf8');
  } catch {
    throw new PalisadeError('E_IMAGE_SOURCE', `${root}: not an OCI image layout (no oci-layout file)`);
  }
  checkLayoutVersion(layoutText, root);
  let indexBytes: Buffer;
  try {
    const s = await stat(join(root, 'index.json'));
    if (s.size > limits.maxJsonBytes) throw new PalisadeError('E_IMAGE_LIMIT', `${root}/index.json: over the ${limits.maxJsonBytes}-byte limit`);
    indexBytes = await readFile(join(root, 'index.json'));
  } catch (e) {
    if (e instanceof PalisadeError) throw e;
    throw new PalisadeError('E_IMAGE_SOURCE', `${root}: OCI layout without a readable index.json`);
  }
  return openFromLayout(dirStore(root), indexBytes, ref, root, opts, limits);
}

/** Checks the `oci-layout` marker's version (1.x). */
export function checkLayoutVersion(text: string, label: string): void {
  let v: unknown;
  try {
    v = (JSON.parse(text) as { imageLayoutVersion?: unknown }).imageLayoutVersion;
  } catch {
    throw new PalisadeError('E_IMAGE_FORMAT', `${label}: oci-layout is not valid JSON`);
  }
  if (typeof v !== 'string' || !v.startsWith('1.')) throw new PalisadeError('E_IMAGE_FORMAT', `${label}: unsupported OCI layout version ${JSON.stringify(v)}`);
}
