import { Readable, pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { extract as tarExtract } from 'tar-stream';
import { PalisadeError } from '../../model/errors.js';
import type { LayerRef } from '../../model/package.js';
import { hasherFor, shortDigest, verifyStream } from './digest.js';
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

async function* gunzip(source: AsyncIterable<Buffer>, what: string): AsyncGenerator<Buffer> {
  const input = Readable.from(source, { objectMode: false });
  const gz = createGunzip({ chunkSize: 128 * 1024 });
  let failure: unknown;
  const out = pipeline(input, gz, (e) => {
    if (e) failure ??= e;
  });
  try {
    for await (const chunk of out) yield chunk as Buffer;
  } catch (e) {
    throw wrapLayerError(failure ?? e, what);
  } finally {
    input.destroy();
    gz.destroy();
  }
  if (failure) throw wrapLayerError(failure, what);
}

/**
 * Detects the compression from the first bytes (gzip, zstd or none, as containerd does) and decompresses.
 */
export async function* decompress(source: AsyncIterable<Buffer>, what: string, maxZstdWindow: number): AsyncGenerator<Buffer> {
  const it = source[Symbol.asyncIterator]();
  let head: Buffer = Buffer.alloc(0);
  let ended = false;
  try {
    while (head.length < 6) {
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
  async function* rest(): AsyncGenerator<Buffer> {
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
  if (head[0] === 0x1f && head[1] === 0x8b) yield* gunzip(rest(), what);
  else if (head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) yield* zstdDecompress(rest(), maxZstdWindow, what);
  else if (head.subarray(0, 3).toString('latin1') === 'BZh' || head.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) {
    await it.return?.();
    throw new PalisadeError('E_IMAGE_FORMAT', `${what}: bzip2 and xz layers are not supported (only gzip, zstd and uncompressed tar)`);
  } else yield* rest();
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

type TarSource = AsyncIterable<Buffer> & NodeJS.EventEmitter & { header: { name: string; type: string; linkname?: string | null; size?: number }; resume(): unknown };

function entryType(t: string): LayerEntry['type'] | undefined {
  switch (t) {
    case 'file':
    case 'contiguous-file':
      return 'file';
    case 'directory':
      return 'dir';
    case 'symlink':
      return 'symlink';
    case 'link':
      return 'link';
    case 'character-device':
    case 'block-device':
    case 'fifo':
      return 'other';
    default:
      return undefined;
  }
}

/**
 * Parses a tar stream with tar-stream, one entry at a time. The feeder writes into the parser with
 * backpressure; what the consumer does not read is drained before the next entry.
 */
export async function* tarEntries(source: AsyncIterable<Buffer>, what: string): AsyncGenerator<LayerEntry> {
  const extract = tarExtract();
  let feedError: unknown;
  const it = source[Symbol.asyncIterator]();
  let stop = false;
  const waitDrain = (): Promise<void> => new Promise((resolve) => {
    const done = (): void => {
      extract.off('drain', done);
      extract.off('close', done);
      resolve();
    };
    extract.on('drain', done);
    extract.on('close', done);
  });
  const feeding = (async () => {
    try {
      for (;;) {
        const r = await it.next();
        if (r.done || stop) break;
        if (extract.destroyed) break;
        if (!extract.write(r.value)) await waitDrain();
      }
      if (!stop && !extract.destroyed) extract.end(undefined);
    } catch (e) {
      feedError = e;
      extract.destroy(e as Error);
    } finally {
      // Closes the source (and its file or connection) when the loop ended early; a no-op after its end.
      await it.return?.();
    }
  })();
  try {
    for await (const raw of extract as unknown as AsyncIterable<TarSource>) {
      const h = raw.header;
      const type = entryType(h.type);
      if (type === undefined) {
        await drain(raw);
        continue;
      }
      let consumed = false;
      const entry: LayerEntry = {
        path: h.name,
        type,
        linkname: h.linkname ?? undefined,
        size: h.size ?? 0,
        read: async () => {
          consumed = true;
          const chunks: Buffer[] = [];
          for await (const c of raw) chunks.push(c);
          return Buffer.concat(chunks);
        },
      };
      yield entry;
      if (!consumed) await drain(raw);
    }
    await feeding;
    if (feedError) throw feedError;
  } catch (e) {
    throw wrapLayerError(feedError ?? e, what);
  } finally {
    // On an early exit the feeder notices `stop` at its next chunk and closes the source then; waiting
    // for it here could mean waiting for a stalled connection's timeout.
    stop = true;
    if (!extract.destroyed) extract.destroy();
  }
}

async function drain(s: AsyncIterable<Buffer>): Promise<void> {
  for await (const _ of s) {
    // discard
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

/** A layer read from a blob: verified (digest, size, diff_id), decompressed and parsed while streaming. */
export function blobLayer(spec: BlobLayerSpec): LayerReader {
  const { ref } = spec;
  const what = layerLabel(ref);
  return {
    ref,
    entries(budget: Budget): AsyncIterable<LayerEntry> {
      const known = spec.blobDigestKnown !== false;
      const verified = known ? verifyStream(spec.open(), ref.digest, spec.size, what) : spec.open();
      const plain = decompress(verified, what, spec.limits.maxZstdWindowBytes);
      // An uncompressed blob's digest is its diff_id: verified once already.
      const diffId = ref.diffId && (!known || ref.diffId !== ref.digest) ? ref.diffId : undefined;
      return tarEntries(countAndVerify(plain, budget, diffId, what), what);
    },
  };
}
