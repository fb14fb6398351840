import type { Package } from '../../model/package.js';
import type { Analyzer, AnalyzerError, AnalyzerFile, AnalyzerResult } from './analyzer.js';
import { purl } from './support/purl.js';
import { baseName, dirName } from './support/text.js';

/** `.../node_modules/name/package.json` or `.../node_modules/@scope/name/package.json`. */
const INSTALLED = /\/node_modules\/(?:@[^/]+\/)?[^/@][^/]*\/package\.json$/;

/**
 * Installed npm packages. The primary source is what is on disk: every `package.json` directly inside a
 * `node_modules/<name>/` or `node_modules/@scope/<name>/` folder, at any depth (nested copies are separate
 * installed versions). `package-lock.json` (lockfile versions 1, 2 and 3) and `yarn.lock` (v1 and Berry)
 * are read only where no `node_modules` was found beside them, as for an image that copied the lockfile
 * but installed elsewhere; development dependencies (`"dev": true`) in a package-lock are left out, as
 * `npm ci --omit=dev` leaves them out. Lockfiles inside `node_modules` belong to the dependencies' own
 * development and are ignored.
 */
export const npm = {
  id: 'npm',
  version: 1,
  kind: 'language',
  description: 'npm packages from node_modules/*/package.json, else package-lock.json or yarn.lock.',
  wants(path: string): boolean {
    if (path.endsWith('/package.json')) return INSTALLED.test(path);
    if (path.endsWith('/package-lock.json') || path.endsWith('/yarn.lock')) return !path.includes('/node_modules/');
    return false;
  },
  analyze(files: ReadonlyArray<AnalyzerFile>): AnalyzerResult {
    const packages: Package[] = [];
    const errors: AnalyzerError[] = [];
    // Project folders that have an installed node_modules: `/app` for `/app/node_modules/x/package.json`.
    const installedRoots = new Set<string>();
    for (const f of files) {
      if (baseName(f.path) !== 'package.json') continue;
      const i = f.path.indexOf('/node_modules/');
      installedRoots.add(f.path.slice(0, i));
      const json = parseJson(f, errors);
      if (!json) continue;
      const name = str(json.name);
      const version = str(json.version);
      if (!name || !version) continue; // a stub folder, or a package.json without a version
      packages.push(npmPackage(name, version, f, licensesOf(json)));
    }
    for (const f of files) {
      const base = baseName(f.path);
      if (base === 'package.json' || installedRoots.has(dirName(f.path))) continue;
      if (base === 'package-lock.json') {
        const json = parseJson(f, errors);
        if (json) packages.push(...fromPackageLock(json, f, errors));
      } else if (base === 'yarn.lock') {
        packages.push(...fromYarnLock(f.content.toString('utf8'), f));
      }
    }
    return { packages, errors };
  },
} satisfies Analyzer;

type Json = Record<string, unknown>;

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
}

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseJson(f: AnalyzerFile, errors: AnalyzerError[]): Json | undefined {
  try {
    const v: unknown = JSON.parse(f.content.toString('utf8').replace(/^\uFEFF/, ''));
    if (isObject(v)) return v;
    errors.push({ path: f.path, message: 'not a JSON object' });
  } catch (e) {
    errors.push({ path: f.path, message: `invalid JSON: ${(e as Error).message}` });
  }
  return undefined;
}

/** `license` as a string or `{ type }`, or the deprecated `licenses` array. */
function licensesOf(json: Json): string[] | undefined {
  const one = (v: unknown): string | undefined => str(v) ?? (isObject(v) ? str(v.type) : undefined);
  const l = one(json.license);
  if (l) return [l];
  if (Array.isArray(json.licenses)) {
    const all = json.licenses.map(one).filter((x): x is string => !!x);
    return all.length ? all : undefined;
  }
  return undefined;
}

function npmPackage(name: string, version: string, f: AnalyzerFile, licenses?: string[]): Package {
  const slash = name.startsWith('@') ? name.indexOf('/') : -1;
  return {
    ecosystem: 'npm',
    scheme: 'semver',
    name,
    version,
    purl: slash > 0 ? purl('npm', name.slice(0, slash), name.slice(slash + 1), version) : purl('npm', undefined, name, version),
    filePath: f.path,
    licenses,
    layer: f.layer,
  };
}

/** The package name from a lockfile v2/v3 `packages` key (`node_modules/a/node_modules/@s/b` -> `@s/b`). */
function nameFromLockPath(key: string): string | undefined {
  const i = key.lastIndexOf('node_modules/');
  return i < 0 ? undefined : key.slice(i + 'node_modules/'.length);
}

function fromPackageLock(json: Json, f: AnalyzerFile, errors: AnalyzerError[]): Package[] {
  const out: Package[] = [];
  const seen = new Set<string>();
  const add = (name: string, version: string): void => {
    // Aliases (`npm:other@1.0.0`), links and tarball/git specs are not registry versions.
    if (!/^\d/.test(version)) return;
    const key = `${name}@${version}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push(npmPackage(name, version, f));
  };
  if (isObject(json.packages)) {
    // Lockfile v2 and v3: a flat map keyed by install path; "" is the project itself.
    for (const [key, entry] of Object.entries(json.packages)) {
      // Keys outside node_modules are the project and its workspaces: local code, not installed packages.
      if (!key.includes('node_modules/') || !isObject(entry) || entry.dev === true || entry.link === true) continue;
      const name = str(entry.name) ?? nameFromLockPath(key);
      const version = str(entry.version);
      if (name && version) add(name, version);
    }
    return out;
  }
  if (isObject(json.dependencies)) {
    // Lockfile v1: nested `dependencies`.
    const walk = (deps: Json): void => {
      for (const [name, entry] of Object.entries(deps)) {
        if (!isObject(entry)) continue;
        const version = str(entry.version);
        if (version && entry.dev !== true) add(name, version);
        if (isObject(entry.dependencies)) walk(entry.dependencies);
      }
    };
    walk(json.dependencies);
    return out;
  }
  errors.push({ path: f.path, message: 'package-lock.json has neither "packages" nor "dependencies"' });
  return out;
}

/**
 * yarn.lock, classic (v1: `name@range, name@range2:` then an indented `version "1.2.3"`) and Berry (YAML:
 * `"name@npm:^1.0.0":` then `  version: 1.2.3`). Workspace and patch entries of Berry are skipped.
 */
function fromYarnLock(text: string, f: AnalyzerFile): Package[] {
  const out: Package[] = [];
  const seen = new Set<string>();
  let name: string | undefined;
  for (const line of text.split(/\r?\n/)) {
    if (line === '' || line.startsWith('#')) continue;
    if (!line.startsWith(' ')) {
      name = undefined;
      if (!line.endsWith(':') || line.startsWith('__metadata')) continue;
      // The first of the comma-separated specs: `"@babel/core@^7.0.0", "@babel/core@^7.1.0":`.
      const spec = line.slice(0, -1).split(',')[0].trim().replace(/^"|"$/g, '');
      if (/@(?:workspace|patch|link|portal|file):/.test(spec)) continue;
      const at = spec.indexOf('@', 1);
      name = at > 0 ? spec.slice(0, at) : undefined;
      continue;
    }
    const m = /^ {2}version:? "?([^"\s]+)"?\s*$/.exec(line);
    if (m && name) {
      const key = `${name}@${m[1]}`;
      if (!seen.has(key) && /^\d/.test(m[1])) {
        seen.add(key);
        out.push(npmPackage(name, m[1], f));
      }
      name = undefined;
    }
  }
  return out;
}
