import { createReadStream, openSync, readSync, closeSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
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

async function feed(lines: AsyncIterable<string>, parser: AuditLogParser): Promise<void> {
  for await (const line of lines) parser.pushLine(line);
  parser.end();
}

/** Streams one file (gzip sniffed from its first bytes, whatever its name) line by line into the sink. */
async function readFile(path: string, sink: AuditSink): Promise<void> {
  const parser = new AuditLogParser(path, sink);
  const raw = createReadStream(path);
  const input = isGzipFile(path) ? raw.pipe(createGunzip()) : raw;
  // A corrupt gzip stream errors on the gunzip side only: surface it through the readline loop.
  raw.on('error', (e) => input.destroy(e));
  await feed(createInterface({ input, crlfDelay: Infinity }), parser);
}

/** Reads standard input whole (it cannot be sniffed and re-read), gunzipping it when it starts with the gzip magic. */
async function readStdin(stdin: NodeJS.ReadableStream, sink: AuditSink): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const c of stdin) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
  let buf = Buffer.concat(chunks);
  if (buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) buf = gunzipSync(buf);
  const parser = new AuditLogParser('-', sink);
  await feed(createInterface({ input: Readable.from([buf]), crlfDelay: Infinity }), parser);
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
