import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { AdvisoryWriter, FeedDocumentState } from '../model/advisory.js';
import { PalisadeError } from '../model/errors.js';
import { defaultVulnDbPath, importVulnDb, openVulnDb, type VulnDb, type VulnDbStatus } from '../storage/vulndb/index.js';
import { FEEDS, isUrl, type Feed, type FeedDocument, type FeedEntryError } from '../vuln/feeds/index.js';
import { toolVersion } from './content.js';

/**
 * `palisade db update`: fetch every document of the advisory feeds, and replace in the database the rows of
 * those that changed. A document is the unit of work: it is downloaded (resuming a partial download),
 * verified, parsed and written in one transaction, or it fails alone and keeps the rows it had.
 */

export type { VulnDbStatus };

/** The database as `db update` writes it. */
export interface VulnDbWriter extends AdvisoryWriter {
  /**
   * Records new ETag / Last-Modified for a document whose bytes did not change, so the next update can ask
   * with them; optional because the rows need not be touched.
   */
  touchDocument?(source: string, documentKey: string, state: FeedDocumentState): void;
  close(): void;
}

/** Where the database lives and how it is opened; tests give an in-memory one. */
export interface VulnDbStore {
  defaultPath(): string;
  /** Opens (creating when asked) the database at `path` for writing. */
  openWriter(path: string): VulnDbWriter;
  status(path: string): VulnDbStatus;
  exportTo(path: string, file: string): void;
  importFrom(file: string, path: string): void;
}

/** What happened to one document. */
export type DocumentResult = 'imported' | 'not-modified' | 'unchanged' | 'failed';

export interface DocumentOutcome {
  feed: string;
  document: string;
  /** Data source id of its rows (`osv:npm`). */
  source: string;
  location: string;
  result: DocumentResult;
  /** Size of the document, when its bytes were read. */
  bytes?: number;
  /** Bytes that a previous, interrupted download had already fetched (HTTP Range). */
  resumedFrom?: number;
  vulnerabilities?: number;
  affected?: number;
  /** Entries left out on purpose (withdrawn, out-of-scope releases). */
  skipped?: number;
  /** Entries that did not validate; the rest of the document was imported. */
  entryErrors: FeedEntryError[];
  /** Why the document failed. */
  message?: string;
  /** Requests made (1 unless retried). */
  attempts: number;
}

export interface UpdateResult {
  dbPath: string;
  documents: DocumentOutcome[];
  /** Documents that failed; their previous rows stay. */
  failed: number;
}

/** Progress of an update, for a progress line. */
export type UpdateProgress =
  | { phase: 'document'; feed: string; document: string; index: number; total: number }
  | { phase: 'download'; feed: string; document: string; received: number; totalBytes?: number }
  | { phase: 'retry'; feed: string; document: string; attempt: number; delayMs: number; reason: string }
  | { phase: 'import'; feed: string; document: string }
  | { phase: 'done'; outcome: DocumentOutcome };

export interface UpdateVulnDbOptions {
  /** The database (default: the store's default path). */
  dbPath?: string;
  /**
   * A mirror: an `http(s)://` base URL or a local folder holding `<feed id>/<document path>` (for example
   * `osv/npm/all.zip`, `debian-tracker/json`, `alpine-secdb/v3.19/main.json`). Default: each feed's upstream.
   */
  source?: string;
  /** Feed ids to update (default: all). */
  feeds?: string[];
  fetch?: typeof globalThis.fetch;
  onProgress?: (p: UpdateProgress) => void;
  /** Retries after a 5xx, 429, timeout or broken connection (default 4). */
  retries?: number;
  /** First retry delay; doubles each time (default 1 s). */
  retryDelayMs?: number;
  /** A response silent for this long is abandoned and retried (default 60 s). */
  timeoutMs?: number;
  store?: VulnDbStore;
  now?: () => Date;
}

/** A failure that a retry may cure: a 5xx, a timeout, a connection that broke mid-body. */
class TransientError extends Error {}

/** What a download produced. */
type Fetched =
  | { kind: 'not-modified' }
  | { kind: 'bytes'; bytes: Buffer; etag?: string; lastModified?: string; resumedFrom?: number };

