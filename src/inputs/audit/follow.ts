import { createHash } from 'node:crypto';
import { closeSync, createReadStream, fstatSync, openSync, readdirSync, readSync, statSync, type Stats } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { constants as zlibConstants, createGunzip, gunzipSync } from 'node:zlib';
import type { FilePosition } from '../../model/follow-position.js';

export type { FilePosition };

/** A complete line and the byte offset where it starts in its file. */
export interface FollowedLine {
  text: string;
  offset: number;
}

/** Options of {@link FileFollower}. */
export interface FollowOptions {
  path: string;
  /** Where a previous run stopped (from the store). */
  position?: FilePosition;
  /** Without a stored position, start at the end of the file instead of its beginning. */
  fromEnd?: boolean;
  /** Poll interval in ms (default 250). */
  pollMs?: number;
  /** Lines longer than this (bytes) are dropped and counted (default 256 KiB). */
  maxLineBytes?: number;
  /** Bytes hashed to recognise a file (default 256). */
  fingerprintBytes?: number;
  /** Lines per `onLines` call at most (default 2,000). */
  maxBatchLines?: number;
  /**
   * Takes complete lines and the position just after them; must store both atomically before returning, so a
   * restart from the stored position neither repeats nor skips a line. `dropped` counts overlong lines.
   */
  onLines(lines: FollowedLine[], position: FilePosition, dropped: number): unknown;
  log?: (line: string) => void;
}

interface OpenFile {
  fd: number;
  name: string;
  dev: string;
  inode: string;
  /** Bytes read so far (pending bytes included). */
  readPos: number;
  pending: Buffer;
  /** Dropping the rest of an overlong line. */
  skipping: boolean;
  fingerprint: string;
  fingerprintLength: number;
  /** A gzip-compressed rotation: offsets count decompressed bytes, and its fingerprint is that of the original. */
  compressed?: boolean;
}

const CHUNK = 1024 * 1024;
const NEWLINE = 0x0a;
const EMPTY = Buffer.alloc(0);

function fingerprintOf(fd: number, length: number): { fingerprint: string; length: number } {
  const buf = Buffer.alloc(length);
  let n = 0;
  while (n < length) {
    const r = readSync(fd, buf, n, length - n, n);
    if (r === 0) break;
    n += r;
  }
  return { fingerprint: createHash('sha256').update(buf.subarray(0, n)).digest('hex'), length: n };
}

/** True when the file starts with the gzip magic bytes. */
function isGzip(fd: number): boolean {
  const b = Buffer.alloc(2);
  return readSync(fd, b, 0, 2, 0) === 2 && b[0] === 0x1f && b[1] === 0x8b;
}

/**
 * The fingerprint of the first `length` decompressed bytes of a gzip file, inflating only a prefix (a rotated log
 * is never inflated whole for this). A corrupt file gives an empty fingerprint, which matches nothing.
 */
function gzipFingerprintOf(fd: number, length: number): { fingerprint: string; length: number } {
  let take = 16 * 1024;
  for (;;) {
    const size = fstatSync(fd).size;
    const buf = Buffer.alloc(Math.min(take, size));
    const n = readSync(fd, buf, 0, buf.length, 0);
    let out: Buffer;
    try {
      // SYNC_FLUSH: what a truncated stream decompresses to, without an "unexpected end" error.
      out = gunzipSync(buf.subarray(0, n), { finishFlush: zlibConstants.Z_SYNC_FLUSH });
    } catch {
      return { fingerprint: '', length: -1 };
    }
    if (out.length >= length || n >= size) {
      const head = out.subarray(0, length);
      return { fingerprint: createHash('sha256').update(head).digest('hex'), length: head.length };
    }
    take *= 4;
  }
}

function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

/**
 * Follows a JSON-lines file the way `tail -F` does, and resumes exactly where it stopped. Rotation is detected
 * both ways: rename-and-create (the path names a new inode: the old file, still open, is read to its end first)
 * and copytruncate (the same inode became shorter than the offset, or its first bytes changed: the copy, found
 * among the path's siblings by its first-bytes fingerprint, is read from the offset to its end first). The
 * position (device, inode, offset, fingerprint) is handed with every batch of lines to be stored with them; at
 * start, a stored position on another inode is looked for among the siblings (`audit.log.1`, `audit-<time>.log`) to read the
 * rest of the rotated file before the new one. Only complete lines are taken; the partial last line of a file
 * that was rotated away counts as complete.
 */
