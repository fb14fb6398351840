import { createGunzip, type ZlibOptions } from 'node:zlib';
import { PalisadeError } from '../../model/errors.js';
import type { LayerRef } from '../../model/package.js';
import { hasherFor, shortDigest, verifyStream } from './digest.js';
import { gunzipOnThread } from './gunzip-thread.js';
import { checksumOk, cstring, numeric, parsePax } from './tar-index.js';
import type { ImageLimits } from './types.js';
import { zstdDecompress } from './zstd.js';

/** One archive entry of a layer, in archive order. */
export interface LayerEntry {
  /** Name as written in the archive (`./etc/passwd`, `usr/lib/`). */
  path: string;
  type: 'file' | 'dir' | 'symlink' | 'link' | 'other';
  /** Target of a symbolic or hard link. */
  linkname?: string;
  size: number;
  /** Reads the whole content; call at most once, before asking for the next entry. */
  read(): Promise<Buffer>;
}

/** A layer as the walker sees it. */
export interface LayerReader {
  ref: LayerRef;
  /** The entries, in archive order; what is not read is skipped when the next entry is asked for. */
  entries(budget: Budget): AsyncIterable<LayerEntry>;
  /** Reads one file directly, where the layer allows random access (a root file system folder). */
  readFile?(path: string, maxBytes: number): Promise<Buffer | undefined>;
}

/** Counts what one walk has streamed and stops it at the limits. */
export class Budget {
  bytes = 0;
  entries = 0;
  kept = 0;
  constructor(readonly limits: ImageLimits) {}

  addBytes(n: number, what: string): void {
    this.bytes += n;
    if (this.bytes > this.limits.maxTotalBytes) {
      throw new PalisadeError('E_IMAGE_LIMIT', `${what}: image expands to more than ${this.limits.maxTotalBytes} bytes (maxTotalBytes); refusing to read further (decompression bomb or a very large image)`);
    }
  }

  addEntry(what: string): void {
    if (++this.entries > this.limits.maxEntries) {
      throw new PalisadeError('E_IMAGE_LIMIT', `${what}: more than ${this.limits.maxEntries} archive entries (maxEntries)`);
    }
  }

  /** Checks a file before it is read into memory. */
  keep(size: number, path: string, what: string): void {
    if (size > this.limits.maxFileBytes) {
      throw new PalisadeError('E_IMAGE_LIMIT', `${what}: ${path} is ${size} bytes, over the ${this.limits.maxFileBytes}-byte limit for one kept file (maxFileBytes)`);
    }
    this.kept += size;
    if (this.kept > this.limits.maxKeptBytes) {
      throw new PalisadeError('E_IMAGE_LIMIT', `${what}: kept files add up to more than ${this.limits.maxKeptBytes} bytes (maxKeptBytes)`);
    }
  }
}

/** `layer 2 (sha256:0123456789ab)`, for messages. */
export function layerLabel(ref: LayerRef): string {
  return `layer ${ref.index} (${shortDigest(ref.digest)})`;
}

/** Wraps a non-Palisade failure (zlib, tar, socket) with the layer it happened in. */
export function wrapLayerError(e: unknown, what: string): PalisadeError {
  if (e instanceof PalisadeError) return e;
  const err = e as NodeJS.ErrnoException;
  const msg = err?.message ?? String(e);
  if (err?.code && /^Z_/.test(err.code)) return new PalisadeError('E_IMAGE_FORMAT', `${what}: gzip: ${msg}`);
  return new PalisadeError('E_IMAGE_FORMAT', `${what}: ${msg}`);
}

/**
 * Inflater settings. zlib inflates on the thread pool but needs a turn of the main thread after each output
 * piece (`chunkSize`, 16 KiB by default) and each input write; with node's 16 KiB stream buffers inflating
 * and parsing took turns instead of overlapping. Here: 1 MiB pieces, up to 4 MiB inflated ahead of the tar
 * parser, the download written in 1 MiB pieces (docs/benchmarks.md has the measurements).
 */
const GZIP_CHUNK = 1024 * 1024;
const GZIP_AHEAD = 4 * 1024 * 1024;
const GZIP_IN = 1024 * 1024;

/**
 * Inflates gzip (multi-member included) with node:zlib. A feeder loop writes the compressed chunks into the
 * inflater as they come, while the consumer reads what it has inflated, so that downloading, inflating on
 * the thread pool and parsing on the main thread overlap.
 */