/** What the sidecar of a partial download remembers, so a resume never splices two versions of a file. */
interface PartMeta {
  url: string;
  etag?: string;
  lastModified?: string;
  /** Full length, when the server said it. */
  length?: number;
  /** Checksums the server published for the whole file (base64 MD5 from `x-goog-hash`/`Content-MD5`, hex SHA-256 from `Repr-Digest`). */
  md5?: string;
  sha256?: string;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function sha256(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** The feeds to update, in registry order; unknown ids are a usage error naming the known ones. */
export function selectFeeds(ids: string[] | undefined): Feed[] {
  if (!ids || ids.length === 0) return [...FEEDS];
  const wanted = ids.flatMap((i) => i.split(',')).map((i) => i.trim()).filter(Boolean);
  for (const id of wanted) {
    if (!FEEDS.some((f) => f.id === id)) throw new PalisadeError('E_USAGE', `--feed: unknown feed "${id}" (known: ${FEEDS.map((f) => f.id).join(', ')})`);
  }
  return FEEDS.filter((f) => wanted.includes(f.id));
}

/** Where a feed's documents come from: its upstream, or `<mirror>/<feed id>/`. */
function feedBase(feed: Feed, source: string | undefined): string {
  if (!source) return feed.defaultBase;
  if (isUrl(source)) return `${source.replace(/\/+$/, '')}/${encodeURIComponent(feed.id)}/`;
  return join(resolve(source), feed.id);
}

/** Checksums the server publishes for the whole object, from the response headers. */
function publishedChecksums(h: Headers): Pick<PartMeta, 'md5' | 'sha256'> {
  const out: Pick<PartMeta, 'md5' | 'sha256'> = {};
  // Google Cloud Storage (OSV's bucket): `x-goog-hash: crc32c=..., md5=...`, for the whole object even on a 206.
  const goog = h.get('x-goog-hash');
  const md5 = goog ? /(?:^|,)\s*md5=([A-Za-z0-9+/=]+)/.exec(goog)?.[1] : undefined;
  if (md5) out.md5 = md5;
  else if (h.get('content-md5')) out.md5 = h.get('content-md5')!.trim();
  // RFC 9530: `Repr-Digest: sha-256=:<base64>:`.
  const repr = /sha-256=:([A-Za-z0-9+/=]+):/.exec(h.get('repr-digest') ?? '')?.[1];
  if (repr) out.sha256 = Buffer.from(repr, 'base64').toString('hex');
  return out;
}

/** Compares a finished download with the checksums its server published; a mismatch is worth one more try. */
function checkPublished(bytes: Buffer, meta: PartMeta): void {
  if (meta.md5) {
    const got = createHash('md5').update(bytes).digest('base64');
    if (got !== meta.md5) throw new TransientError(`MD5 ${got} differs from the ${meta.md5} the server published`);
  }
  if (meta.sha256) {
    const got = createHash('sha256').update(bytes).digest('hex');
    if (got !== meta.sha256) throw new TransientError(`SHA-256 ${got} differs from the ${meta.sha256} the server published`);
  }
}

/** A file name for a document's partial download (`osv--red-hat.part`). */
function partName(feed: Feed, doc: FeedDocument): string {
  return `${feed.id}--${doc.key.replace(/[^A-Za-z0-9._-]+/g, '_')}.part`;
}

function readMeta(file: string): PartMeta | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as PartMeta;
  } catch {
    return undefined;
  }
}

function removePart(part: string): void {
  rmSync(part, { force: true });
  rmSync(`${part}.json`, { force: true });
}

/** Bits of one download shared by its attempts. */
interface DownloadContext {
  feed: Feed;
  doc: FeedDocument;
  state: FeedDocumentState | undefined;
  part: string;
  fetch: typeof globalThis.fetch;
  timeoutMs: number;
  onProgress?: (p: UpdateProgress) => void;
}

/**
 * One HTTP attempt: a conditional GET (or a Range request resuming a partial file), streamed to the `.part`
 * file. Throws `TransientError` for what a retry may cure, a plain `Error` for what it will not.
 */
