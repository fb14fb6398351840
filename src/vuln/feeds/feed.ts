import type { AffectedPackage, DataSource, VulnerabilityRecord } from '../../model/advisory.js';

/**
 * An advisory feed: one public source (OSV, a distribution's security tracker) turned into advisory rows.
 * Feeds are pure: they name the documents they need and parse bytes that the caller fetched. The caller
 * (`src/app/db.ts`) downloads, verifies and stores.
 */

/** How a document is packed; the caller checks the bytes accordingly before they reach `parse`. */
export type FeedDocumentFormat = 'zip' | 'json';

/** One document of a feed: the unit of download and of replacement in the database. */
export interface FeedDocument {
  /** Stable key, unique within the feed (`npm`, `v3.19/main`, `tracker`). */
  key: string;
  /** Path relative to the feed's base, `/`-separated and not URL-encoded (`Red Hat/all.zip`). */
  path: string;
  /** Where to read it: `base` joined with `path` (a URL, or a file path for a local mirror). */
  location: string;
  format: FeedDocumentFormat;
  /** The data source the rows of this document belong to; `AffectedPackage.source` is its id. */
  source: DataSource;
}

/** A problem with one entry of a document (one OSV record, one CVE of one package); the rest still imports. */
export interface FeedEntryError {
  /** Document key. */
  document: string;
  /** The entry: an OSV id or zip entry name, `<package>/<CVE>` for trackers. */
  entry: string;
  message: string;
}

/** What a feed made of one document. */
export interface FeedParseResult {
  vulnerabilities: VulnerabilityRecord[];
  affected: AffectedPackage[];
  /** Entries that were skipped because they did not validate; each names the document and the entry. */
  errors: FeedEntryError[];
  /**
   * Set when the document as a whole is unusable (not a zip, a CRC mismatch, not JSON, wrong top-level
   * shape): nothing of it may be imported, so the rows it had before stay.
   */
  documentError?: string;
  /** Entries left out on purpose (withdrawn, out-of-scope releases), for the summary. */
  skipped: number;
}

/** One advisory feed, as listed in `index.ts`. */
export interface Feed {
  /** Stable kebab-case id, equal to the file name; also the folder of this feed in a mirror. */
  id: string;
  name: string;
  homepage: string;
  /** Base the documents are fetched from when no mirror is given (ends with `/`). */
  defaultBase: string;
  /** The documents the feed needs, located under `base` (a URL, or a local mirror folder). */
  documents(base?: string): FeedDocument[];
  /** Parses one document. Never throws for bad input: problems come back as `errors` or `documentError`. */
  parse(documentKey: string, bytes: Uint8Array): FeedParseResult;
}

/** True for `http:` and `https:` bases. */
export function isUrl(base: string): boolean {
  return /^https?:\/\//i.test(base);
}

/**
 * `base` joined with a relative `path`. URLs get each path segment percent-encoded (`Red%20Hat/all.zip`);
 * local folders keep the names as they are on disk.
 */
export function joinLocation(base: string, path: string): string {
  const b = base.endsWith('/') || base.endsWith('\\') ? base : `${base}/`;
  if (!isUrl(base)) return b + path;
  return b + path.split('/').map(encodeURIComponent).join('/');
}

/** An empty result carrying a document-level error. */
export function documentFailure(message: string): FeedParseResult {
  return { vulnerabilities: [], affected: [], errors: [], skipped: 0, documentError: message };
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Parses JSON bytes, or says why not (with the position where `JSON.parse` stopped). */
export function parseJsonDocument(bytes: Uint8Array): { ok: true; value: unknown } | { ok: false; message: string } {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return { ok: false, message: 'not UTF-8 text' };
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (e) {
    return { ok: false, message: `not valid JSON: ${(e as Error).message}` };
  }
}

/** A zod issue list as one line: `releases.bookworm.status: Invalid option ...`. */
export function describeIssues(issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>): string {
  return issues
    .slice(0, 3)
    .map((i) => (i.path.length ? `${i.path.map(String).join('.')}: ${i.message}` : i.message))
    .join('; ');
}