async function* gunzip(source: AsyncIterable<Buffer>, what: string): AsyncGenerator<Buffer> {
  const gz = createGunzip({ chunkSize: GZIP_CHUNK, readableHighWaterMark: GZIP_AHEAD, writableHighWaterMark: GZIP_IN } as ZlibOptions);
  const it = source[Symbol.asyncIterator]();
  let failure: unknown;
  let stop = false;
  const writable = (): Promise<void> => new Promise((resolve) => {
    const done = (): void => {
      gz.off('drain', done);
      gz.off('close', done);
      resolve();
    };
    gz.on('drain', done);
    gz.on('close', done);
  });
  const feeding = (async () => {
    try {
      // Download chunks (64 KiB) are written in pieces of GZIP_IN: each write costs the inflater a turn of
      // the main thread.
      let parts: Buffer[] = [];
      let pending = 0;
      const flush = async (): Promise<void> => {
        const piece = parts.length === 1 ? parts[0] : Buffer.concat(parts, pending);
        parts = [];
        pending = 0;
        if (!gz.write(piece)) await writable();
      };
      for (;;) {
        const r = await it.next();
        if (r.done || stop || gz.destroyed) break;
        parts.push(r.value);
        pending += r.value.length;
        if (pending >= GZIP_IN) await flush();
      }
      if (pending > 0 && !stop && !gz.destroyed) await flush();
      if (!stop && !gz.destroyed) gz.end();
    } catch (e) {
      failure ??= e;
      gz.destroy(e as Error);
    } finally {
      // Closes the source (its file or connection) when the loop ended early; a no-op after its end.
      await it.return?.();
    }
  })();
  gz.on('error', (e) => {
    failure ??= e;
  });
  try {
    for await (const chunk of gz) yield chunk as Buffer;
    await feeding;
  } catch (e) {
    throw wrapLayerError(failure ?? e, what);
  } finally {
    // On an early exit the feeder sees `stop` at its next chunk; waiting for it here could mean waiting
    // for a stalled connection's timeout.
    stop = true;
    if (!gz.destroyed) gz.destroy();
  }
  if (failure) throw wrapLayerError(failure, what);
}

/** A source with its first bytes read: `head` (at least `n` bytes unless the source is shorter), and all of it again. */
async function peek(source: AsyncIterable<Buffer>, n: number): Promise<{ head: Buffer; all: AsyncIterable<Buffer> }> {
  const it = source[Symbol.asyncIterator]();
  let head: Buffer = Buffer.alloc(0);
  let ended = false;
  try {
    while (head.length < n) {
      const r = await it.next();
      if (r.done) {
        ended = true;
        break;
      }
      head = head.length ? Buffer.concat([head, r.value]) : r.value;
    }
  } catch (e) {
    await it.return?.();
    throw e;
  }
  const first = head;
  async function* all(): AsyncGenerator<Buffer> {
    try {
      if (first.length) yield first;
      while (!ended) {
        const r = await it.next();
        if (r.done) return;
        yield r.value;
      }
    } finally {
      await it.return?.();
    }
  }
  return { head, all: all() };
}

const isGzip = (head: Buffer): boolean => head[0] === 0x1f && head[1] === 0x8b;

/**
 * Detects the compression from the first bytes (gzip, zstd or none, as containerd does) and decompresses.
 */
export async function* decompress(source: AsyncIterable<Buffer>, what: string, maxZstdWindow: number): AsyncGenerator<Buffer> {
  const { head, all } = await peek(source, 6);
  if (isGzip(head)) yield* gunzip(all, what);
  else if (head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) yield* zstdDecompress(all, maxZstdWindow, what);
  else if (head.subarray(0, 3).toString('latin1') === 'BZh' || head.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) {
    await all[Symbol.asyncIterator]().return?.();
    throw new PalisadeError('E_IMAGE_FORMAT', `${what}: bzip2 and xz layers are not supported (only gzip, zstd and uncompressed tar)`);
  } else yield* all;
}

/** Counts decompressed bytes against the budget and, when a diff_id is known, verifies it. */
async function* countAndVerify(source: AsyncIterable<Buffer>, budget: Budget, diffId: string | undefined, what: string): AsyncGenerator<Buffer> {
  const hash = diffId ? hasherFor(diffId) : undefined;
  for await (const chunk of source) {
    budget.addBytes(chunk.length, what);
    hash?.update(chunk);
    yield chunk;
  }
  if (hash && diffId) {
    const got = `${diffId.slice(0, diffId.indexOf(':'))}:${hash.digest('hex')}`;
    if (got !== diffId) throw new PalisadeError('E_IMAGE_DIGEST', `${what}: uncompressed content does not match the config's diff_id (expected ${diffId}, got ${got})`);
  }
}

const BLOCK = 512;
/** Largest PAX or GNU long-name record accepted: real ones are a few hundred bytes. */
const MAX_META_BYTES = 1024 * 1024;
const EMPTY = Buffer.alloc(0);