async function attemptDownload(ctx: DownloadContext): Promise<Fetched> {
  const { doc, part, state } = ctx;
  const url = doc.location;
  const metaFile = `${part}.json`;
  let meta = readMeta(metaFile);
  let have = existsSync(part) ? statSync(part).size : 0;
  // A partial file can be resumed only if we know which version of the document it is part of.
  if (have > 0 && !(meta && meta.url === url && (meta.etag || meta.lastModified))) {
    removePart(part);
    have = 0;
    meta = undefined;
  }
  const headers: Record<string, string> = { 'accept-encoding': 'identity', 'user-agent': `palisade/${toolVersion()}` };
  if (have > 0 && meta) {
    headers.range = `bytes=${have}-`;
    // If-Range: the server sends the whole new file instead of a tail when the document changed meanwhile.
    headers['if-range'] = meta.etag ?? meta.lastModified!;
  } else if (state && state.url === url) {
    if (state.etag) headers['if-none-match'] = state.etag;
    if (state.lastModified) headers['if-modified-since'] = state.lastModified;
  }
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => controller.abort(new TransientError(`no data from ${new URL(url).host} for ${ctx.timeoutMs < 1000 ? `${ctx.timeoutMs} ms` : `${Math.round(ctx.timeoutMs / 1000)} s`}`)), ctx.timeoutMs);
  };
  arm();
  try {
    let res: Response;
    try {
      res = await ctx.fetch(url, { headers, signal: controller.signal, redirect: 'follow' });
    } catch (e) {
      throw new TransientError(networkMessage(e, controller));
    }
    if (res.status === 304) {
      await res.body?.cancel();
      return { kind: 'not-modified' };
    }
    if (res.status === 416 && have > 0) {
      // The partial file is no prefix of what the server has now: start over.
      await res.body?.cancel();
      removePart(part);
      throw new TransientError('the server refused to resume the partial download (416); starting over');
    }
    if (res.status >= 500 || res.status === 429 || res.status === 408) {
      await res.body?.cancel();
      throw new TransientError(`HTTP ${res.status} ${res.statusText}`.trim());
    }
    if (res.status !== 200 && res.status !== 206) {
      await res.body?.cancel();
      throw new Error(`HTTP ${res.status} ${res.statusText}`.trim());
    }
    let expected: number | undefined;
    let resumedFrom: number | undefined;
    const declared = res.headers.get('content-length');
    const bodyLength = declared !== null && /^\d+$/.test(declared) ? Number(declared) : undefined;
    if (res.status === 206) {
      const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(res.headers.get('content-range') ?? '');
      if (!m || Number(m[1]) !== have || have === 0) {
        await res.body?.cancel();
        removePart(part);
        throw new TransientError(`the server answered a resume with an unexpected range (${res.headers.get('content-range') ?? 'no Content-Range'}); starting over`);
      }
      expected = m[3] === '*' ? meta?.length : Number(m[3]);
      if (bodyLength !== undefined && bodyLength !== Number(m[2]) - Number(m[1]) + 1) {
        await res.body?.cancel();
        removePart(part);
        throw new TransientError(`Content-Length ${bodyLength} does not match Content-Range ${m[0]}; starting over`);
      }
      resumedFrom = have;
      meta = { ...meta!, ...publishedChecksums(res.headers), ...(expected !== undefined ? { length: expected } : {}) };
    } else {
      have = 0;
      expected = bodyLength;
      meta = {
        url,
        ...(res.headers.get('etag') ? { etag: res.headers.get('etag')! } : {}),
        ...(res.headers.get('last-modified') ? { lastModified: res.headers.get('last-modified')! } : {}),
        ...(expected !== undefined ? { length: expected } : {}),
        ...publishedChecksums(res.headers),
      };
    }
    writeFileSync(metaFile, JSON.stringify(meta));
    const fh = await open(part, res.status === 206 ? 'a' : 'w');
    let received = have;
    try {
      if (res.body) {
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          arm();
          await fh.write(chunk);
          received += chunk.length;
          ctx.onProgress?.({ phase: 'download', feed: ctx.feed.id, document: doc.key, received, totalBytes: expected });
        }
      }
    } catch (e) {
      // The bytes so far stay in the .part file; the retry resumes after them.
      throw new TransientError(`download broke off after ${received} bytes: ${networkMessage(e, controller)}`);
    } finally {
      await fh.close();
    }
    if (expected !== undefined && received !== expected) {
      if (received > expected) {
        removePart(part);
        throw new Error(`received ${received} bytes, more than the ${expected} of Content-Length`);
      }
      throw new TransientError(`download incomplete: ${received} of ${expected} bytes`);
    }
    const bytes = readFileSync(part);
    try {
      checkPublished(bytes, meta);
    } catch (e) {
      removePart(part);
      throw e;
    }
    return { kind: 'bytes', bytes, etag: meta.etag, lastModified: meta.lastModified, resumedFrom };
  } finally {
    clearTimeout(timer);
  }
}

