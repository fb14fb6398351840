import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { PalisadeError } from '../../model/errors.js';

/** One challenge of a `WWW-Authenticate` header. */
export interface Challenge {
  /** Lower-case scheme (`bearer`, `basic`). */
  scheme: string;
  params: Record<string, string>;
}

/**
 * Parses `WWW-Authenticate` (RFC 7235): one or more challenges, each a scheme followed by comma-separated
 * `key=value` or `key="quoted \"value\""` parameters. Parameter names are lower-cased.
 */
export function parseWwwAuthenticate(header: string): Challenge[] {
  const out: Challenge[] = [];
  let i = 0;
  const n = header.length;
  const skipSpace = (): void => {
    while (i < n && (header[i] === ' ' || header[i] === '\t')) i++;
  };
  const token = (): string => {
    const start = i;
    while (i < n && /[!#$%&'*+.^_`|~0-9A-Za-z-]/.test(header[i])) i++;
    return header.slice(start, i);
  };
  let current: Challenge | undefined;
  while (i < n) {
    skipSpace();
    if (header[i] === ',') {
      i++;
      continue;
    }
    const start = i;
    const name = token();
    if (name === '') {
      i++;
      continue;
    }
    skipSpace();
    if (header[i] === '=' && current) {
      i++;
      skipSpace();
      let value = '';
      if (header[i] === '"') {
        i++;
        while (i < n && header[i] !== '"') {
          if (header[i] === '\\' && i + 1 < n) i++;
          value += header[i++];
        }
        i++;
      } else {
        const vs = i;
        while (i < n && header[i] !== ',') i++;
        value = header.slice(vs, i).trim();
      }
      current.params[name.toLowerCase()] = value;
    } else if (header[i] === '=' && !current) {
      // A parameter before any scheme: malformed; skip it.
      while (i < n && header[i] !== ',') i++;
    } else {
      current = { scheme: header.slice(start, start + name.length).toLowerCase(), params: {} };
      out.push(current);
    }
  }
  return out;
}

/** User name and password for one registry. */
export interface Credentials {
  username: string;
  password: string;
}

const dockerConfigSchema = z.looseObject({
  auths: z.record(z.string(), z.looseObject({
    auth: z.string().optional(),
    username: z.string().optional(),
    password: z.string().optional(),
    identitytoken: z.string().optional(),
  })).optional(),
  credHelpers: z.record(z.string(), z.string()).optional(),
  credsStore: z.string().optional(),
});

const HUB_ALIASES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io', 'registry.hub.docker.com']);

/** The registry host a Docker config key names (`https://index.docker.io/v1/` is `docker.io`). */
export function configKeyHost(key: string): string {
  const host = key.replace(/^[a-z]+:\/\//i, '').split('/')[0].toLowerCase();
  return HUB_ALIASES.has(host) ? 'docker.io' : host;
}

/** Where the Docker client keeps its config. */
export function defaultDockerConfigPath(): string {
  const dir = process.env.DOCKER_CONFIG || join(homedir(), '.docker');
  return join(dir, 'config.json');
}

/**
 * Looks up credentials for `domain` in a Docker client config (`auths` entries with `auth` = base64
 * `user:password`, or `username`/`password`). A missing file means no credentials; an unreadable or
 * malformed one is an error, since silently pulling anonymously would hide the problem. Credential helpers
 * are not run; a warning says so when one is configured for the host.
 */
export async function dockerConfigCredentials(domain: string, path: string, warn: (m: string) => void): Promise<Credentials | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new PalisadeError('E_IMAGE_AUTH', `cannot read Docker config ${path}: ${(e as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new PalisadeError('E_IMAGE_AUTH', `Docker config ${path} is not valid JSON: ${(e as Error).message}`);
  }
  const r = dockerConfigSchema.safeParse(doc);
  if (!r.success) throw new PalisadeError('E_IMAGE_AUTH', `Docker config ${path} is malformed: ${r.error.issues[0].message}`);
  const want = configKeyHost(domain);
  for (const [key, entry] of Object.entries(r.data.auths ?? {})) {
    if (configKeyHost(key) !== want) continue;
    if (entry.auth) {
      const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon < 0) throw new PalisadeError('E_IMAGE_AUTH', `Docker config ${path}: auths["${key}"].auth is not base64 of user:password`);
      return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
    }
    if (entry.username !== undefined && entry.password !== undefined) return { username: entry.username, password: entry.password };
    if (entry.identitytoken) warn(`Docker config ${path}: auths["${key}"] holds an identity token, which is not supported; pass a user name and password instead`);
  }
  const helper = Object.entries(r.data.credHelpers ?? {}).find(([k]) => configKeyHost(k) === want)?.[1] ?? r.data.credsStore;
  if (helper) warn(`Docker config ${path}: credentials for ${domain} may be in the "${helper}" credential helper, which Palisade does not run; pass a user name and password instead`);
  return undefined;
}