/**
 * Bytes pulled from an async chunk source on demand. Skipping moves an offset through the chunks it
 * already has and drops the ones it passes; only bytes that are asked for are ever copied.
 */
class ChunkReader {
  private chunk: Buffer = EMPTY;
  private off = 0;
  private ended = false;

  constructor(private readonly it: AsyncIterator<Buffer>) {}

  /** Makes at least one unread byte available; false at the end of the source. */
  private async fill(): Promise<boolean> {
    while (this.off >= this.chunk.length) {
      if (this.ended) return false;
      const r = await this.it.next();
      if (r.done) {
        this.ended = true;
        this.chunk = EMPTY;
        this.off = 0;
        return false;
      }
      this.chunk = r.value;
      this.off = 0;
    }
    return true;
  }

  /** The next `n` bytes, fewer only at the end of the source. A view into the chunk when it holds them all. */
  async view(n: number): Promise<Buffer> {
    if (this.off + n <= this.chunk.length) {
      const b = this.chunk.subarray(this.off, this.off + n);
      this.off += n;
      return b;
    }
    return this.copy(n);
  }

  /** The next `n` bytes in a buffer of their own, fewer only at the end of the source. */
  async copy(n: number): Promise<Buffer> {
    const out = Buffer.allocUnsafe(n);
    let got = 0;
    while (got < n) {
      if (!(await this.fill())) return out.subarray(0, got);
      const k = Math.min(n - got, this.chunk.length - this.off);
      this.chunk.copy(out, got, this.off, this.off + k);
      this.off += k;
      got += k;
    }
    return out;
  }

  /** Passes over `n` bytes; returns how many there were. */
  async skip(n: number): Promise<number> {
    let left = n;
    for (;;) {
      const avail = this.chunk.length - this.off;
      if (avail >= left) {
        this.off += left;
        return n;
      }
      left -= avail;
      this.off = this.chunk.length;
      if (!(await this.fill())) return n - left;
    }
  }

  /** Reads the source to its end (so that the digests upstream are checked), discarding it. */
  async drain(): Promise<void> {
    this.off = this.chunk.length;
    while (await this.fill()) this.off = this.chunk.length;
  }
}

function isZeroBlock(h: Buffer): boolean {
  for (let i = 0; i < BLOCK; i++) if (h[i] !== 0) return false;
  return true;
}

function typeOf(flag: number, name: string): LayerEntry['type'] | undefined {
  switch (flag) {
    case 0: // NUL: pre-POSIX regular file, or a directory when the name ends in a slash
    case 0x30: // '0'
      return name.endsWith('/') ? 'dir' : 'file';
    case 0x37: // '7' contiguous file
      return 'file';
    case 0x31: // '1'
      return 'link';
    case 0x32: // '2'
      return 'symlink';
    case 0x35: // '5'
      return 'dir';
    case 0x33: // '3' character device
    case 0x34: // '4' block device
    case 0x36: // '6' FIFO
      return 'other';
    default:
      return undefined; // global PAX headers, GNU sparse and volume headers: not file system content
  }
}

/**
 * Parses a tar stream one entry at a time: ustar and pre-POSIX headers, PAX `path`, `linkpath` and `size`
 * records, GNU long names and links, GNU base-256 sizes. Entry content is copied only when `read` is
 * called; the rest is skipped by moving an offset over the decompressed chunks. The source is read to its
 * end even after the end-of-archive blocks, so that a digest computed upstream covers the whole blob.
 */