function networkMessage(e: unknown, controller: AbortController): string {
  if (controller.signal.aborted && controller.signal.reason instanceof Error) return controller.signal.reason.message;
  const err = e as Error & { cause?: { code?: string; message?: string } };
  const cause = err.cause?.code ?? err.cause?.message;
  return cause ? `${err.message} (${cause})` : err.message;
}

/** Reads a document from a local mirror, checking a `<file>.sha256` beside it when there is one. */
function readMirrorFile(location: string): Buffer {
  if (!existsSync(location)) throw new Error('not found in the mirror');
  const bytes = readFileSync(location);
  const sumFile = `${location}.sha256`;
  if (existsSync(sumFile)) {
    const want = readFileSync(sumFile, 'utf8').trim().split(/\s+/)[0]?.toLowerCase();
    const got = createHash('sha256').update(bytes).digest('hex');
    if (want !== got) throw new Error(`SHA-256 ${got} differs from ${want} in ${sumFile}`);
  }
  return bytes;
}

/** Settings of one update, with defaults applied. */
interface UpdateSettings {
  fetch: typeof globalThis.fetch;
  retries: number;
  retryDelayMs: number;
  timeoutMs: number;
  now: () => Date;
  downloads: string;
  onProgress?: (p: UpdateProgress) => void;
}

/** Downloads over HTTP, retrying what a retry may cure with a doubling delay; each retry resumes. */
async function download(ctx: DownloadContext, outcome: DocumentOutcome, s: UpdateSettings): Promise<Fetched> {
  for (;;) {
    outcome.attempts++;
    try {
      return await attemptDownload(ctx);
    } catch (e) {
      if (!(e instanceof TransientError) || outcome.attempts > s.retries) throw e;
      const delayMs = s.retryDelayMs * 2 ** (outcome.attempts - 1);
      s.onProgress?.({ phase: 'retry', feed: ctx.feed.id, document: ctx.doc.key, attempt: outcome.attempts, delayMs, reason: e.message });
      await sleep(delayMs);
    }
  }
}

/** Fetches, verifies, parses and stores one document, filling in `outcome`; throws when the document fails. */
async function updateDocument(feed: Feed, doc: FeedDocument, writer: VulnDbWriter, outcome: DocumentOutcome, s: UpdateSettings): Promise<void> {
  const state = writer.documentState(doc.source.id, doc.key);
  let fetched: Fetched;
  let part: string | undefined;
  if (isUrl(doc.location)) {
    mkdirSync(s.downloads, { recursive: true });
    part = join(s.downloads, partName(feed, doc));
    fetched = await download({ feed, doc, state, part, fetch: s.fetch, timeoutMs: s.timeoutMs, onProgress: s.onProgress }, outcome, s);
  } else {
    outcome.attempts = 1;
    fetched = { kind: 'bytes', bytes: readMirrorFile(doc.location) };
  }
  if (fetched.kind === 'not-modified') {
    outcome.result = 'not-modified';
    return;
  }
  const { bytes, etag, lastModified, resumedFrom } = fetched;
  outcome.bytes = bytes.length;
  if (resumedFrom !== undefined) outcome.resumedFrom = resumedFrom;
  const digest = sha256(bytes);
  const newState = (counts: { vulnerabilities: number; affected: number }, importedAt = s.now().toISOString()): FeedDocumentState => ({
    url: doc.location,
    ...(etag ? { etag } : {}),
    ...(lastModified ? { lastModified } : {}),
    digest,
    importedAt,
    ...counts,
  });
  if (state && state.digest === digest) {
    outcome.result = 'unchanged';
    if (writer.touchDocument && (state.etag !== etag || state.lastModified !== lastModified || state.url !== doc.location)) {
      writer.touchDocument(doc.source.id, doc.key, newState({ vulnerabilities: state.vulnerabilities, affected: state.affected }, state.importedAt));
    }
  } else {
    s.onProgress?.({ phase: 'import', feed: feed.id, document: doc.key });
    const parsed = feed.parse(doc.key, bytes);
    if (parsed.documentError) {
      // Complete but unusable bytes: the next attempt should fetch afresh rather than resume them.
      if (part) removePart(part);
      throw new Error(parsed.documentError);
    }
    const counts = { vulnerabilities: parsed.vulnerabilities.length, affected: parsed.affected.length };
    writer.replaceDocument(doc.source, doc.key, newState(counts), { vulnerabilities: parsed.vulnerabilities, affected: parsed.affected });
    Object.assign(outcome, { result: 'imported', ...counts, skipped: parsed.skipped, entryErrors: parsed.errors });
  }
  if (part) removePart(part);
}

