import { PalisadeError } from '../../model/errors.js';
import { parseReference } from './reference.js';
import { RegistryClient } from './registry.js';
import type { RegistryOptions } from './types.js';

/** Catalog and tag lists are small JSON documents; a page larger than this is refused. */
const MAX_LIST_BYTES = 8 * 1024 * 1024;

/** The `rel="next"` target of a `Link` header (`</v2/_catalog?last=b&n=100>; rel="next"`), as a path with its query. */
export function nextLink(link: string | undefined): string | undefined {
  if (!link) return undefined;
  for (const part of link.split(',')) {
    const m = /<([^>]+)>\s*;(?:[^;]*;)*\s*rel="?next"?/i.exec(part.trim());
    if (m) {
      const u = new URL(m[1], 'http://registry.invalid');
      return `${u.pathname}${u.search}`;
    }
  }
  return undefined;
}

function clientFor(host: string, repository: string, opts: RegistryOptions): RegistryClient {
  return new RegistryClient(parseReference(`${host}/${repository}`), { dockerConfig: false, ...opts }, () => undefined);
}

function parseList<T>(body: Buffer, what: string, pick: (doc: Record<string, unknown>) => unknown): T[] {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
  } catch {
    throw new PalisadeError('E_IMAGE_FORMAT', `${what}: the answer is not JSON`);
  }
  const list = pick(doc);
  if (list === null || list === undefined) return [];
  if (!Array.isArray(list) || list.some((x) => typeof x !== 'string')) throw new PalisadeError('E_IMAGE_FORMAT', `${what}: the answer holds no list of names`);
  return list as T[];
}

/**
 * Walks a paged list of the distribution API: `n` per page, the next page from the `Link` header, else
 * `last=<last name>` while full pages come back (registries that page without a Link header).
 */
async function pagedList(client: RegistryClient, first: string, what: string, pick: (doc: Record<string, unknown>) => unknown, opts: { pageSize: number; max: number }): Promise<string[]> {
  const out: string[] = [];
  const seen = new Set<string>();
  let path: string | undefined = `${first}?n=${opts.pageSize}`;
  while (path) {
    const page: { body: Buffer; link?: string } = await client.apiDocument(path, MAX_LIST_BYTES);
    const { body, link } = page;
    const names: string[] = parseList<string>(body, `${what} ${path}`, pick);
    let added = 0;
    for (const n of names) {
      if (seen.has(n)) continue;
      seen.add(n);
      out.push(n);
      added++;
      if (out.length >= opts.max) return out;
    }
    const next = nextLink(link);
    if (next) path = next;
    else if (names.length >= opts.pageSize && added > 0) path = `${first}?n=${opts.pageSize}&last=${encodeURIComponent(names[names.length - 1])}`;
    else path = undefined;
  }
  return out;
}

/** Paging of catalog and tag lists. */
export interface ListOptions {
  /** Names asked for per page (`n`, default 100). */
  pageSize?: number;
  /** Stop after this many names (default 100,000). */
  max?: number;
}

/** Every repository of a registry's catalog (`GET /v2/_catalog`, paged). */
export async function listRepositories(host: string, opts: RegistryOptions, list: ListOptions = {}): Promise<string[]> {
  const client = clientFor(host, 'catalog', opts);
  try {
    return await pagedList(client, '/v2/_catalog', `catalog of ${host}`, (d) => d.repositories, { pageSize: list.pageSize ?? 100, max: list.max ?? 100_000 });
  } finally {
    client.close();
  }
}

/** Every tag of one repository (`GET /v2/<repository>/tags/list`, paged). */
export async function listTags(host: string, repository: string, opts: RegistryOptions, list: ListOptions = {}): Promise<string[]> {
  const client = clientFor(host, repository, opts);
  try {
    return await pagedList(client, `/v2/${repository}/tags/list`, `tags of ${host}/${repository}`, (d) => d.tags, { pageSize: list.pageSize ?? 100, max: list.max ?? 100_000 });
  } finally {
    client.close();
  }
}

/** The digest of the manifest (or index) a tag points at now, without reading any layer. */
export async function manifestDigest(host: string, repository: string, tag: string, opts: RegistryOptions): Promise<string> {
  const client = clientFor(host, repository, opts);
  try {
    return (await client.manifest(tag, 4 * 1024 * 1024)).digest;
  } finally {
    client.close();
  }
}