export async function* tarEntries(source: AsyncIterable<Buffer>, what: string): AsyncGenerator<LayerEntry> {
  const it = source[Symbol.asyncIterator]();
  const src = new ChunkReader(it);
  let offset = 0;
  const bad = (why: string): PalisadeError => new PalisadeError('E_IMAGE_FORMAT', `${what}: not a valid tar archive (${why} at offset ${offset})`);
  let finished = false;
  try {
    let pax: Record<string, string> | undefined;
    let longName: string | undefined;
    let longLink: string | undefined;
    for (;;) {
      const h = await src.view(BLOCK);
      if (h.length === 0) break; // no end-of-archive blocks: tolerated, as GNU tar does
      if (h.length < BLOCK) throw bad('unexpected end of data in a header');
      if (isZeroBlock(h)) {
        await src.drain();
        break;
      }
      if (!checksumOk(h)) throw bad('bad header checksum');
      const flag = h[156];
      let size = numeric(h, 124, 12);
      if (flag === 0x78 /* x */ || flag === 0x4c /* L */ || flag === 0x4b /* K */) {
        if (size > MAX_META_BYTES) throw bad(`extended header of ${size} bytes`);
        const data = await src.copy(size);
        const pad = (BLOCK - (size % BLOCK)) % BLOCK;
        if (data.length < size || (await src.skip(pad)) < pad) throw bad('unexpected end of data in an extended header');
        if (flag === 0x78) pax = { ...pax, ...parsePax(data) };
        else if (flag === 0x4c) longName = cstring(data, 0, data.length);
        else longLink = cstring(data, 0, data.length);
        offset += BLOCK + size + pad;
        continue;
      }
      let name = cstring(h, 0, 100);
      // POSIX ustar splits long names into a prefix; GNU's magic ("ustar  ") uses that field for times.
      if (h[257] === 0x75 && h.toString('latin1', 257, 263) === 'ustar\0') {
        const prefix = cstring(h, 345, 155);
        if (prefix) name = `${prefix}/${name}`;
      }
      if (longName !== undefined) name = longName;
      if (pax?.path !== undefined) name = pax.path;
      let linkname = cstring(h, 157, 100);
      if (longLink !== undefined) linkname = longLink;
      if (pax?.linkpath !== undefined) linkname = pax.linkpath;
      if (pax?.size !== undefined) {
        const n = Number(pax.size);
        if (!Number.isSafeInteger(n) || n < 0) throw bad(`PAX size ${JSON.stringify(pax.size)}`);
        size = n;
      }
      pax = longName = longLink = undefined;
      const type = typeOf(flag, name);
      // Links, folders and devices carry no data whatever their size field says.
      if (type !== undefined && type !== 'file') size = 0;
      const padded = size + ((BLOCK - (size % BLOCK)) % BLOCK);
      offset += BLOCK;
      if (type === undefined) {
        if ((await src.skip(padded)) < padded) throw bad('unexpected end of data');
        offset += padded;
        continue;
      }
      let consumed = false;
      const entry: LayerEntry = {
        path: name,
        type,
        linkname: linkname || undefined,
        size,
        read: async () => {
          if (consumed) throw new Error(`${what}: ${name} read twice`);
          consumed = true;
          const data = await src.copy(size);
          if (data.length < size) throw bad(`unexpected end of data in ${name}`);
          return data;
        },
      };
      yield entry;
      const rest = consumed ? padded - size : padded;
      if ((await src.skip(rest)) < rest) throw bad(`unexpected end of data in ${name}`);
      offset += padded;
    }
    finished = true;
  } catch (e) {
    throw wrapLayerError(e, what);
  } finally {
    // An early exit (an error, or a consumer that stopped) closes the source and its file or connection.
    if (!finished) await it.return?.();
  }
}

/** What a compressed layer blob needs: where its bytes come from and what they must hash to. */
export interface BlobLayerSpec {
  ref: LayerRef;
  /** Expected blob size, when a descriptor gives it. */
  size?: number;
  /** Opens the raw (possibly compressed) blob bytes. */
  open(): AsyncIterable<Buffer>;
  limits: ImageLimits;
  /**
   * False when `ref.digest` is not the blob's own digest but its diff_id (a legacy `docker save` archive
   * records no blob digests): then only the uncompressed content is verified, against the diff_id.
   */
  blobDigestKnown?: boolean;
}

/**
 * The tar of a blob layer, verified: gzip blobs go through the layer thread (`gunzip-thread.ts`: blob
 * digest and size, inflating and diff_id there); zstd and uncompressed blobs, or every blob where there is no
 * layer thread, are verified, decompressed and hashed here.
 */
async function* layerTar(spec: BlobLayerSpec, budget: Budget, what: string): AsyncGenerator<Buffer> {
  const { ref } = spec;
  const known = spec.blobDigestKnown !== false;
  // An uncompressed blob's digest is its diff_id: verified once already.
  const diffId = ref.diffId && (!known || ref.diffId !== ref.digest) ? ref.diffId : undefined;
  const { head, all } = await peek(spec.open(), 2);
  const threaded = isGzip(head) ? gunzipOnThread(all, { digest: known ? ref.digest : undefined, size: known ? spec.size : undefined, diffId, what }) : undefined;
  if (threaded) {
    for await (const chunk of threaded) {
      budget.addBytes(chunk.length, what);
      yield chunk;
    }
    return;
  }
  const verified = known ? verifyStream(all, ref.digest, spec.size, what) : all;
  yield* countAndVerify(decompress(verified, what, spec.limits.maxZstdWindowBytes), budget, diffId, what);
}

/** A layer read from a blob: verified (digest, size, diff_id), decompressed and parsed while streaming. */
export function blobLayer(spec: BlobLayerSpec): LayerReader {
  const what = layerLabel(spec.ref);
  return {
    ref: spec.ref,
    entries: (budget: Budget): AsyncIterable<LayerEntry> => tarEntries(layerTar(spec, budget, what), what),
  };
}