/** What the lock file of a database holds: who is changing it. */
interface LockOwner {
  pid: number;
  host: string;
  command: string;
  startedAt: string;
}

/** True when a process of this id runs on this machine (EPERM: it runs, as another user). */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readLockOwner(file: string): LockOwner | undefined {
  try {
    const v = JSON.parse(readFileSync(file, 'utf8')) as Partial<LockOwner>;
    return typeof v.pid === 'number' && typeof v.host === 'string' ? { pid: v.pid, host: v.host, command: String(v.command ?? 'db update'), startedAt: String(v.startedAt ?? '') } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Takes the lock of the database at `dbPath` (`<dbPath>.lock`, created exclusively) for `command`, and
 * returns its release. A second `db update` or `db import` of the same database stops at once with
 * `E_VULN_DB_LOCKED`, naming the process that holds the lock; a lock left by a process of this machine
 * that is gone (killed, crashed) is taken over. Readers (scans) take no lock: each document is replaced in one
 * SQLite transaction, so a reader sees it entirely old or entirely new.
 */
export function lockVulnDb(dbPath: string, command: string): () => void {
  const file = `${dbPath}.lock`;
  mkdirSync(dirname(file), { recursive: true });
  const me: LockOwner = { pid: process.pid, host: hostname(), command, startedAt: new Date().toISOString() };
  for (let attempt = 0; ; attempt++) {
    let fd: number;
    try {
      fd = openSync(file, 'wx');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const owner = readLockOwner(file);
      const stale = owner !== undefined && owner.host === me.host && owner.pid !== process.pid && !processAlive(owner.pid);
      if ((stale || owner === undefined) && attempt === 0) {
        // Gone or unreadable (a writer killed between create and write): take it over, once.
        if (owner === undefined && Date.now() - statSync(file).mtimeMs < 5000) throw lockedError(dbPath, file, owner);
        rmSync(file, { force: true });
        continue;
      }
      throw lockedError(dbPath, file, owner);
    }
    try {
      writeSync(fd, JSON.stringify(me));
    } finally {
      closeSync(fd);
    }
    return () => {
      // Remove only our own lock: never one a later process took over.
      if (readLockOwner(file)?.pid === me.pid) rmSync(file, { force: true });
    };
  }
}

function lockedError(dbPath: string, file: string, owner: LockOwner | undefined): PalisadeError {
  const who = owner ? `\`palisade ${owner.command}\` (process ${owner.pid} on ${owner.host}, since ${owner.startedAt})` : 'another palisade process';
  return new PalisadeError('E_VULN_DB_LOCKED', `${dbPath} is being changed by ${who}: wait for it to finish, or remove ${file} if no such process runs`);
}

/** Updates the vulnerability database from the feeds (or a mirror of them). Never throws for a failing document. */
export async function updateVulnDb(opts: UpdateVulnDbOptions = {}): Promise<UpdateResult> {
  const feeds = selectFeeds(opts.feeds);
  const store = opts.store ?? defaultStore();
  const dbPath = opts.dbPath ?? store.defaultPath();
  if (opts.source && !isUrl(opts.source)) {
    if (!existsSync(opts.source) || !statSync(opts.source).isDirectory()) throw new PalisadeError('E_USAGE', `--source: ${opts.source} is neither an http(s) URL nor a folder`);
  }
  if (opts.source && isUrl(opts.source)) {
    try {
      new URL(opts.source);
    } catch {
      throw new PalisadeError('E_USAGE', `--source: ${opts.source} is not a valid URL`);
    }
  }
  const fetchImpl = opts.fetch ?? globalThis.fetch;
  const retries = opts.retries ?? 4;
  const retryDelayMs = opts.retryDelayMs ?? 1000;
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const now = opts.now ?? (() => new Date());
  const downloads = `${dbPath}.downloads`;
  const plan = feeds.flatMap((feed) => feed.documents(feedBase(feed, opts.source)).map((doc) => ({ feed, doc })));
  const unlock = lockVulnDb(dbPath, 'db update');
  const outcomes: DocumentOutcome[] = [];
  let writer: VulnDbWriter;
  try {
    writer = store.openWriter(dbPath);
  } catch (e) {
    unlock();
    throw e;
  }
  try {
    for (const [index, { feed, doc }] of plan.entries()) {
      opts.onProgress?.({ phase: 'document', feed: feed.id, document: doc.key, index, total: plan.length });
      const outcome: DocumentOutcome = { feed: feed.id, document: doc.key, source: doc.source.id, location: doc.location, result: 'failed', entryErrors: [], attempts: 0 };
      try {
        await updateDocument(feed, doc, writer, outcome, { ...opts, fetch: fetchImpl, retries, retryDelayMs, timeoutMs, now, downloads });
      } catch (e) {
        outcome.result = 'failed';
        outcome.message = e instanceof Error ? e.message : String(e);
      }
      outcomes.push(outcome);
      opts.onProgress?.({ phase: 'done', outcome });
    }
  } finally {
    try {
      writer.close();
    } finally {
      unlock();
    }
  }
  return { dbPath, documents: outcomes, failed: outcomes.filter((o) => o.result === 'failed').length };
}

/** The database's own account of itself (sources, documents, counts, last update). */
export async function dbStatus(opts: { dbPath?: string; store?: VulnDbStore } = {}): Promise<{ dbPath: string; status: VulnDbStatus }> {
  const store = opts.store ?? defaultStore();
  const dbPath = opts.dbPath ?? store.defaultPath();
  return { dbPath, status: store.status(dbPath) };
}

/** Writes a copy of the database to `file`, for an air-gapped machine to `importDb`. */
export async function exportDb(file: string, opts: { dbPath?: string; store?: VulnDbStore } = {}): Promise<{ dbPath: string; file: string }> {
  const store = opts.store ?? defaultStore();
  const dbPath = opts.dbPath ?? store.defaultPath();
  const target = isAbsolute(file) ? file : resolve(file);
  store.exportTo(dbPath, target);
  return { dbPath, file: target };
}

/** Replaces the database with an exported copy, after checking it. */
export async function importDb(file: string, opts: { dbPath?: string; store?: VulnDbStore } = {}): Promise<{ dbPath: string; file: string }> {
  const store = opts.store ?? defaultStore();
  const dbPath = opts.dbPath ?? store.defaultPath();
  if (!existsSync(file)) throw new PalisadeError('E_USAGE', `${file}: no such file`);
  const unlock = lockVulnDb(dbPath, 'db import');
  try {
    store.importFrom(file, dbPath);
  } finally {
    unlock();
  }
  return { dbPath, file };
}

function missing(path: string): PalisadeError {
  return new PalisadeError('E_VULN_DB_MISSING', `no vulnerability database at ${path}: run \`palisade db update\` (or \`palisade db import <file>\`)`);
}

/** The SQLite store of `src/storage/vulndb`. */
function defaultStore(): VulnDbStore {
  const readOnly = <T>(path: string, use: (db: VulnDb) => T): T => {
    if (!existsSync(path)) throw missing(path);
    const db = openVulnDb(path, { readonly: true });
    try {
      return use(db);
    } finally {
      db.close();
    }
  };
  return {
    defaultPath: () => defaultVulnDbPath(),
    openWriter: (path) => openVulnDb(path, { create: true }),
    status: (path) => readOnly(path, (db) => db.status()),
    exportTo: (path, file) => void readOnly(path, (db) => db.exportTo(file)),
    importFrom: (file, path) => void importVulnDb(file, path),
  };
}
