import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { PalisadeError } from '../../model/errors.js';
import { openArchive } from './archive.js';
import type { ImageBackend } from './backend.js';
import { openLayoutDir } from './layout.js';
import { openRegistryImage } from './registry.js';
import { openRootfs } from './rootfs.js';
import { DEFAULT_IMAGE_LIMITS, type ImageLimits, type ImageSource, type OpenImageOptions, type OpenedImage } from './types.js';
import { walkLayers } from './walk.js';

type Resolved = Exclude<ImageSource, string>;

/** Splits `path:ref` (skopeo's `oci:dir:tag` form) when the whole string is not itself an existing path. */
function splitPathRef(s: string): { path: string; ref?: string } {
  if (existsSync(s)) return { path: s };
  const i = s.lastIndexOf(':');
  if (i > 0 && !s.slice(i + 1).includes('/') && existsSync(s.slice(0, i))) return { path: s.slice(0, i), ref: s.slice(i + 1) };
  return { path: s };
}

/**
 * Decides what a source string names. Transport prefixes are explicit (`docker://`, `registry:`, `oci:`,
 * `oci-archive:`, `docker-archive:`, `rootfs:`, `dir:`); without one, an existing folder holding
 * `oci-layout` is an OCI layout, another folder a root file system, an existing file an archive, and
 * anything else a registry reference.
 */
export async function resolveSource(source: ImageSource): Promise<Resolved> {
  if (typeof source !== 'string') return source;
  const prefixes: Array<[string, (rest: string) => Resolved]> = [
    ['docker://', (r) => ({ kind: 'registry', reference: r })],
    ['registry:', (r) => ({ kind: 'registry', reference: r })],
    ['oci-archive:', (r) => ({ kind: 'archive', ...splitPathRef(r) })],
    ['docker-archive:', (r) => ({ kind: 'archive', ...splitPathRef(r) })],
    ['oci:', (r) => ({ kind: 'oci-layout', ...splitPathRef(r) })],
    ['rootfs:', (r) => ({ kind: 'rootfs', path: r })],
    ['dir:', (r) => ({ kind: 'rootfs', path: r })],
  ];
  for (const [prefix, make] of prefixes) if (source.startsWith(prefix)) return make(source.slice(prefix.length));
  const s = await stat(source).catch(() => undefined);
  if (s?.isDirectory()) return existsSync(join(source, 'oci-layout')) ? { kind: 'oci-layout', path: source } : { kind: 'rootfs', path: source };
  if (s?.isFile()) return { kind: 'archive', path: source };
  return { kind: 'registry', reference: source };
}

/**
 * Opens an image from a registry, an OCI layout folder, a `docker save` / `podman save` archive or a root
 * file system folder, reading its manifest and config (verified) but no layer yet. Layers are streamed by
 * `walk`. Failures are `PalisadeError`s with `E_IMAGE_*` codes.
 */
export async function openImage(source: ImageSource, opts: OpenImageOptions = {}): Promise<OpenedImage> {
  const limits: ImageLimits = { ...DEFAULT_IMAGE_LIMITS, ...opts.limits };
  for (const [k, v] of Object.entries(limits)) {
    if (typeof v !== 'number' || !(v > 0)) throw new PalisadeError('E_USAGE', `image limit ${k} must be a positive number`);
  }
  const src = await resolveSource(source);
  let backend: ImageBackend;
  switch (src.kind) {
    case 'registry':
      backend = await openRegistryImage(src.reference, opts, limits);
      break;
    case 'oci-layout':
      backend = await openLayoutDir(src.path, src.ref, opts, limits);
      break;
    case 'archive':
      backend = await openArchive(src.path, src.ref, opts, limits);
      break;
    case 'rootfs':
      backend = await openRootfs(src.path);
      break;
  }
  return {
    ref: backend.ref,
    digest: backend.digest,
    config: backend.config,
    platform: backend.platform,
    layers: backend.layers.map((l) => l.ref),
    walk: (want) => walkLayers(backend.layers, want, { limits, onWarning: opts.onWarning, onProgress: opts.onProgress }),
    close: () => backend.close(),
  };
}
