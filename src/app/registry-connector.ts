import { minimatch } from 'minimatch';
import { listRepositories, listTags, manifestDigest, parseReference, type RegistryOptions } from '../inputs/image/index.js';
import { PalisadeError } from '../model/errors.js';
import type { AssetRelationRow, ConnectorRow, Store } from '../storage/store.js';
import { parseDuration } from './alerts.js';
import { connectorView, type ConnectorView } from './connectors.js';
import type { SecretBox } from './secrets.js';
import type { Actor } from './users.js';

/** Default time between two scheduled syncs (rescans) of a registry: a day. */
export const DEFAULT_REGISTRY_RESCAN_MS = 24 * 3_600_000;

/** Credentials of a registry: a user name and a password (or a robot account and its secret), or a static bearer token. */
export type RegistryCredentials = { username: string; password: string } | { token: string };

/** Include and exclude globs (`team/*`, `**`, `v1.*`); an empty include list means everything. */
export interface NamePatterns {
  include?: string[];
  exclude?: string[];
}

/** What onboarding a registry asks for. */
export interface NewRegistryConnector {
  name: string;
  /** `https://registry.example.com`, or `http://host:port` together with `plainHttp: true`. */
  url: string;
  /** Stored encrypted, never returned. */
  auth?: RegistryCredentials;
  /** Extra certificate authority (PEM) for a registry whose certificate a private CA signed. */
  ca?: string;
  /** Speak plain HTTP (never chosen on its own). */
  plainHttp?: boolean;
  repositories?: NamePatterns;
  tags?: NamePatterns;
  /** Time between scheduled syncs (`24h`, `12h`, `7d`; default a day). */
  rescanInterval?: string;
  /** Tags read per repository at most (default 1000). */
  maxTagsPerRepository?: number;
}

/** The non-secret settings of a registry connector, as stored in its `config`. */
export interface RegistrySettings {
  url: string;
  /** `host[:port]`, as image references name the registry. */
  host: string;
  plainHttp: boolean;
  ca?: string;
  repositories: NamePatterns;
  tags: NamePatterns;
  rescanIntervalMs: number;
  maxTagsPerRepository: number;
}

/** One check of a registry preflight: what was tried, whether it worked, and what to do when it did not. */
export interface RegistryCheck {
  name: 'catalog' | 'tags' | 'pull';
  ok: boolean;
  /** Not needed with these settings (the catalog, when every include pattern is an exact repository name). */
  skipped?: boolean;
  detail: string;
  fix?: string;
}

/** The outcome of a registry preflight. */
export interface RegistryPreflight {
  ok: boolean;
  registry: string;
  checks: RegistryCheck[];
  /** Repositories the patterns select (as far as the preflight looked). */
  repositories: number;
  /** The image whose manifest was pulled. */
  sample?: string;
}

/** The outcome of onboarding a registry: saved, or refused with the preflight's reasons. */
export type RegistryOnboardResult = { saved: true; connector: ConnectorView; preflight: RegistryPreflight } | { saved: false; preflight: RegistryPreflight };

/** What a registry sync found and queued. */
export interface RegistrySyncResult {
  connectorId: string;
  at: string;
  repositories: number;
  tags: number;
  images: number;
  /** Images (by digest) queued for a scan: new tags, changed digests, earlier failures. */
  queued: number;
  errors: Array<{ repository: string; message: string }>;
}

/** Queues the scan of an image reference, recording `aliases` (its tags) as resolving to the same image. */
export type QueueScan = (reference: string, aliases: string[]) => Promise<unknown>;

