/**
 * Container image references, parsed the way the container runtime resolves them
 * (`nginx` is `docker.io/library/nginx:latest`). Shared by the image checks.
 */

/** The parts of an image reference. */
export interface ImageRef {
  /** The reference as written. */
  raw: string;
  /** Registry host (with port), lower case; `docker.io` when the reference names none. */
  registry: string;
  /** True when the reference itself names the registry. */
  explicitRegistry: boolean;
  /** Repository path inside the registry (`library/nginx` for official Docker Hub images). */
  repository: string;
  /** Tag as written; undefined when the reference has none. */
  tag?: string;
  /** `sha256:...` when the reference is pinned by digest. */
  digest?: string;
}

const DOCKER_HUB = 'docker.io';
const DOCKER_HUB_ALIASES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io', 'registry.hub.docker.com']);

/**
 * Parses an image reference. The first path component is a registry when it holds a `.` or a `:` or is
 * `localhost` (the same rule Docker and containerd apply), so `localhost:5000/app` has no tag while
 * `app:5000` has tag `5000`.
 */
export function parseImageRef(raw: string): Readonly<ImageRef> {
  // Half a dozen checks parse every image of every container; a scan holds a few hundred distinct ones.
  let ref = parsedRefs.get(raw);
  if (!ref) {
    if (parsedRefs.size >= 10_000) parsedRefs.clear();
    parsedRefs.set(raw, (ref = parse(raw)));
  }
  return ref;
}

const parsedRefs = new Map<string, ImageRef>();

function parse(raw: string): ImageRef {
  let name = raw.trim();
  let digest: string | undefined;
  const at = name.indexOf('@');
  if (at !== -1) {
    digest = name.slice(at + 1);
    name = name.slice(0, at);
  }
  let tag: string | undefined;
  const colon = name.lastIndexOf(':');
  if (colon !== -1 && colon > name.lastIndexOf('/')) {
    tag = name.slice(colon + 1);
    name = name.slice(0, colon);
  }
  let registry = DOCKER_HUB;
  let explicitRegistry = false;
  let repository = name;
  const slash = name.indexOf('/');
  if (slash !== -1) {
    const first = name.slice(0, slash);
    if (first.includes('.') || first.includes(':') || first === 'localhost') {
      explicitRegistry = true;
      registry = first.toLowerCase();
      repository = name.slice(slash + 1);
    }
  }
  if (DOCKER_HUB_ALIASES.has(registry)) registry = DOCKER_HUB;
  if (registry === DOCKER_HUB && !repository.includes('/')) repository = `library/${repository}`;
  const ref: ImageRef = { raw, registry, explicitRegistry, repository };
  if (tag !== undefined) ref.tag = tag;
  if (digest !== undefined) ref.digest = digest;
  return ref;
}

/** True when the reference carries a well-formed content digest (`algorithm:hex`). */
export function hasDigest(ref: ImageRef): boolean {
  return ref.digest !== undefined && /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/.test(ref.digest);
}

/**
 * The pull policy Kubernetes fills in when `imagePullPolicy` is unset: `Always` when the tag is `latest`
 * or when the reference has neither tag nor digest (it then means `latest`), `IfNotPresent` otherwise.
 */
export function defaultPullPolicy(ref: ImageRef): 'Always' | 'IfNotPresent' {
  if (ref.tag === 'latest') return 'Always';
  if (ref.tag === undefined && ref.digest === undefined) return 'Always';
  return 'IfNotPresent';
}

/**
 * Does an allow-list entry cover this image? Entries are a registry host (`registry.example.com`,
 * `localhost:5000`), a host with a path prefix (`ghcr.io/acme`), or a host wildcard (`*.azurecr.io`).
 * Prefixes match whole path components: `ghcr.io/acme` covers `ghcr.io/acme/api`, not `ghcr.io/acme-evil/api`.
 * An image that names no registry comes from `docker.io`.
 */
export function registryEntryMatches(entry: string, ref: ImageRef): boolean {
  const e = entry.trim().replace(/\/+$/, '');
  if (e === '') return false;
  const slash = e.indexOf('/');
  let host = (slash === -1 ? e : e.slice(0, slash)).toLowerCase();
  const path = slash === -1 ? '' : e.slice(slash + 1);
  if (DOCKER_HUB_ALIASES.has(host)) host = DOCKER_HUB;
  if (host.startsWith('*.')) {
    const suffix = host.slice(1);
    if (!(ref.registry.endsWith(suffix) && ref.registry.length > suffix.length)) return false;
  } else if (host !== ref.registry) {
    return false;
  }
  if (path === '') return true;
  // Docker Hub official images: `docker.io/nginx` means `docker.io/library/nginx`.
  const candidates = host === DOCKER_HUB && !path.includes('/') && path !== 'library' ? [path, `library/${path}`] : [path];
  return candidates.some((p) => ref.repository === p || ref.repository.startsWith(`${p}/`));
}

/** The image string of a container, or undefined when absent or not a string. */
export function imageOf(c: { image?: unknown }): string | undefined {
  return typeof c.image === 'string' && c.image.trim() !== '' ? c.image : undefined;
}
