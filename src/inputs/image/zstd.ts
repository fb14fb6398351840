import { Decompress } from 'fzstd';
import { PalisadeError } from '../../model/errors.js';

const ZSTD_MAGIC = 0xfd2fb528;
/** Largest block a conforming frame may carry (Block_Maximum_Size). */
const MAX_BLOCK = 128 * 1024;

type State = 'magic' | 'header' | 'blockHeader' | 'blockBody' | 'checksum' | 'skipSize' | 'skipBody';

/**
 * Reads the frame structure of a zstd stream (headers and block sizes only, never the compressed data) so
 * that the decoder is fed one block at a time and never asked for a window larger than the limit. fzstd
 * allocates the window a frame header declares (up to 2 GiB) and decodes every block it is given in one
 * synchronous call, so without this a few hundred bytes could claim gigabytes of memory before any size
 * limit downstream sees a byte.
 */
class FrameGuard {
  private state: State = 'magic';
  private buf: number[] = [];
  private need = 4;
  private remaining = 0;
  private checksum = false;
  private blockMax = MAX_BLOCK;
  private lastBlock = false;
  /** Set when a block has just ended: the decoder is fed up to here. */
  private cut = false;

  constructor(private readonly maxWindow: number, private readonly what: string) {}

  /** True at a frame boundary, where the stream may end. */
  get atBoundary(): boolean {
    return this.state === 'magic' && this.buf.length === 0;
  }

  /** Splits a chunk after each block end; throws on frames the decoder must not be given. */
  split(chunk: Uint8Array): Uint8Array[] {
    const out: Uint8Array[] = [];
    let start = 0;
    let i = 0;
    while (i < chunk.length) {
      if (this.state === 'blockBody' || this.state === 'skipBody') {
        const take = Math.min(this.remaining, chunk.length - i);
        i += take;
        this.remaining -= take;
        if (this.remaining === 0) this.endBody();
      } else {
        this.buf.push(chunk[i++]);
        if (this.buf.length >= this.need) this.onField();
      }
      if (this.cut) {
        this.cut = false;
        out.push(chunk.subarray(start, i));
        start = i;
      }
    }
    if (start < chunk.length) out.push(chunk.subarray(start));
    return out;
  }

  private fail(message: string): never {
    throw new PalisadeError('E_IMAGE_FORMAT', `${this.what}: zstd: ${message}`);
  }

  private endBody(): void {
    if (this.state === 'blockBody') this.cut = true;
    if (this.state === 'skipBody') {
      this.state = 'magic';
      this.need = 4;
    } else if (this.lastBlock) {
      if (this.checksum) {
        this.state = 'checksum';
        this.need = 4;
      } else {
        this.state = 'magic';
        this.need = 4;
      }
    } else {
      this.state = 'blockHeader';
      this.need = 3;
    }
  }

  private onField(): void {
    const b = this.buf;
    switch (this.state) {
      case 'magic': {
        const magic = (b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24)) >>> 0;
        if (magic === ZSTD_MAGIC) {
          this.state = 'header';
          this.need = 5;
          return;
        }
        if ((magic & 0xfffffff0) >>> 0 === 0x184d2a50) {
          this.buf = [];
          this.state = 'skipSize';
          this.need = 4;
          return;
        }
        this.fail('not a zstd frame (bad magic number)');
        break;
      }
      case 'header': {
        const fhd = b[4];
        const fcsFlag = fhd >> 6;
        const single = (fhd >> 5) & 1;
        const dictFlag = fhd & 3;
        if (fhd & 8) this.fail('reserved frame header bit set');
        const dictBytes = [0, 1, 2, 4][dictFlag];
        const fcsBytes = [single ? 1 : 0, 2, 4, 8][fcsFlag];
        const total = 5 + (single ? 0 : 1) + dictBytes + fcsBytes;
        if (b.length < total) {
          this.need = total;
          return;
        }
        let p = 5;
        let window = 0;
        if (!single) {
          const wd = b[p++];
          const log = 10 + (wd >> 3);
          const base = 2 ** log;
          window = base + (base / 8) * (wd & 7);
        }
        let dictId = 0;
        for (let k = 0; k < dictBytes; k++) dictId += b[p++] * 2 ** (8 * k);
        if (dictId !== 0) this.fail(`frame needs dictionary ${dictId}; zstd dictionaries are not supported`);
        let fcs = 0;
        for (let k = 0; k < fcsBytes; k++) fcs += b[p++] * 2 ** (8 * k);
        if (fcsBytes === 2) fcs += 256;
        if (single) window = fcs;
        if (window > this.maxWindow) {
          throw new PalisadeError('E_IMAGE_LIMIT', `${this.what}: zstd frame asks for a ${window}-byte window, over the ${this.maxWindow}-byte limit (maxZstdWindowBytes)`);
        }
        this.blockMax = Math.min(MAX_BLOCK, Math.max(window, 1));
        this.checksum = ((fhd >> 2) & 1) === 1;
        this.buf = [];
        this.state = 'blockHeader';
        this.need = 3;
        return;
      }
      case 'blockHeader': {
        const h = b[0] | (b[1] << 8) | (b[2] << 16);
        this.buf = [];
        this.lastBlock = (h & 1) === 1;
        const type = (h >> 1) & 3;
        const size = h >>> 3;
        if (type === 3) this.fail('reserved block type');
        if (size > this.blockMax) this.fail(`block of ${size} bytes is larger than the ${this.blockMax}-byte maximum`);
        this.remaining = type === 1 ? 1 : size;
        this.state = 'blockBody';
        if (this.remaining === 0) this.endBody();
        return;
      }
      case 'checksum':
        this.buf = [];
        this.state = 'magic';
        this.need = 4;
        return;
      case 'skipSize':
        this.remaining = (b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24)) >>> 0;
        this.buf = [];
        this.state = 'skipBody';
        if (this.remaining === 0) this.endBody();
        return;
      default:
        return;
    }
  }
}

/**
 * Decompresses a zstd stream (one or more frames) chunk by chunk with fzstd, a maintained pure-JavaScript
 * decoder: Node 20's zlib has no zstd. Each yielded chunk is at most one block (128 KiB), so memory stays
 * bounded and the consumer's pace is respected.
 */
export async function* zstdDecompress(source: AsyncIterable<Buffer>, maxWindow: number, what: string): AsyncGenerator<Buffer> {
  const guard = new FrameGuard(maxWindow, what);
  const ready: Uint8Array[] = [];
  const decoder = new Decompress((data) => {
    if (data.length) ready.push(data);
  });
  const push = (slice: Uint8Array, final: boolean): void => {
    try {
      decoder.push(slice, final);
    } catch (e) {
      throw new PalisadeError('E_IMAGE_FORMAT', `${what}: zstd: ${(e as Error).message || 'invalid data'}`);
    }
  };
  let any = false;
  for await (const chunk of source) {
    if (chunk.length) any = true;
    for (const slice of guard.split(chunk)) {
      push(slice, false);
      while (ready.length) {
        const d = ready.shift() as Uint8Array;
        yield Buffer.from(d.buffer, d.byteOffset, d.length);
      }
    }
  }
  if (!any) throw new PalisadeError('E_IMAGE_FORMAT', `${what}: zstd: empty stream`);
  if (!guard.atBoundary) throw new PalisadeError('E_IMAGE_FORMAT', `${what}: zstd: stream ends inside a frame (truncated)`);
  push(new Uint8Array(0), true);
  while (ready.length) {
    const d = ready.shift() as Uint8Array;
    yield Buffer.from(d.buffer, d.byteOffset, d.length);
  }
}
