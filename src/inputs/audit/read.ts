import { createReadStream, openSync, readSync, closeSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip, gunzipSync } from 'node:zlib';
import { AuditLogParser, type AuditSink } from './parse.js';

/** File names read when a folder is given. */
const LOG_FILE = /\.(json|jsonl|ndjson|log|txt)(\.gz)?$|\.gz$/i;

function isGzipFile(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const b = Buffer.alloc(2);
    return readSync(fd, b, 0, 2, 0) === 2 && b[0] === 0x1f && b[1] === 0x8b;
  } finally {
    closeSync(fd);
  }
}

/**
 * Splits text into lines the way `readline` does with `crlfDelay: Infinity` (a line ends at `\n`, `\r\n` or a lone
 * `\r`; a last line without an end is a line too), but hands them to `line` synchronously, chunk by chunk: readline's
 * async iterator costs a promise per line, which for a log of short events is a good part of reading it.
 */
export class LineSplitter {
  private readonly pending: string[] = [];
  /** The previous chunk ended with `\r`: a `\n` starting the next one belongs to it. */
  private skipLF = false;

  constructor(private readonly line: (text: string) => void) {}

  private emit(piece: string): void {
    if (this.pending.length === 0) {
      this.line(piece);
      return;
    }
    this.pending.push(piece);
    const text = this.pending.join('');
    this.pending.length = 0;
    this.line(text);
  }

  /** Feeds decoded text. */
  push(c: string): void {
    const len = c.length;
    if (len === 0) return;
    let start = 0;
    if (this.skipLF) {
      this.skipLF = false;
      if (c.charCodeAt(0) === 10) start = 1;
    }
    if (c.indexOf('\r', start) === -1) {
      for (let j = c.indexOf('\n', start); j !== -1; j = c.indexOf('\n', start)) {
        this.emit(c.slice(start, j));
        start = j + 1;
      }
    } else {
      for (let j = start; j < len; j++) {
        const ch = c.charCodeAt(j);
        if (ch !== 10 && ch !== 13) continue;
        this.emit(c.slice(start, j));
        if (ch === 13) {
          if (j + 1 === len) this.skipLF = true;
          else if (c.charCodeAt(j + 1) === 10) j++;
        }
        start = j + 1;
      }
    }
    if (start < len) this.pending.push(start === 0 ? c : c.slice(start));
  }

  /** Ends the text: a last line without a line end is handed over. */
  end(): void {
    if (this.pending.length > 0) this.emit('');
  }
}

/** Reads a byte or text stream to its end, as UTF-8 lines (see LineSplitter). */
export async function forEachLine(input: AsyncIterable<unknown> | Iterable<unknown>, line: (text: string) => void): Promise<void> {
  const decoder = new StringDecoder('utf8');
  const splitter = new LineSplitter(line);
  for await (const c of input) splitter.push(typeof c === 'string' ? c : decoder.write(c as Buffer));
  splitter.push(decoder.end());
  splitter.end();
}

async function feed(input: AsyncIterable<unknown> | Iterable<unknown>, parser: AuditLogParser): Promise<void> {
  await forEachLine(input, (l) => parser.pushLine(l));
  parser.end();
}

/** Streams one file (gzip sniffed from its first bytes, whatever its name) line by line into the sink. */
async function readFile(path: string, sink: AuditSink): Promise<void> {
  const parser = new AuditLogParser(path, sink);
  const raw = createReadStream(path, { highWaterMark: 256 * 1024 });
  const input = isGzipFile(path) ? raw.pipe(createGunzip()) : raw;
  // A corrupt gzip stream errors on the gunzip side only: surface it through the read loop.
  raw.on('error', (e) => input.destroy(e));
  await feed(input, parser);
}

/** Reads standard input whole (it cannot be sniffed and re-read), gunzipping it when it starts with the gzip magic. */
async function readStdin(stdin: NodeJS.ReadableStream, sink: AuditSink): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const c of stdin) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
  let buf = Buffer.concat(chunks);
  if (buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) buf = gunzipSync(buf);
  const parser = new AuditLogParser('-', sink);
  await feed([buf], parser);
}

/** Files under a folder (recursively, sorted), limited to log-like names; hidden entries are ignored. */
function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    if (name.startsWith('.')) continue;
    const p = join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) out.push(...filesUnder(p));
    else if (st.isFile() && LOG_FILE.test(name)) out.push(p);
  }
  return out;
}

/**
 * Reads audit logs from files, folders and `-` (standard input), in the order given. Every problem (a missing
 * file, a corrupt gzip stream, a bad line) goes to `sink.error` with the file and line; reading goes on with the
 * next line or file.
 */
export async function readAuditSources(paths: readonly string[], sink: AuditSink, stdin: NodeJS.ReadableStream = process.stdin): Promise<void> {
  for (const path of paths) {
    if (path === '-') {
      try {
        await readStdin(stdin, sink);
      } catch (e) {
        sink.error({ code: 'E_READ', message: `cannot read standard input: ${(e as Error).message}`, file: '-' });
      }
      continue;
    }
    let files: string[];
    try {
      files = statSync(path).isDirectory() ? filesUnder(path) : [path];
    } catch (e) {
      sink.error({ code: 'E_READ', message: `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, file: path });
      continue;
    }
    for (const file of files) {
      try {
        await readFile(file, sink);
      } catch (e) {
        sink.error({ code: 'E_READ', message: `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, file });
      }
    }
  }
}