/** Host and scheme of a registry URL; `E_USAGE` naming the field when it is not one. */
export function registrySettings(input: NewRegistryConnector): RegistrySettings {
  let url: URL;
  try {
    url = new URL(/^[a-z]+:\/\//i.test(input.url) ? input.url : `https://${input.url}`);
  } catch {
    throw new PalisadeError('E_USAGE', `url: "${input.url}" is not a registry URL (https://registry.example.com)`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new PalisadeError('E_USAGE', `url: ${url.protocol} is not http or https`);
  if (url.protocol === 'http:' && input.plainHttp !== true) throw new PalisadeError('E_USAGE', `url: ${input.url} is plain HTTP; set plainHttp: true to allow it (credentials then cross the network unencrypted)`);
  if (url.pathname !== '/' && url.pathname !== '') throw new PalisadeError('E_USAGE', `url: give the registry's address without a path (${url.origin})`);
  const host = url.host;
  if (parseReference(`${host}/probe`).domain !== host) throw new PalisadeError('E_USAGE', `url: "${host}" does not name a registry host the way image references do (it needs a dot, a port or to be localhost)`);
  const rescanIntervalMs = input.rescanInterval === undefined ? DEFAULT_REGISTRY_RESCAN_MS : parseDuration(input.rescanInterval);
  if (rescanIntervalMs === undefined || rescanIntervalMs < 60_000) throw new PalisadeError('E_USAGE', `rescanInterval: "${input.rescanInterval}" is not a duration of at least 1m (e.g. 24h, 12h, 7d)`);
  const settings: RegistrySettings = {
    url: url.origin,
    host,
    plainHttp: url.protocol === 'http:',
    repositories: input.repositories ?? {},
    tags: input.tags ?? {},
    rescanIntervalMs,
    maxTagsPerRepository: input.maxTagsPerRepository ?? 1000,
  };
  if (input.ca) settings.ca = input.ca;
  return settings;
}

/** The settings of a stored registry connector. */
export function storedRegistrySettings(c: ConnectorRow): RegistrySettings {
  return c.config as unknown as RegistrySettings;
}

/** Client options for a registry: its scheme, CA and credentials; never the Docker config of the server's user. */
export function registryClientOptions(settings: Pick<RegistrySettings, 'plainHttp' | 'ca'>, auth: RegistryCredentials | undefined, defaults: RegistryOptions = {}): RegistryOptions {
  const opts: RegistryOptions = { ...defaults, dockerConfig: false, insecure: settings.plainHttp };
  if (settings.ca) opts.ca = settings.ca;
  if (auth && 'token' in auth) opts.bearerToken = auth.token;
  else if (auth) {
    opts.username = auth.username;
    opts.password = auth.password;
  }
  return opts;
}

/** The credentials of a stored registry connector, decrypted (bound to its id). */
export function storedRegistryAuth(box: SecretBox, c: ConnectorRow): RegistryCredentials | undefined {
  return c.secrets ? (JSON.parse(box.open(c.secrets, c.id)) as { auth?: RegistryCredentials }).auth : undefined;
}

/** Whether a name passes include and exclude globs (`**` crosses `/`; an empty include list takes everything). */
export function matchesPatterns(name: string, p: NamePatterns): boolean {
  if (p.include?.length && !p.include.some((g) => minimatch(name, g))) return false;
  return !p.exclude?.some((g) => minimatch(name, g));
}

/** True when every include pattern is an exact name: the catalog is then not needed. */
function literalIncludes(p: NamePatterns): string[] | undefined {
  if (!p.include?.length || p.include.some((g) => /[*?[\]{}!]/.test(g))) return undefined;
  return p.include;
}

/** Repositories the patterns select: the catalog filtered, or the exact names the include list gives. */
async function selectedRepositories(settings: RegistrySettings, opts: RegistryOptions): Promise<string[]> {
  const literal = literalIncludes(settings.repositories);
  const names = literal ?? (await listRepositories(settings.host, opts));
  return names.filter((r) => matchesPatterns(r, settings.repositories));
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** What to do about a failed registry request, by its error code. */
function fixFor(e: unknown, what: 'catalog' | 'tags' | 'pull', settings: RegistrySettings): string {
  const code = e instanceof PalisadeError ? e.code : '';
  if (code === 'E_IMAGE_NETWORK') {
    return settings.plainHttp
      ? `check that ${settings.url} is reachable from the Palisade server`
      : `check that ${settings.url} is reachable from the Palisade server; for a certificate of a private CA give its PEM as "ca", for a registry without TLS use an http:// url with plainHttp: true`;
  }
  if (code === 'E_IMAGE_AUTH') {
    if (what === 'catalog') return 'give credentials allowed to list the catalog (the registry:catalog:* scope; a Harbor or Quay robot account with list permission), or list exact repository names in repositories.include so the catalog is not needed';
    return `give credentials with pull access to the selected repositories (a read-only robot account or token)`;
  }
  if (code === 'E_IMAGE_NOT_FOUND' && what === 'catalog') return 'this registry has no catalog API: list exact repository names in repositories.include';
  return 'check the registry URL and the credentials';
}

/**
 * The registry preflight: may the credentials list the catalog (unless exact repository names make it
 * unnecessary), list the tags of a selected repository, and pull one manifest? Each failure says what to do.
 */
export async function registryPreflight(settings: RegistrySettings, auth: RegistryCredentials | undefined, defaults: RegistryOptions = {}): Promise<RegistryPreflight> {
  const opts = registryClientOptions(settings, auth, defaults);
  const checks: RegistryCheck[] = [];
  const out = (): RegistryPreflight => ({ ok: checks.every((c) => c.ok), registry: settings.host, checks, repositories: repos.length, ...(sample ? { sample } : {}) });
  let repos: string[] = [];
  let sample: string | undefined;
  const literal = literalIncludes(settings.repositories);
  if (literal) {
    repos = literal.filter((r) => matchesPatterns(r, settings.repositories));
    checks.push({ name: 'catalog', ok: true, skipped: true, detail: `not needed: repositories.include names ${literal.length} exact repositor${literal.length === 1 ? 'y' : 'ies'}` });
  } else {
    try {
      repos = await selectedRepositories(settings, opts);
      checks.push({ name: 'catalog', ok: true, detail: `catalog listed; ${repos.length} repositor${repos.length === 1 ? 'y matches' : 'ies match'} the patterns` });
    } catch (e) {
      checks.push({ name: 'catalog', ok: false, detail: `listing the catalog failed: ${message(e)}`, fix: fixFor(e, 'catalog', settings) });
      return out();
    }
  }
  if (repos.length === 0) {
    checks.push({ name: 'tags', ok: false, detail: 'no repository matches repositories.include / exclude', fix: 'widen repositories.include or narrow repositories.exclude (globs: team/*, **)' });
    return out();
  }
  let lastTagError: { e: unknown; repo: string } | undefined;
  for (const repo of repos.slice(0, 5)) {
    let tags: string[];
    try {
      tags = (await listTags(settings.host, repo, opts, { max: settings.maxTagsPerRepository })).filter((t) => matchesPatterns(t, settings.tags));
    } catch (e) {
      lastTagError = { e, repo };
      continue;
    }
    if (tags.length === 0) continue;
    checks.push({ name: 'tags', ok: true, detail: `tags of ${repo} listed` });
    try {
      const digest = await manifestDigest(settings.host, repo, tags[0], opts);
      sample = `${settings.host}/${repo}:${tags[0]}`;
      checks.push({ name: 'pull', ok: true, detail: `manifest of ${sample} pulled (${digest})` });
    } catch (e) {
      checks.push({ name: 'pull', ok: false, detail: `pulling the manifest of ${settings.host}/${repo}:${tags[0]} failed: ${message(e)}`, fix: fixFor(e, 'pull', settings) });
    }
    return out();
  }
  if (lastTagError) checks.push({ name: 'tags', ok: false, detail: `listing the tags of ${lastTagError.repo} failed: ${message(lastTagError.e)}`, fix: fixFor(lastTagError.e, 'tags', settings) });
  else checks.push({ name: 'tags', ok: false, detail: `no tag of the first ${Math.min(5, repos.length)} selected repositories matches tags.include / exclude`, fix: 'widen tags.include or narrow tags.exclude' });
  return out();
}

function preflightSummary(p: RegistryPreflight) {
  return { ok: p.ok, registry: p.registry, repositories: p.repositories, failed: p.checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`) };
}

/**
 * Onboards a registry: its settings are checked, the preflight runs, and nothing is saved when it fails.
 * The credentials are sealed with the connector's id as associated data; the row and its audit entry are
 * written together.
 */
export async function onboardRegistry(store: Store, box: SecretBox, actor: Actor, input: NewRegistryConnector, defaults: RegistryOptions = {}, opts: { dryRun?: boolean } = {}): Promise<RegistryOnboardResult> {
  const settings = registrySettings(input);
  const preflight = await registryPreflight(settings, input.auth, defaults);
  if (opts.dryRun) return { saved: false, preflight };
  if (!preflight.ok) {
    await store.appendAudit({ actor: actor.name, action: 'connector.refuse', target: `connector:${input.name}`, source: actor.source, before: null, after: preflightSummary(preflight) });
    return { saved: false, preflight };
  }
  const row = await store.transaction(async (tx) => {
    const config = { ...settings, preflight: { ...preflightSummary(preflight), at: new Date().toISOString() } };
    const created = await tx.createConnector({ kind: 'registry', name: input.name, config: JSON.parse(JSON.stringify(config)) as Record<string, unknown>, secrets: null });
    const sealed = input.auth ? box.seal(JSON.stringify({ auth: input.auth }), created.id) : null;
    const saved = (await tx.updateConnector(created.id, { secrets: sealed }))!;
    await tx.appendAudit({ actor: actor.name, action: 'connector.create', target: `connector:${saved.id}`, source: actor.source, before: null, after: connectorView(saved) });
    return saved;
  });
  return { saved: true, connector: connectorView(row), preflight };
}

/** Runs the preflight of a stored registry connector again, audited. */
export async function preflightRegistry(store: Store, box: SecretBox, actor: Actor, c: ConnectorRow, defaults: RegistryOptions = {}): Promise<RegistryPreflight> {
  const result = await registryPreflight(storedRegistrySettings(c), storedRegistryAuth(box, c), defaults);
  await store.transaction(async (tx) => {
    const cur = (await tx.getConnector(c.id)) ?? c;
    await tx.updateConnector(c.id, { config: { ...cur.config, preflight: { ...preflightSummary(result), at: new Date().toISOString() } } });
    await tx.appendAudit({ actor: actor.name, action: 'connector.preflight', target: `connector:${c.id}`, source: actor.source, before: null, after: preflightSummary(result) });
  });
  return result;
}

/** An image of a repository by manifest digest, with the tags that point at it now. */
interface DiscoveredImage {
  repository: string;
  digest: string;
  tags: string[];
}

/**
 * Syncs a registry: the catalog (or the exact names of `repositories.include`) and each selected
 * repository's tags, filtered by the patterns; each tag's manifest digest. Stores the assets `registry`,
 * `repository` and `image` (keyed `<host>/<repository>@<digest>`, with its tags) and their `contains`
 * relations, then queues a scan of every image not yet scanned at that digest (new tags, moved tags,
 * earlier failures). A repository that cannot be read is an error of the result; the others go on.
 */
export async function syncRegistry(store: Store, box: SecretBox, actor: Actor, c: ConnectorRow, queueScan: QueueScan, opts: { now?: Date; defaults?: RegistryOptions } = {}): Promise<RegistrySyncResult> {
  const at = (opts.now ?? new Date()).toISOString();
  const settings = storedRegistrySettings(c);
  const client = registryClientOptions(settings, storedRegistryAuth(box, c), opts.defaults);
  const repos = await selectedRepositories(settings, client);
  const errors: RegistrySyncResult['errors'] = [];
  const images: DiscoveredImage[] = [];
  let tagCount = 0;
  for (const repo of repos) {
    try {
      const tags = (await listTags(settings.host, repo, client, { max: settings.maxTagsPerRepository })).filter((t) => matchesPatterns(t, settings.tags));
      const byDigest = new Map<string, DiscoveredImage>();
      for (const tag of tags) {
        const digest = await manifestDigest(settings.host, repo, tag, client);
        tagCount++;
        const img = byDigest.get(digest) ?? { repository: repo, digest, tags: [] };
        img.tags.push(tag);
        byDigest.set(digest, img);
      }
      images.push(...byDigest.values());
    } catch (e) {
      errors.push({ repository: repo, message: message(e) });
    }
  }

  const toQueue: DiscoveredImage[] = [];
  for (const img of images) {
    const ref = await store.getImageReference(`${settings.host}/${img.repository}@${img.digest}`);
    if (!ref || ref.status !== 'ok' || !ref.digest || !(await store.getImageScan(ref.digest))) toQueue.push(img);
  }

  const result = await store.transaction(async (tx) => {
    const assets = [
      { connectorId: c.id, type: 'registry', key: settings.host, attributes: { url: settings.url, host: settings.host } },
      ...repos.map((r) => ({ connectorId: c.id, type: 'repository', key: `${settings.host}/${r}`, attributes: { registry: settings.host, name: r } })),
      ...images.map((i) => ({
        connectorId: c.id,
        type: 'image',
        key: `${settings.host}/${i.repository}@${i.digest}`,
        attributes: { reference: `${settings.host}/${i.repository}@${i.digest}`, repository: `${settings.host}/${i.repository}`, digest: i.digest, tags: i.tags.sort() },
      })),
    ];
    const rows = await tx.upsertAssets(assets, at);
    const id = new Map(rows.map((r) => [`${r.type}\u0000${r.key}`, r.id]));
    const relations: AssetRelationRow[] = [
      ...repos.map((r) => ({ fromAsset: id.get(`registry\u0000${settings.host}`)!, toAsset: id.get(`repository\u0000${settings.host}/${r}`)!, kind: 'contains' })),
      ...images.map((i) => ({ fromAsset: id.get(`repository\u0000${settings.host}/${i.repository}`)!, toAsset: id.get(`image\u0000${settings.host}/${i.repository}@${i.digest}`)!, kind: 'contains' })),
    ];
    await tx.putRelations(relations);
    const out: RegistrySyncResult = { connectorId: c.id, at, repositories: repos.length, tags: tagCount, images: images.length, queued: toQueue.length, errors };
    const cur = (await tx.getConnector(c.id)) ?? c;
    const { errors: errs, ...summary } = out;
    await tx.updateConnector(c.id, { config: { ...cur.config, lastSync: { ...summary, ok: true, errors: errs.length } } });
    await tx.appendAudit({ actor: actor.name, action: 'connector.sync', target: `connector:${c.id}`, source: actor.source, before: null, after: { ...summary, errors: errs.length } });
    return out;
  });
  for (const img of toQueue) await queueScan(`${settings.host}/${img.repository}@${img.digest}`, img.tags.map((t) => `${settings.host}/${img.repository}:${t}`));
  return result;
}
