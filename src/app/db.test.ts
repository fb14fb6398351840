import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fixtureDocument, MemoryVulnDb as MemoryDb, memoryVulnDbStore as memoryStore, writeFeedMirror } from '../../test/helpers/feed-mirror.js';
import { FEEDS } from '../vuln/feeds/index.js';
import { selectFeeds, updateVulnDb, type UpdateProgress, type UpdateResult } from './db.js';

/** What the loopback server does with one request (after the path's request count is known). */
type Behaviour =
  | { kind: 'normal' }
  | { kind: 'status'; status: number }
  /** Sends the headers and `bytes` bytes of the body, then drops the connection. */
  | { kind: 'cut'; bytes: number }
  /** Declares the full Content-Length but sends only the first `bytes`, then ends the response cleanly. */
  | { kind: 'short'; bytes: number }
  /** Serves other bytes than the file. */
  | { kind: 'body'; body: Uint8Array };

function strongEtag(bytes: Uint8Array): string {
  return `"${createHash('sha1').update(bytes).digest('hex').slice(0, 16)}"`;
}

/**
 * A feed mirror on loopback: serves `files` (path -> bytes) with strong ETags, Last-Modified, conditional
 * GET (If-None-Match, If-Modified-Since), Range/If-Range, and an `x-goog-hash` MD5 as OSV's bucket does.
 */
class MirrorServer {
  files = new Map<string, Uint8Array>();
  requests: Array<{ path: string; headers: IncomingMessage['headers']; status: number }> = [];
  behave: (path: string, n: number, req: IncomingMessage) => Behaviour = () => ({ kind: 'normal' });
  /** Whether to send validators (a server without them forces the digest comparison). */
  validators = true;
  private server = http.createServer((req, res) => this.handle(req, res));
  private counts = new Map<string, number>();
  base = '';

  async start(): Promise<void> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
  reset(): void {
    this.requests = [];
    this.counts.clear();
    this.behave = () => ({ kind: 'normal' });
    this.validators = true;
    this.etag = strongEtag;
  }
  etag = strongEtag;

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const path = decodeURIComponent(new URL(req.url!, 'http://x').pathname).slice(1);
    const n = (this.counts.get(path) ?? 0) + 1;
    this.counts.set(path, n);
    const log = (status: number) => this.requests.push({ path, headers: req.headers, status });
    const file = this.files.get(path);
    const b = this.behave(path, n, req);
    if (b.kind === 'status') {
      log(b.status);
      res.writeHead(b.status).end('server trouble');
      return;
    }
    if (!file) {
      log(404);
      res.writeHead(404).end('not found');
      return;
    }
    const body = b.kind === 'body' ? b.body : file;
    const etag = this.etag(body);
    const lastModified = 'Wed, 01 May 2024 10:00:00 GMT';
    const headers: Record<string, string> = { 'content-type': 'application/octet-stream', 'accept-ranges': 'bytes' };
    if (this.validators) Object.assign(headers, { etag, 'last-modified': lastModified });
    if (path.endsWith('.zip')) headers['x-goog-hash'] = `crc32c=AAAAAA==, md5=${createHash('md5').update(file).digest('base64')}`;
    if (this.validators && (req.headers['if-none-match'] === etag || (!req.headers['if-none-match'] && req.headers['if-modified-since'] === lastModified))) {
      log(304);
      res.writeHead(304, headers).end();
      return;
    }
    let start = 0;
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    if (range && this.validators && req.headers['if-range'] === etag && Number(range[1]) < body.length) {
      start = Number(range[1]);
      headers['content-range'] = `bytes ${start}-${body.length - 1}/${body.length}`;
    }
    const status = start > 0 ? 206 : 200;
    log(status);
    const slice = Buffer.from(body.subarray(start));
    headers['content-length'] = String(slice.length);
    res.writeHead(status, headers);
    if (b.kind === 'cut') {
      res.write(slice.subarray(0, b.bytes), () => setTimeout(() => res.destroy(), 20));
      return;
    }
    if (b.kind === 'short') {
      // Ends the socket after fewer bytes than declared: the client sees the body end early. The pause lets a busy
      // client read the bytes before the end arrives; both in one read, its HTTP client may drop the last ones.
      res.write(slice.subarray(0, b.bytes), () => setTimeout(() => res.socket?.end(), 200));
      return;
    }
    res.end(slice);
  }
}

const server = new MirrorServer();
let dir: string;
let db: MemoryDb;
const progress: UpdateProgress[] = [];