export class FileFollower {
  /** Lines dropped for being too long. */
  dropped = 0;
  private cur: OpenFile | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private readonly pollMs: number;
  private readonly maxLineBytes: number;
  private readonly fpBytes: number;
  private readonly maxBatchLines: number;

  constructor(private readonly o: FollowOptions) {
    this.pollMs = o.pollMs ?? 250;
    this.maxLineBytes = o.maxLineBytes ?? 256 * 1024;
    this.fpBytes = o.fingerprintBytes ?? 256;
    this.maxBatchLines = o.maxBatchLines ?? 2000;
  }

  /** Starts following; the first poll runs at once. Errors of `onLines` stop the follower and reject `done`. */
  start(): void {
    this.schedule(0);
  }

  /** Runs one poll now (tests drive the follower with this instead of timers). */
  async poll(): Promise<void> {
    if (this.running) return this.running;
    this.running = this.step().finally(() => (this.running = undefined));
    return this.running;
  }

  /** Stops after the poll in progress, closing the file. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
    if (this.cur) closeSync(this.cur.fd);
    this.cur = undefined;
  }

  /** Resolves when the follower stops by itself (an error of `onLines`). */
  readonly done: Promise<void> = new Promise((resolve, reject) => {
    this.finish = { resolve, reject };
  });
  private finish!: { resolve: () => void; reject: (e: unknown) => void };

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.poll().then(
        () => this.schedule(this.pollMs),
        (e: unknown) => {
          this.stopped = true;
          this.finish.reject(e);
        },
      );
    }, ms);
  }

  private async step(): Promise<void> {
    if (this.stopped) return;
    if (!this.cur) {
      await this.openInitial();
      if (!this.cur) return;
    }
    const cur: OpenFile = this.cur;
    const st = statOrUndefined(this.o.path);
    if (st && (String(st.ino) !== cur.inode || String(st.dev) !== cur.dev)) {
      // Rename-and-create: finish the old file (still open), then switch to the new one.
      await this.readNew(cur, true);
      closeSync(cur.fd);
      this.cur = undefined;
      this.o.log?.(`${this.o.path}: rotated (new file), continuing from its start`);
      this.openAt(0, st);
      await this.commit([], this.cur!, 0, true);
      return;
    }
    // Checked before reading, so content written after a truncation is never read from the old offset.
    if (st && this.truncated(cur)) {
      this.o.log?.(`${this.o.path}: truncated (copytruncate), continuing from its start`);
      await this.drainCopy(cur);
      closeSync(cur.fd);
      this.cur = undefined;
      this.openAt(0, st);
      await this.commit([], this.cur!, 0, true);
    }
    // A missing path (renamed away, not re-created yet) leaves the open file to read.
    await this.readNew(this.cur!, false);
  }

  /** Same inode, but shorter than what was read or with other first bytes. */
  private truncated(cur: OpenFile): boolean {
    const size = fstatSync(cur.fd).size;
    if (size < cur.readPos) return true;
    return cur.fingerprintLength > 0 && fingerprintOf(cur.fd, cur.fingerprintLength).fingerprint !== cur.fingerprint;
  }

  private async openInitial(): Promise<void> {
    const st = statOrUndefined(this.o.path);
    if (!st) return;
    const p = this.o.position;
    if (!p) {
      this.openAt(this.o.fromEnd ? st.size : 0, st);
      return;
    }
    if (String(st.ino) === p.inode && String(st.dev) === p.dev) {
      this.openAt(0, st);
      const cur = this.cur!;
      const fp = fingerprintOf(cur.fd, p.fingerprintLength);
      if (st.size >= p.offset && fp.length === p.fingerprintLength && fp.fingerprint === p.fingerprint) {
        cur.readPos = p.offset;
        return;
      }
      // Truncated while we were away: the copy holds the rest.
      this.o.log?.(`${this.o.path}: truncated since the last run, continuing from its start`);
      await this.drainPrevious(p, cur.inode);
      await this.commit([], cur, 0, true);
      return;
    }
    this.o.log?.(`${this.o.path}: rotated since the last run, reading the rest of the previous file first`);
    await this.drainPrevious(p, String(st.ino));
    this.openAt(0, st);
    await this.commit([], this.cur!, 0, true);
  }

  private openAt(offset: number, st: Stats): void {
    const fd = openSync(this.o.path, 'r');
    const fst = fstatSync(fd);
    const fp = fingerprintOf(fd, Math.min(this.fpBytes, fst.size));
    this.cur = { fd, name: this.o.path, dev: String(fst.dev ?? st.dev), inode: String(fst.ino), readPos: offset, pending: Buffer.alloc(0), skipping: false, fingerprint: fp.fingerprint, fingerprintLength: fp.length };
  }

  /** Reads the rotated file a stored position points at (by inode, else a copy by fingerprint) from its offset to its end. */
  private async drainPrevious(p: FilePosition, currentInode: string): Promise<void> {
    const dir = dirname(this.o.path);
    const base = basename(this.o.path);
    // `audit.log.1` (logrotate) and `audit-2024-05-14T10-00-00.000.log` (kube-apiserver's own rotation) both
    // start with the name without its extension; the fingerprint decides.
    const stem = base.replace(/\.[^.]*$/, '') || base;
    let best: { path: string; st: Stats; byInode: boolean; gz: boolean } | undefined;
    let names: string[] = [];
    try {
      names = readdirSync(dir);
    } catch {
      names = [];
    }
    for (const name of names.sort()) {
      if (name === base || !name.startsWith(stem)) continue;
      const path = join(dir, name);
      const st = statOrUndefined(path);
      if (!st?.isFile() || String(st.ino) === currentInode) continue;
      let fd: number;
      try {
        fd = openSync(path, 'r');
      } catch {
        continue;
      }
      let gz: boolean;
      try {
        // logrotate's `compress` leaves `audit.log.1.gz`: its offsets and fingerprint are those of the decompressed text.
        gz = isGzip(fd);
        if (!gz && st.size < p.offset) continue;
        const fp = gz ? gzipFingerprintOf(fd, p.fingerprintLength) : fingerprintOf(fd, p.fingerprintLength);
        if (fp.length !== p.fingerprintLength || fp.fingerprint !== p.fingerprint) continue;
      } finally {
        closeSync(fd);
      }
      const byInode = String(st.ino) === p.inode && String(st.dev) === p.dev;
      if (!best || (byInode && !best.byInode)) best = { path, st, byInode, gz };
    }
    if (!best) {
      if (p.offset > 0) this.o.log?.(`${this.o.path}: the previous file (inode ${p.inode}) was not found next to it; lines written to it after byte ${p.offset} are missed`);
      return;
    }
    const fd = openSync(best.path, 'r');
    const file: OpenFile = { fd, name: best.path, dev: String(best.st.dev), inode: String(best.st.ino), readPos: p.offset, pending: Buffer.alloc(0), skipping: false, fingerprint: p.fingerprint, fingerprintLength: p.fingerprintLength, ...(best.gz ? { compressed: true } : {}) };
    try {
      if (best.gz) {
        this.o.log?.(`${this.o.path}: reading the rest of the compressed rotation ${best.path}`);
        await this.readCompressed(file);
      } else await this.readNew(file, true);
    } finally {
      closeSync(fd);
    }
  }

  /**
   * Reads a gzip-compressed rotated file from `readPos` (in decompressed bytes) to its end, with the line rules of
   * readNew (the partial last line counts, overlong lines are dropped). Positions handed over name the compressed
   * file and decompressed offsets, so a restart in the middle of it resumes there.
   */
  private async readCompressed(f: OpenFile): Promise<void> {
    const from = f.readPos;
    const raw = createReadStream(f.name, { fd: f.fd, autoClose: false, start: 0 });
    const input = raw.pipe(createGunzip());
    raw.on('error', (e) => input.destroy(e));
    let pos = 0;
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let skipping = false;
    let lines: FollowedLine[] = [];
    let dropped = 0;
    /** Offset just after the last line handed over or dropped. */
    let done = from;
    const take = (part: Buffer, end: number): void => {
      if (skipping) skipping = false;
      else if (pendingBytes + part.length > this.maxLineBytes) dropped++;
      else {
        const text = (pending.length ? Buffer.concat([...pending, part]) : part).toString('utf8').replace(/\r$/, '');
        lines.push({ text, offset: end - part.length - pendingBytes });
      }
      pending = [];
      pendingBytes = 0;
      done = end;
    };
    let commitFailed = false;
    const flush = async (): Promise<void> => {
      f.readPos = done;
      f.pending = EMPTY;
      try {
        await this.commit(lines, f, dropped);
      } catch (e) {
        commitFailed = true;
        throw e;
      }
      lines = [];
      dropped = 0;
    };
    try {
      for await (const chunk of input as AsyncIterable<Buffer>) {
        const chunkStart = pos;
        pos += chunk.length;
        if (pos <= from) continue;
        let start = Math.max(0, from - chunkStart);
        for (let i = start; i < chunk.length; i++) {
          if (chunk[i] !== NEWLINE) continue;
          take(chunk.subarray(start, i), chunkStart + i);
          done = chunkStart + i + 1;
          start = i + 1;
          if (lines.length >= this.maxBatchLines) await flush();
        }
        if (start < chunk.length && !skipping) {
          pending.push(Buffer.from(chunk.subarray(start)));
          pendingBytes += chunk.length - start;
          if (pendingBytes > this.maxLineBytes) {
            skipping = true;
            pending = [];
            pendingBytes = 0;
            dropped++;
          }
        }
      }
    } catch (e) {
      // A failed commit stops the follower as in readNew; a corrupt stream only ends this file.
      if (commitFailed) throw e;
      this.o.log?.(`${f.name}: cannot decompress past byte ${pos} of its text: ${(e as Error).message}; going on with the current file`);
    }
    if (pendingBytes > 0) take(Buffer.alloc(0), pos);
    if (lines.length > 0 || dropped > 0) await flush();
  }

  /** The copy copytruncate made of the open file: a sibling with the same first bytes, at least as long as what was read. */
  private async drainCopy(cur: OpenFile): Promise<void> {
    const committed = cur.readPos - cur.pending.length;
    await this.drainPrevious({ path: this.o.path, dev: cur.dev, inode: cur.inode, offset: committed, fingerprint: cur.fingerprint, fingerprintLength: cur.fingerprintLength }, cur.inode);
  }

  /** Reads from `readPos` to the end, handing complete lines over in batches; `final` takes a partial last line too. */
  private async readNew(f: OpenFile, final: boolean): Promise<void> {
    const buf = Buffer.alloc(CHUNK);
    let lines: FollowedLine[] = [];
    let dropped = 0;
    for (;;) {
      const n = readSync(f.fd, buf, 0, CHUNK, f.readPos);
      if (n === 0) break;
      const chunkStart = f.readPos;
      let start = 0;
      let consumed = n;
      for (let i = 0; i < n; i++) {
        if (buf[i] !== NEWLINE) continue;
        if (f.skipping) f.skipping = false;
        else {
          const part = buf.subarray(start, i);
          const offset = chunkStart + start - f.pending.length;
          if (f.pending.length + part.length > this.maxLineBytes) dropped++;
          else lines.push({ text: (f.pending.length ? Buffer.concat([f.pending, part]) : part).toString('utf8').replace(/\r$/, ''), offset });
        }
        f.pending = EMPTY;
        start = i + 1;
        if (lines.length >= this.maxBatchLines) {
          // Hand this batch over; the rest of the chunk is read again from here.
          consumed = start;
          break;
        }
      }
      if (consumed === n && start < n && !f.skipping) {
        const tail = buf.subarray(start, n);
        f.pending = f.pending.length ? Buffer.concat([f.pending, tail]) : Buffer.from(tail);
        if (f.pending.length > this.maxLineBytes) {
          f.skipping = true;
          f.pending = EMPTY;
          dropped++;
        }
      }
      f.readPos = chunkStart + consumed;
      if (lines.length >= this.maxBatchLines) {
        await this.commit(lines, f, dropped);
        lines = [];
        dropped = 0;
      }
    }
    if (final && f.pending.length > 0) {
      lines.push({ text: f.pending.toString('utf8').replace(/\r$/, ''), offset: f.readPos - f.pending.length });
      f.pending = EMPTY;
    }
    if (final) f.skipping = false;
    if (lines.length > 0 || dropped > 0 || f.fingerprintLength < this.fpBytes) await this.commit(lines, f, dropped);
  }

  private async commit(lines: FollowedLine[], f: OpenFile, dropped = 0, force = false): Promise<void> {
    const committed = f.readPos - f.pending.length;
    if (f.fingerprintLength < this.fpBytes && !f.compressed) {
      const size = fstatSync(f.fd).size;
      if (size > f.fingerprintLength) {
        const fp = fingerprintOf(f.fd, Math.min(this.fpBytes, size));
        f.fingerprint = fp.fingerprint;
        f.fingerprintLength = fp.length;
      } else if (lines.length === 0 && dropped === 0 && !force) return;
    }
    this.dropped += dropped;
    await this.o.onLines(lines, { path: this.o.path, dev: f.dev, inode: f.inode, offset: committed, fingerprint: f.fingerprint, fingerprintLength: f.fingerprintLength }, dropped);
  }
}
