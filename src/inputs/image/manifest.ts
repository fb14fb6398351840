import { z } from 'zod';
import { PalisadeError } from '../../model/errors.js';
import type { LayerRef } from '../../model/package.js';
import { isDigest, shortDigest } from './digest.js';
import type { ImageConfig, Platform } from './types.js';

/** Media types of the documents and blobs Palisade reads. */
export const MEDIA = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerSchema1: 'application/vnd.docker.distribution.manifest.v1+json',
  dockerSchema1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
} as const;

/** More layers than any runtime can mount (overlayfs stops near 128; Docker at 127). */
const MAX_LAYERS = 1000;

/** Every manifest media type a registry may answer with, for the Accept header. */
export const MANIFEST_ACCEPT = [MEDIA.ociIndex, MEDIA.ociManifest, MEDIA.dockerList, MEDIA.dockerManifest].join(', ');

/**
 * Layer media types. The compression is sniffed from the bytes (as containerd does), so a layer labelled
 * `tar` that is really gzip still reads; the label only has to be one of these.
 */
const LAYER_TYPES = new Set([
  'application/vnd.oci.image.layer.v1.tar',
  'application/vnd.oci.image.layer.v1.tar+gzip',
  'application/vnd.oci.image.layer.v1.tar+zstd',
  'application/vnd.oci.image.layer.nondistributable.v1.tar',
  'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
  'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd',
  'application/vnd.docker.image.rootfs.diff.tar',
  'application/vnd.docker.image.rootfs.diff.tar.gzip',
  'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
]);

/** True for a layer media type that Palisade can read. */
export function isLayerMediaType(t: string): boolean {
  return LAYER_TYPES.has(t);
}

const descriptor = z.looseObject({
  mediaType: z.string().optional(),
  digest: z.string().refine(isDigest, 'malformed digest'),
  size: z.number().int().nonnegative(),
  urls: z.array(z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  platform: z.looseObject({
    os: z.string(),
    architecture: z.string(),
    variant: z.string().optional(),
  }).optional(),
});
/** A content descriptor (media type, digest, size). */
export type Descriptor = z.infer<typeof descriptor>;

const imageManifest = z.looseObject({
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  config: descriptor,
  layers: z.array(descriptor),
});
/** An OCI image manifest or Docker schema 2 manifest. */
export type ImageManifest = z.infer<typeof imageManifest>;

const imageIndex = z.looseObject({
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  manifests: z.array(descriptor),
});
/** An OCI image index or Docker manifest list. */
export type ImageIndex = z.infer<typeof imageIndex>;

const imageConfig = z.looseObject({
  architecture: z.string().optional(),
  os: z.string().optional(),
  variant: z.string().optional(),
  created: z.string().optional(),
  author: z.string().optional(),
  config: z.looseObject({}).nullable().optional(),
  rootfs: z.looseObject({ type: z.string().optional(), diff_ids: z.array(z.string()).optional() }).optional(),
  history: z.array(z.looseObject({
    created: z.string().optional(),
    created_by: z.string().optional(),
    author: z.string().optional(),
    comment: z.string().optional(),
    empty_layer: z.boolean().optional(),
  })).optional(),
});

function parseJson(bytes: Buffer, what: string): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch (e) {
    throw new PalisadeError('E_IMAGE_FORMAT', `${what}: invalid JSON: ${(e as Error).message}`);
  }
}

function issues(e: z.ZodError): string {
  const first = e.issues[0];
  return `${first.path.length ? first.path.join('.') + ': ' : ''}${first.message}`;
}

/** A parsed manifest document: either one image or an index of them. */
export type ManifestDoc = { kind: 'manifest'; manifest: ImageManifest } | { kind: 'index'; index: ImageIndex };

/**
 * Parses a manifest or index. `mediaType` is the one the registry or descriptor gave; when absent the
 * document's own field or its shape decides (OCI allows both to be missing).
 */
export function parseManifest(bytes: Buffer, mediaType: string | undefined, what: string): ManifestDoc {
  const doc = parseJson(bytes, what) as { mediaType?: unknown; manifests?: unknown; layers?: unknown; schemaVersion?: unknown } | null;
  if (doc === null || typeof doc !== 'object') throw new PalisadeError('E_IMAGE_FORMAT', `${what}: not a JSON object`);
  let type = mediaType && mediaType !== 'application/json' && mediaType !== 'text/plain' ? mediaType.split(';')[0].trim() : undefined;
  if (!type && typeof doc.mediaType === 'string') type = doc.mediaType;
  if (!type) type = Array.isArray(doc.manifests) ? MEDIA.ociIndex : MEDIA.ociManifest;
  if (type === MEDIA.dockerSchema1 || type === MEDIA.dockerSchema1Signed || doc.schemaVersion === 1) {
    throw new PalisadeError('E_IMAGE_FORMAT', `${what}: Docker schema 1 manifests are not supported (deprecated since 2017); re-push the image with a current client`);
  }
  if (type === MEDIA.ociIndex || type === MEDIA.dockerList) {
    const r = imageIndex.safeParse(doc);
    if (!r.success) throw new PalisadeError('E_IMAGE_FORMAT', `${what}: invalid image index: ${issues(r.error)}`);
    return { kind: 'index', index: r.data };
  }
  if (type === MEDIA.ociManifest || type === MEDIA.dockerManifest) {
    const r = imageManifest.safeParse(doc);
    if (!r.success) throw new PalisadeError('E_IMAGE_FORMAT', `${what}: invalid image manifest: ${issues(r.error)}`);
    const cfgType = r.data.config.mediaType;
    if (cfgType && cfgType !== MEDIA.ociConfig && cfgType !== MEDIA.dockerConfig) {
      throw new PalisadeError('E_IMAGE_FORMAT', `${what}: not a container image (config media type ${cfgType}); artifacts such as Helm charts or signatures cannot be scanned`);
    }
    if (r.data.layers.length > MAX_LAYERS) {
      throw new PalisadeError('E_IMAGE_LIMIT', `${what}: ${r.data.layers.length} layers; more than ${MAX_LAYERS} is not a runnable image`);
    }
    for (const l of r.data.layers) {
      if (l.mediaType && !isLayerMediaType(l.mediaType)) {
        throw new PalisadeError('E_IMAGE_FORMAT', `${what}: layer ${shortDigest(l.digest)} has unsupported media type ${l.mediaType}`);
      }
    }
    return { kind: 'manifest', manifest: r.data };
  }
  throw new PalisadeError('E_IMAGE_FORMAT', `${what}: unsupported manifest media type ${type}`);
}

