/**
 * Builds a feed mirror folder (`<dir>/<feed id>/<document path>`) from the hand-written documents in
 * src/vuln/feeds/__fixtures__: OSV records are zipped per ecosystem into `all.zip`, as OSV.dev publishes
 * them. Documents without a fixture get an empty but valid document, so the whole document list of every
 * feed can be served.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { zipSync } from 'fflate';
import type { VulnDbStore, VulnDbWriter } from '../../src/app/db.js';
import type { AffectedPackage, DataSource, FeedDocumentState, VulnerabilityRecord } from '../../src/model/advisory.js';
import { FEEDS } from '../../src/vuln/feeds/index.js';

export const FEED_FIXTURES = join(import.meta.dirname, '../../src/vuln/feeds/__fixtures__');

/** The zip OSV would publish for the records in `__fixtures__/osv/<ecosystem>/`, or an empty archive. */
export function osvArchive(ecosystem: string): Uint8Array {
  const dir = join(FEED_FIXTURES, 'osv', ecosystem);
  const files: Record<string, Uint8Array> = {};
  if (existsSync(dir)) for (const f of readdirSync(dir).sort()) files[f.replace(/^(R[HL]SA-\d{4})-/, '$1:')] = readFileSync(join(dir, f));
  return zipSync(files);
}

/** Bytes of one document as the mirror serves it. */
export function fixtureDocument(feedId: string, path: string): Uint8Array {
  if (feedId === 'osv') return osvArchive(path.replace(/\/all\.zip$/, ''));
  const file = join(FEED_FIXTURES, feedId, path);
  if (existsSync(file)) return readFileSync(file);
  if (feedId === 'alpine-secdb') {
    const [branch, repo] = path.replace(/\.json$/, '').split('/');
    return Buffer.from(JSON.stringify({ distroversion: branch, reponame: repo, packages: [] }));
  }
  if (feedId === 'debian-tracker') return Buffer.from('{}');
  throw new Error(`no fixture for ${feedId}/${path}`);
}

/** Writes every document of every feed (or of `feeds`) under `dir`; returns the relative paths written. */
export function writeFeedMirror(dir: string, feeds: string[] = FEEDS.map((f) => f.id)): string[] {
  const written: string[] = [];
  for (const feed of FEEDS.filter((f) => feeds.includes(f.id))) {
    for (const doc of feed.documents()) {
      const rel = `${feed.id}/${doc.path}`;
      const target = join(dir, rel);
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, fixtureDocument(feed.id, doc.path));
      written.push(rel);
    }
  }
  return written;
}

/** An in-memory database with the writer's contract: a document's rows and state are replaced together. */
export class MemoryVulnDb implements VulnDbWriter {
  docs = new Map<string, { source: DataSource; key: string; state: FeedDocumentState; vulnerabilities: VulnerabilityRecord[]; affected: AffectedPackage[] }>();
  replaced: string[] = [];
  touched: string[] = [];
  closed = 0;
  documentState(source: string, key: string): FeedDocumentState | undefined {
    return this.docs.get(`${source} ${key}`)?.state;
  }
  replaceDocument(source: DataSource, key: string, state: FeedDocumentState, rows: { vulnerabilities: VulnerabilityRecord[]; affected: AffectedPackage[] }): void {
    this.docs.set(`${source.id} ${key}`, { source, key, state, ...rows });
    this.replaced.push(`${source.id} ${key}`);
  }
  touchDocument(source: string, key: string, state: FeedDocumentState): void {
    const d = this.docs.get(`${source} ${key}`);
    if (d) d.state = state;
    this.touched.push(`${source} ${key}`);
  }
  close(): void {
    this.closed++;
  }
  affected(namespace: string, pkg: string): AffectedPackage[] {
    return [...this.docs.values()].flatMap((d) => d.affected).filter((a) => a.namespace === namespace && a.package === pkg);
  }
}

export function memoryVulnDbStore(db: MemoryVulnDb): VulnDbStore {
  return {
    defaultPath: () => '/unused',
    openWriter: () => db,
    status: (path) => {
      const docs = [...db.docs.values()];
      const ids = [...new Set(docs.map((d) => d.source.id))].sort();
      const sources = ids.map((id) => {
        const own = docs.filter((d) => d.source.id === id);
        return {
          ...own[0].source,
          documents: own.length,
          vulnerabilities: own.reduce((n, d) => n + d.vulnerabilities.length, 0),
          affected: own.reduce((n, d) => n + d.affected.length, 0),
          lastImport: own.map((d) => d.state.importedAt).sort().at(-1),
        };
      });
      const updatedAt = docs.map((d) => d.state.importedAt).sort().at(-1);
      return {
        path,
        schemaVersion: 1,
        ...(updatedAt ? { updatedAt } : {}),
        sources,
        documents: docs.map((d) => ({ source: d.source.id, documentKey: d.key, ...d.state })),
        totals: {
          sources: sources.length,
          documents: docs.length,
          vulnerabilities: new Set(docs.flatMap((d) => d.vulnerabilities.map((v) => v.id))).size,
          affected: docs.reduce((n, d) => n + d.affected.length, 0),
        },
        fileSize: 0,
      };
    },
    exportTo: () => undefined,
    importFrom: () => undefined,
  };
}
