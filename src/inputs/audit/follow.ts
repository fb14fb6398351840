import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readdirSync, readSync, statSync, type Stats } from 'node:fs';
import { basename, dirname, join } from 'node:path';
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
    let best: { path: string; st: Stats; byInode: boolean } | undefined;
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
      if (!st?.isFile() || String(st.ino) === currentInode || st.size < p.offset) continue;
      let fd: number;
      try {
        fd = openSync(path, 'r');
      } catch {
        continue;
      }
      try {
        const fp = fingerprintOf(fd, p.fingerprintLength);
        if (fp.length !== p.fingerprintLength || fp.fingerprint !== p.fingerprint) continue;
      } finally {
        closeSync(fd);
      }
      const byInode = String(st.ino) === p.inode && String(st.dev) === p.dev;
      if (!best || (byInode && !best.byInode)) best = { path, st, byInode };
    }
    if (!best) {
      if (p.offset > 0) this.o.log?.(`${this.o.path}: the previous file (inode ${p.inode}) was not found next to it; lines written to it after byte ${p.offset} are missed`);
      return;
    }
    const fd = openSync(best.path, 'r');
    const file: OpenFile = { fd, name: best.path, dev: String(best.st.dev), inode: String(best.st.ino), readPos: p.offset, pending: Buffer.alloc(0), skipping: false, fingerprint: p.fingerprint, fingerprintLength: p.fingerprintLength };
    try {
      await this.readNew(file, true);
    } finally {
      closeSync(fd);
    }
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
    if (f.fingerprintLength < this.fpBytes) {
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