beforeAll(async () => {
  await server.start();
});
afterAll(async () => {
  await server.stop();
});
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'palisade-db-update-'));
  server.reset();
  server.files.clear();
  for (const feed of FEEDS) for (const doc of feed.documents()) server.files.set(`${feed.id}/${doc.path}`, fixtureDocument(feed.id, doc.path));
  db = new MemoryDb();
  progress.length = 0;
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const totalDocuments = FEEDS.reduce((n, f) => n + f.documents().length, 0);

function update(extra: Partial<Parameters<typeof updateVulnDb>[0]> = {}): Promise<UpdateResult> {
  return updateVulnDb({ dbPath: join(dir, 'vuln.db'), source: server.base, store: memoryStore(db), retryDelayMs: 5, timeoutMs: 5000, onProgress: (p) => progress.push(p), ...extra });
}
const outcome = (r: UpdateResult, feed: string, document: string) => r.documents.find((d) => d.feed === feed && d.document === document)!;
const count = (r: UpdateResult, result: string) => r.documents.filter((d) => d.result === result).length;

describe('updateVulnDb against a loopback mirror', () => {
  it('imports every document on the first run, then asks with validators and gets 304s', async () => {
    const first = await update();
    expect(first.failed).toBe(0);
    expect(first.documents).toHaveLength(totalDocuments);
    expect(count(first, 'imported')).toBe(totalDocuments);
    expect(db.closed).toBe(1);
    // Rows arrived: Debian tracker rows, OSV npm rows, Alpine rows, Red Hat rows.
    expect(db.affected('debian:12', 'openssl').filter((a) => a.source === 'debian-tracker').map((a) => a.vulnerabilityId).sort()).toEqual(['CVE-2010-0928', 'CVE-2023-0286', 'CVE-2024-2511']);
    expect(db.affected('debian:12', 'openssl').filter((a) => a.source === 'osv:debian').map((a) => a.vulnerabilityId)).toEqual(['DEBIAN-CVE-2023-0286']);
    expect(db.affected('npm', 'lodash').map((a) => a.vulnerabilityId).sort()).toEqual(['GHSA-35jh-r3h4-6jhm', 'GHSA-p6mc-m468-83gw']);
    expect(db.affected('alpine:3.19', 'openssl').filter((a) => a.source === 'alpine-secdb')).toHaveLength(6);
    expect(db.affected('alpine:3.19', 'openssl').filter((a) => a.source === 'osv:alpine')).toHaveLength(1);
    expect(db.affected('redhat:9', 'glibc')).toHaveLength(1);
    const npm = outcome(first, 'osv', 'npm');
    expect(npm).toMatchObject({ source: 'osv:npm', location: `${server.base}/osv/npm/all.zip`, vulnerabilities: 5, attempts: 1 });
    expect(npm.entryErrors.map((e) => e.entry).sort()).toEqual(['GHSA-9999-bad1-0001.json', 'GHSA-9999-bad2-0002.json', 'GHSA-9999-bad3-0003.json']);
    const state = db.documentState('debian-tracker', 'tracker')!;
    expect(state).toMatchObject({ url: `${server.base}/debian-tracker/json`, etag: server.etag(server.files.get('debian-tracker/json')!), lastModified: 'Wed, 01 May 2024 10:00:00 GMT', vulnerabilities: 7, affected: 16 });
    expect(state.digest).toBe(`sha256:${createHash('sha256').update(server.files.get('debian-tracker/json')!).digest('hex')}`);
    expect(server.requests.every((r) => r.headers['accept-encoding'] === 'identity' && !r.headers['if-none-match'])).toBe(true);
    // Nothing is left in the downloads folder once documents are imported.
    expect(readdirSync(join(dir, 'vuln.db.downloads'))).toEqual([]);
    expect(progress.filter((p) => p.phase === 'document')).toHaveLength(totalDocuments);

    server.requests = [];
    db.replaced = [];
    const second = await update();
    expect(second.failed).toBe(0);
    expect(count(second, 'not-modified')).toBe(totalDocuments);
    expect(db.replaced).toEqual([]);
    expect(server.requests.every((r) => r.status === 304 && r.headers['if-none-match'] && r.headers['if-modified-since'] === 'Wed, 01 May 2024 10:00:00 GMT')).toBe(true);
  });

  it('re-imports only the document that changed', async () => {
    await update();
    db.replaced = [];
    const changed = JSON.parse(Buffer.from(server.files.get('debian-tracker/json')!).toString()) as Record<string, unknown>;
    changed.zlib = { 'CVE-2023-45853': { description: 'MiniZip in zlib through 1.3 has an integer overflow', releases: { bookworm: { status: 'open', urgency: 'not yet assigned' } } } };
    server.files.set('debian-tracker/json', Buffer.from(JSON.stringify(changed)));
    const r = await update();
    expect(r.failed).toBe(0);
    expect(db.replaced).toEqual(['debian-tracker tracker']);
    expect(outcome(r, 'debian-tracker', 'tracker')).toMatchObject({ result: 'imported', vulnerabilities: 8, affected: 17 });
    expect(count(r, 'not-modified')).toBe(totalDocuments - 1);
    expect(db.affected('debian:12', 'zlib')).toMatchObject([{ vulnerabilityId: 'CVE-2023-45853', status: 'affected' }]);
  });

  it('compares digests when the server gives no validators: same bytes are "unchanged" and not re-imported', async () => {
    server.validators = false;
    await update({ feeds: ['debian-tracker', 'alpine-secdb'] });
    db.replaced = [];
    const r = await update({ feeds: ['debian-tracker', 'alpine-secdb'] });
    expect(r.documents.every((d) => d.result === 'unchanged')).toBe(true);
    expect(db.replaced).toEqual([]);
    expect(server.requests.every((q) => q.status === 200)).toBe(true);
  });

  it('records new validators for unchanged bytes, so the next run gets a 304', async () => {
    server.validators = false;
    await update({ feeds: ['debian-tracker'] });
    server.validators = true;
    const r = await update({ feeds: ['debian-tracker'] });
    expect(outcome(r, 'debian-tracker', 'tracker').result).toBe('unchanged');
    expect(db.touched).toEqual(['debian-tracker tracker']);
    expect(db.documentState('debian-tracker', 'tracker')).toMatchObject({ etag: server.etag(server.files.get('debian-tracker/json')!), vulnerabilities: 7, affected: 16 });
    const third = await update({ feeds: ['debian-tracker'] });
    expect(outcome(third, 'debian-tracker', 'tracker').result).toBe('not-modified');
    // A new ETag for the same bytes replaces the recorded one.
    server.etag = () => '"rotated"';
    const fourth = await update({ feeds: ['debian-tracker'] });
    expect(outcome(fourth, 'debian-tracker', 'tracker').result).toBe('unchanged');
    expect(db.documentState('debian-tracker', 'tracker')?.etag).toBe('"rotated"');
  });

  it('resumes an interrupted download with Range and If-Range', async () => {
    const path = 'osv/npm/all.zip';
    const size = server.files.get(path)!.length;
    server.behave = (p, n) => (p === path && n === 1 ? { kind: 'cut', bytes: 1000 } : { kind: 'normal' });
    const r = await update({ feeds: ['osv'] });
    expect(r.failed).toBe(0);
    const npm = outcome(r, 'osv', 'npm');
    expect(npm).toMatchObject({ result: 'imported', attempts: 2, resumedFrom: 1000, bytes: size, vulnerabilities: 5 });
    const tries = server.requests.filter((q) => q.path === path);
    expect(tries.map((q) => q.status)).toEqual([200, 206]);
    expect(tries[1].headers.range).toBe('bytes=1000-');
    expect(tries[1].headers['if-range']).toBe(server.etag(server.files.get(path)!));
    expect(progress).toContainEqual(expect.objectContaining({ phase: 'retry', document: 'npm', attempt: 1 }));
  });

  it('resumes on the next run when a run gave up part-way', async () => {
    const path = 'debian-tracker/json';
    server.behave = (p, n) => (p === path && n === 1 ? { kind: 'cut', bytes: 700 } : { kind: 'normal' });
    const first = await update({ feeds: ['debian-tracker'], retries: 0 });
    expect(outcome(first, 'debian-tracker', 'tracker')).toMatchObject({ result: 'failed', message: expect.stringMatching(/download broke off after 700 bytes/) });
    expect(existsSync(join(dir, 'vuln.db.downloads', 'debian-tracker--tracker.part'))).toBe(true);
    const second = await update({ feeds: ['debian-tracker'], retries: 0 });
    expect(outcome(second, 'debian-tracker', 'tracker')).toMatchObject({ result: 'imported', resumedFrom: 700, affected: 16 });
  });

  it('starts over when the document changed between the interruption and the resume', async () => {
    const path = 'debian-tracker/json';
    server.behave = (p, n) => (p === path && n === 1 ? { kind: 'cut', bytes: 700 } : { kind: 'normal' });
    await update({ feeds: ['debian-tracker'], retries: 0 });
    server.files.set(path, Buffer.from(JSON.stringify({ curl: { 'CVE-2023-38545': { description: 'SOCKS5 heap buffer overflow', releases: { bookworm: { status: 'resolved', fixed_version: '7.88.1-10+deb12u4', urgency: 'high' } } } } })));
    const r = await update({ feeds: ['debian-tracker'] });
    // The ETag no longer matches If-Range, so the server sends the whole new file.
    expect(outcome(r, 'debian-tracker', 'tracker')).toMatchObject({ result: 'imported', affected: 1 });
    expect(outcome(r, 'debian-tracker', 'tracker').resumedFrom).toBeUndefined();
    expect(server.requests.at(-1)).toMatchObject({ status: 200, headers: expect.objectContaining({ range: 'bytes=700-' }) });
  });

  it('retries 5xx with backoff and imports', async () => {
    server.behave = (p, n) => (p === 'alpine-secdb/v3.19/main.json' && n <= 2 ? { kind: 'status', status: 503 } : { kind: 'normal' });
    const r = await update({ feeds: ['alpine-secdb'] });
    expect(r.failed).toBe(0);
    expect(outcome(r, 'alpine-secdb', 'v3.19/main')).toMatchObject({ result: 'imported', attempts: 3, affected: 15 });
    const retries = progress.filter((p) => p.phase === 'retry');
    expect(retries.map((p) => p.phase === 'retry' && [p.attempt, p.delayMs, p.reason])).toEqual([
      [1, 5, 'HTTP 503 Service Unavailable'],
      [2, 10, 'HTTP 503 Service Unavailable'],
    ]);
  });

  it('gives up after the retries, reports the document, and imports the others', async () => {
    server.behave = (p) => (p === 'alpine-secdb/edge/main.json' ? { kind: 'status', status: 502 } : { kind: 'normal' });
    const r = await update({ feeds: ['alpine-secdb'], retries: 2 });
    expect(r.failed).toBe(1);
    expect(outcome(r, 'alpine-secdb', 'edge/main')).toMatchObject({ result: 'failed', attempts: 3, message: 'HTTP 502 Bad Gateway' });
    expect(count(r, 'imported')).toBe(r.documents.length - 1);
  });

  it('does not retry a 404', async () => {
    server.files.delete('alpine-secdb/v3.12/community.json');
    const r = await update({ feeds: ['alpine-secdb'] });
    expect(outcome(r, 'alpine-secdb', 'v3.12/community')).toMatchObject({ result: 'failed', attempts: 1, message: 'HTTP 404 Not Found' });
    expect(r.failed).toBe(1);
  });

  it('fails a corrupt zip with a clear error, keeps its previous rows, and imports the others', async () => {
    await update({ feeds: ['osv'] });
    const before = db.affected('npm', 'lodash');
    const good = server.files.get('osv/npm/all.zip')!;
    const bad = Buffer.from(good);
    bad[200] ^= 0xff;
    // The published MD5 is of the good file, so the server's checksum catches it first ...
    server.behave = (p) => (p === 'osv/npm/all.zip' ? { kind: 'body', body: bad } : { kind: 'normal' });
    server.files.set('osv/PyPI/all.zip', Buffer.concat([fixtureDocument('osv', 'PyPI/all.zip'), Buffer.from('x')]));
    const r = await update({ feeds: ['osv'], retries: 1 });
    expect(outcome(r, 'osv', 'npm')).toMatchObject({ result: 'failed', attempts: 2, message: expect.stringMatching(/^MD5 \S+ differs from the \S+ the server published$/) });
    // ... and without a published checksum, the zip's own CRCs do.
    expect(r.failed).toBe(1);
    server.files.set('osv/npm/all.zip', bad);
    const noSum = await updateVulnDb({ dbPath: join(dir, 'vuln.db'), source: server.base, store: memoryStore(db), feeds: ['osv'], retryDelayMs: 5, fetch: stripHeader('x-goog-hash') });
    expect(outcome(noSum, 'osv', 'npm')).toMatchObject({ result: 'failed', message: expect.stringMatching(/^npm\/all\.zip: .*(CRC-32 mismatch|deflate data is damaged|local header)/) });
    expect(noSum.failed).toBe(1);
    expect(db.affected('npm', 'lodash')).toEqual(before);
    expect(outcome(noSum, 'osv', 'pypi').result).toBe('not-modified');
  });

  it('fails a download shorter than its Content-Length after resuming as far as it can', async () => {
    const path = 'debian-tracker/json';
    server.behave = (p) => (p === path ? { kind: 'short', bytes: 300 } : { kind: 'normal' });
    const r = await update({ feeds: ['debian-tracker', 'alpine-secdb'], retries: 2 });
    const doc = outcome(r, 'debian-tracker', 'tracker');
    expect(doc.result).toBe('failed');
    expect(doc.message).toMatch(/download broke off after 900 bytes|download incomplete: 900 of \d+ bytes/);
    expect(doc.attempts).toBe(3);
    expect(server.requests.filter((q) => q.path === path).map((q) => q.headers.range)).toEqual([undefined, 'bytes=300-', 'bytes=600-']);
    expect(r.failed).toBe(1);
    expect(count(r, 'imported')).toBe(r.documents.length - 1);
  });

  it('retries a response that goes silent, then imports', async () => {
    const path = 'debian-tracker/json';
    let hung = false;
    const slow = (url: string | URL | Request, init?: RequestInit) => {
      if (String(url).endsWith(path) && !hung) {
        // Never answers: only the idle timeout ends this request.
        hung = true;
        return new Promise<Response>((_, reject) => init?.signal?.addEventListener('abort', () => reject(init.signal!.reason)));
      }
      return fetch(url, init);
    };
    const r = await update({ feeds: ['debian-tracker'], fetch: slow as typeof fetch, timeoutMs: 100 });
    expect(outcome(r, 'debian-tracker', 'tracker')).toMatchObject({ result: 'imported', attempts: 2 });
    expect(progress).toContainEqual(expect.objectContaining({ phase: 'retry', reason: expect.stringMatching(/^no data from 127\.0\.0\.1:\d+ for 100 ms$/) }));
  });
});

