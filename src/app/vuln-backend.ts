import { existsSync } from 'node:fs';
import type { AdvisoryLookup, DataSource, DetectedVulnerability } from '../model/advisory.js';
import { PalisadeError } from '../model/errors.js';
import type { OsInfo, Package } from '../model/package.js';
import type { VulnBackend, VulnDatabase } from './scan-image.js';

/** What `src/storage/vulndb` provides. */
interface StoreModule {
  defaultVulnDbPath(): string;
  openVulnDb(path: string, opts: { readonly: boolean }): AdvisoryLookup & { status(): unknown; close(): void };
}

/** What `src/vuln/match` provides. */
interface MatcherModule {
  matchPackages(os: OsInfo | undefined, packages: Package[], lookup: AdvisoryLookup, opts?: { now?: Date }): { vulnerabilities: DetectedVulnerability[]; notes: string[] };
}

// Loaded by path when an image is scanned, so that manifest scans never load SQLite.
const STORE_MODULE = '../storage/vulndb/index.js';
const MATCHER_MODULE = '../vuln/match/index.js';

function isoTime(v: unknown): string | undefined {
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? undefined : v.toISOString();
  if (typeof v === 'string' && !Number.isNaN(Date.parse(v))) return new Date(Date.parse(v)).toISOString();
  return undefined;
}

/** The last update time and the sources from the store's `status()`. */
function readStatus(status: unknown): { updatedAt?: string; sources: DataSource[] } {
  const s = (status ?? {}) as Record<string, unknown>;
  const updatedAt = isoTime(s.updatedAt) ?? isoTime(s.lastUpdated) ?? isoTime(s.lastUpdate) ?? isoTime(s.updated);
  const sources: DataSource[] = [];
  for (const x of Array.isArray(s.sources) ? s.sources : []) {
    const src = (x && typeof x === 'object' && 'source' in x ? (x as { source: unknown }).source : x) as Partial<DataSource> | undefined;
    if (src && typeof src.id === 'string') sources.push({ id: src.id, name: src.name ?? src.id, url: src.url ?? '' });
  }
  return { updatedAt, sources };
}

/** The SQLite vulnerability database and the matcher, as `scanImage` uses them. */
export async function loadVulnBackend(): Promise<VulnBackend> {
  const store = (await import(STORE_MODULE)) as StoreModule;
  const matcher = (await import(MATCHER_MODULE)) as MatcherModule;
  return {
    defaultDbPath: () => store.defaultVulnDbPath(),
    openDb(path: string): VulnDatabase {
      if (!existsSync(path)) {
        throw new PalisadeError('E_VULN_DB_MISSING', `no vulnerability database at ${path}: run \`palisade db update\` (or \`palisade db import <file>\`)`);
      }
      const db = store.openVulnDb(path, { readonly: true });
      const status = readStatus(db.status());
      return {
        affected: (ns, pkg) => db.affected(ns, pkg),
        vulnerability: (id) => db.vulnerability(id),
        dataSource: (id) => db.dataSource(id),
        updatedAt: () => status.updatedAt,
        sources: () => status.sources,
        close: () => db.close(),
      };
    },
    match: (os, packages, lookup, opts) => matcher.matchPackages(os, packages, lookup, opts),
  };
}
