/**
 * Image inputs: a registry reference, an OCI layout folder, a `docker save` / `podman save` archive or a
 * root file system folder, opened as a layered file view that package analyzers walk.
 */
export { openImage, resolveSource } from './open.js';
export { listRepositories, listTags, manifestDigest, nextLink, type ListOptions } from './catalog.js';
export { parseReference, type ImageReference } from './reference.js';
export { parsePlatform, formatPlatform } from './manifest.js';
export { DEFAULT_IMAGE_LIMITS } from './types.js';
export type { ImageConfig, ImageFile, ImageHistory, ImageLimits, ImageSource, OpenImageOptions, OpenedImage, Platform, RegistryOptions, WalkProgress, WantFile } from './types.js';