/** `fetch` that hides one response header, as a server that does not publish it. */
function stripHeader(name: string): typeof fetch {
  return async (url, init) => {
    const res = await fetch(url, init);
    const headers = new Headers(res.headers);
    headers.delete(name);
    return new Response(res.body, { status: res.status, statusText: res.statusText, headers });
  };
}

describe('updateVulnDb from a local mirror folder', () => {
  it('reads <feed>/<path> from the folder, then finds every document unchanged', async () => {
    const mirror = join(dir, 'mirror');
    expect(writeFeedMirror(mirror)).toHaveLength(totalDocuments);
    const first = await update({ source: mirror, fetch: () => Promise.reject(new Error('no network')) });
    expect(first.failed).toBe(0);
    expect(count(first, 'imported')).toBe(totalDocuments);
    expect(outcome(first, 'osv', 'red-hat').location).toBe(join(mirror, 'osv', 'Red Hat', 'all.zip'));
    const second = await update({ source: mirror });
    expect(count(second, 'unchanged')).toBe(totalDocuments);
  });

  it('checks a .sha256 file beside a document, and reports a missing document', async () => {
    const mirror = join(dir, 'mirror');
    writeFeedMirror(mirror, ['debian-tracker', 'alpine-secdb']);
    writeFileSync(join(mirror, 'debian-tracker', 'json.sha256'), `${'0'.repeat(64)}  json\n`);
    rmSync(join(mirror, 'alpine-secdb', 'v3.15', 'main.json'));
    const r = await update({ source: mirror, feeds: ['debian-tracker', 'alpine-secdb'] });
    expect(outcome(r, 'debian-tracker', 'tracker')).toMatchObject({ result: 'failed', message: expect.stringMatching(/^SHA-256 [0-9a-f]{64} differs from 0{64} in .*json\.sha256$/) });
    expect(outcome(r, 'alpine-secdb', 'v3.15/main')).toMatchObject({ result: 'failed', message: 'not found in the mirror' });
    expect(r.failed).toBe(2);
    const sum = createHash('sha256').update(fixtureDocument('debian-tracker', 'json')).digest('hex');
    writeFileSync(join(mirror, 'debian-tracker', 'json.sha256'), `${sum}  json\n`);
    const again = await update({ source: mirror, feeds: ['debian-tracker'] });
    expect(outcome(again, 'debian-tracker', 'tracker').result).toBe('imported');
  });

  it('refuses a source that is neither a URL nor a folder', async () => {
    await expect(update({ source: join(dir, 'nowhere') })).rejects.toThrow(/--source: .*nowhere is neither an http\(s\) URL nor a folder/);
  });
});

describe('selectFeeds', () => {
  it('selects by id, comma-separated or repeated, in registry order', () => {
    expect(selectFeeds(undefined).map((f) => f.id)).toEqual(FEEDS.map((f) => f.id));
    expect(selectFeeds(['alpine-secdb,osv']).map((f) => f.id)).toEqual(['osv', 'alpine-secdb']);
    expect(() => selectFeeds(['osv', 'nvd'])).toThrow(/--feed: unknown feed "nvd" \(known: osv, debian-tracker, alpine-secdb\)/);
  });
});
