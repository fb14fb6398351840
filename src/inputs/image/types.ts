import type { LayerRef } from '../../model/package.js';

/** The operating system and CPU an image was built for (`linux/arm64/v8`). */
export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

/** One `history` entry of an image config. */
export interface ImageHistory {
  created?: string;
  created_by?: string;
  author?: string;
  comment?: string;
  empty_layer?: boolean;
}

/**
 * The parsed image configuration (OCI `application/vnd.oci.image.config.v1+json` or Docker's
 * `application/vnd.docker.container.image.v1+json`). Fields Palisade does not use are kept as they came.
 */
export interface ImageConfig {
  architecture?: string;
  os?: string;
  variant?: string;
  created?: string;
  author?: string;
  config?: {
    User?: string;
    Env?: string[];
    Entrypoint?: string[] | null;
    Cmd?: string[] | null;
    WorkingDir?: string;
    Labels?: Record<string, string> | null;
    ExposedPorts?: Record<string, unknown> | null;
    [key: string]: unknown;
  };
  rootfs?: { type?: string; diff_ids?: string[] };
  history?: ImageHistory[];
  [key: string]: unknown;
}

/** One file of the image's final file system, as `walk` returns it. */
export interface ImageFile {
  /** Absolute path in the image (`/etc/os-release`): the path that was asked for, even when it is a link. */
  path: string;
  content: Buffer;
  /** The layer that wrote the content (for a symbolic link, the layer of the file it points to). */
  layer: LayerRef;
  /** Where a symbolic or hard link led, when `path` is a link (`/usr/lib/os-release`). */
  resolvedPath?: string;
}

/** Says whether a file is wanted; called with absolute, normalised image paths (`/var/lib/dpkg/status`). */
export type WantFile = (path: string) => boolean;

/** An image opened for reading: its identity, configuration, layers and a file walker. */
export interface OpenedImage {
  /** The reference or path the image was opened from, normalised (`registry.example:5000/app:1.2`). */
  ref: string;
  /** Manifest digest (`sha256:...`); absent for a root file system folder, which has no manifest. */
  digest?: string;
  config: ImageConfig;
  platform: Platform;
  /** Layers in order, with the history command that created each non-empty layer where it is known. */
  layers: LayerRef[];
  /**
   * Streams every layer once, in order, applies whiteouts and returns the final state of the files that
   * `want` accepts, sorted by path. A wanted path that is a symbolic link returns the content of its
   * target, resolved inside the image. Blob digests are verified while streaming; nothing is written
   * to the host. Throws `PalisadeError` (`E_IMAGE_*`) on a tampered, truncated, oversized or unsupported
   * layer.
   */
  walk(want: WantFile): Promise<ImageFile[]>;
  /** Releases connections and file handles. */
  close(): Promise<void>;
}

/** Size limits; every one of them ends the walk with an `E_IMAGE_LIMIT` error that names it. */
export interface ImageLimits {
  /** Decompressed bytes streamed over all layers of one walk. */
  maxTotalBytes: number;
  /** Size of one kept (wanted) file. */
  maxFileBytes: number;
  /** Sum of the sizes of all kept files of one walk. */
  maxKeptBytes: number;
  /** Tar entries over all layers of one walk. */
  maxEntries: number;
  /** Size of a manifest, index or config document. */
  maxJsonBytes: number;
  /** Largest zstd window a layer may ask the decoder to allocate. */
  maxZstdWindowBytes: number;
}

/** The defaults: generous enough for real images, small enough to stop a decompression bomb. */
export const DEFAULT_IMAGE_LIMITS: ImageLimits = {
  maxTotalBytes: 8 * 1024 ** 3,
  maxFileBytes: 512 * 1024 ** 2,
  maxKeptBytes: 2 * 1024 ** 3,
  maxEntries: 2_000_000,
  maxJsonBytes: 32 * 1024 ** 2,
  // zstd's own decoder refuses windows over 128 MiB unless told otherwise (`--long=31`).
  maxZstdWindowBytes: 128 * 1024 ** 2,
};

/** How to talk to a registry. */
export interface RegistryOptions {
  username?: string;
  password?: string;
  /** A static token sent as `Authorization: Bearer` from the first request (registries that issue long-lived tokens). */
  bearerToken?: string;
  /**
   * Docker client config to read `auths` from; default `$DOCKER_CONFIG/config.json`, then
   * `~/.docker/config.json`. `false` reads none.
   */
  dockerConfig?: string | false;
  /** Extra certificate authorities (PEM) trusted for HTTPS, on top of the system ones. */
  ca?: string | Buffer | Array<string | Buffer>;
  /** Speak plain HTTP. Never chosen automatically, not even for localhost. */
  insecure?: boolean;
  /** Milliseconds without progress (connect, headers or body) before a request is abandoned. */
  timeoutMs?: number;
  /** Attempts per request on 5xx, 429, timeouts and connection errors (default 4). */
  attempts?: number;
  /** First backoff delay in milliseconds; doubles on each retry (default 500). */
  backoffMs?: number;
  userAgent?: string;
}

/** Options of `openImage`. */
export interface OpenImageOptions {
  /** Platform to choose from an image index (`linux/arm64`, default `linux/amd64`). */
  platform?: string | Platform;
  registry?: RegistryOptions;
  limits?: Partial<ImageLimits>;
  /** Receives non-fatal problems (a dangling link, an entry that escapes the root). */
  onWarning?: (message: string) => void;
  /** Called as `walk` streams: at the start of each layer, after each entry, and once at the end. */
  onProgress?: (p: WalkProgress) => void;
}

/** How far a walk is: `layer` layers fully streamed out of `layers`, and the decompressed bytes so far. */
export interface WalkProgress {
  /** Index of the layer being streamed; equal to `layers` when all are done. */
  layer: number;
  layers: number;
  /** Decompressed bytes streamed so far, over all layers. */
  bytes: number;
  entries: number;
}

/** Where an image comes from. A plain string is detected: an existing path, else a registry reference. */
export type ImageSource =
  | string
  | { kind: 'registry'; reference: string }
  | { kind: 'oci-layout'; path: string; ref?: string }
  | { kind: 'archive'; path: string; ref?: string }
  | { kind: 'rootfs'; path: string };