/** Parses an image config. */
export function parseConfig(bytes: Buffer, what: string): ImageConfig {
  const r = imageConfig.safeParse(parseJson(bytes, what));
  if (!r.success) throw new PalisadeError('E_IMAGE_FORMAT', `${what}: invalid image config: ${issues(r.error)}`);
  return r.data as ImageConfig;
}

/** The variant an architecture has when none is written (`arm64` is `v8`). */
function defaultVariant(arch: string): string | undefined {
  return arch === 'arm64' ? 'v8' : undefined;
}

/** Normalises GOARCH spellings users type (`aarch64`, `x86_64`). */
function normaliseArch(a: string): string {
  const lower = a.toLowerCase();
  if (lower === 'x86_64' || lower === 'x86-64') return 'amd64';
  if (lower === 'aarch64') return 'arm64';
  return lower;
}

/** Parses `os/arch[/variant]` (`linux/arm64/v8`); a bare `arch` means Linux. */
export function parsePlatform(p: string | Platform | undefined): Platform {
  if (p === undefined) return { os: 'linux', architecture: 'amd64' };
  if (typeof p !== 'string') return { os: p.os, architecture: normaliseArch(p.architecture), variant: p.variant };
  const parts = p.trim().split('/').filter((x) => x !== '');
  if (parts.length === 1) return { os: 'linux', architecture: normaliseArch(parts[0]) };
  if (parts.length === 2 || parts.length === 3) return { os: parts[0].toLowerCase(), architecture: normaliseArch(parts[1]), variant: parts[2] };
  throw new PalisadeError('E_USAGE', `invalid platform "${p}"; expected os/arch[/variant], e.g. linux/arm64`);
}

/** `linux/arm64/v8`. */
export function formatPlatform(p: Platform): string {
  return `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}`;
}

/**
 * Chooses the manifest for `want` from an index: os and architecture must match; a requested variant must
 * match (with `arm64` meaning `arm64/v8`); without one, the first entry of the architecture wins, as
 * container runtimes do. Attestation entries (`unknown/unknown`) never match.
 */
export function selectPlatform(index: ImageIndex, want: Platform, what: string): Descriptor {
  const candidates = index.manifests.filter((m) => m.platform && m.platform.os === want.os && normaliseArch(m.platform.architecture) === want.architecture);
  const wantVariant = want.variant ?? defaultVariant(want.architecture);
  const exact = candidates.find((m) => (m.platform?.variant ?? defaultVariant(want.architecture)) === wantVariant);
  const chosen = exact ?? (want.variant === undefined ? candidates[0] : undefined);
  if (chosen) return chosen;
  const have = index.manifests.filter((m) => m.platform && m.platform.os !== 'unknown').map((m) => formatPlatform(m.platform as Platform));
  throw new PalisadeError('E_IMAGE_NOT_FOUND', `${what}: no image for platform ${formatPlatform(want)}; the index has ${have.length ? have.join(', ') : 'no platform entries'}`);
}

/**
 * Builds the layer list: blob digest, the diff_id of the same position and the `created_by` of the
 * matching history entry. History entries marked `empty_layer` made no layer; the others pair with the
 * layers in order, and only when their count equals the layer count (a squashed or rewritten image whose
 * history does not line up gets no commands rather than wrong ones).
 */
export function layerRefs(digests: readonly string[], config: ImageConfig): LayerRef[] {
  const diffIds = config.rootfs?.diff_ids ?? [];
  const history = (config.history ?? []).filter((h) => !h.empty_layer);
  const pair = history.length === digests.length;
  return digests.map((digest, index) => {
    const ref: LayerRef = { digest, index };
    if (isDigest(diffIds[index]) && diffIds.length === digests.length) ref.diffId = diffIds[index];
    const createdBy = pair ? history[index].created_by : undefined;
    if (createdBy) ref.createdBy = createdBy;
    return ref;
  });
}

/** The platform an image says it is for, from its config. */
export function configPlatform(config: ImageConfig): Platform {
  const p: Platform = { os: config.os ?? 'unknown', architecture: config.architecture ?? 'unknown' };
  if (config.variant) p.variant = config.variant;
  return p;
}
