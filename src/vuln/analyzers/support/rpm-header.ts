/**
 * The RPM header structure as rpm stores it in its database (a header "blob": no lead, no magic): a
 * big-endian count of index entries `il` and size of the data store `dl`, then `il` entries of 16 bytes
 * (tag, type, offset into the store, count), then the store. Documented in rpm's `doc/manual/format.md`
 * ("Header structure") and `lib/header.c`.
 */

/** The tags Palisade reads (rpm's `rpmtag.h`). */
export const RPMTAG = {
  NAME: 1000,
  VERSION: 1001,
  RELEASE: 1002,
  EPOCH: 1003,
  VENDOR: 1011,
  LICENSE: 1014,
  ARCH: 1022,
  SOURCERPM: 1044,
  MODULARITYLABEL: 5096,
} as const;

/** Entry data types (`rpmTagType`). */
const TYPE = { CHAR: 1, INT8: 2, INT16: 3, INT32: 4, INT64: 5, STRING: 6, BIN: 7, STRING_ARRAY: 8, I18NSTRING: 9 } as const;

/** rpm refuses headers with more tags or a larger store than these (`HEADER_TAGS_MAX`, `HEADER_DATA_MAX`). */
const MAX_ENTRIES = 0xffff;
const MAX_DATA = 256 * 1024 * 1024;

interface Entry {
  type: number;
  offset: number;
  count: number;
}

/** A parsed header: typed access to the tags it carries. */
export class RpmHeader {
  private readonly entries = new Map<number, Entry>();
  private readonly store: Buffer;

  private constructor(store: Buffer) {
    this.store = store;
  }

  /** Parses a header blob; throws an `Error` naming what is wrong when the blob is malformed. */
  static parse(blob: Buffer): RpmHeader {
    if (blob.length < 8) throw new Error(`header blob of ${blob.length} bytes is too short`);
    const il = blob.readUInt32BE(0);
    const dl = blob.readUInt32BE(4);
    if (il === 0 || il > MAX_ENTRIES) throw new Error(`header has an impossible number of entries (${il})`);
    if (dl > MAX_DATA) throw new Error(`header data store is too large (${dl} bytes)`);
    const storeStart = 8 + il * 16;
    if (storeStart + dl > blob.length) throw new Error(`header is truncated (needs ${storeStart + dl} bytes, has ${blob.length})`);
    const h = new RpmHeader(blob.subarray(storeStart, storeStart + dl));
    for (let i = 0; i < il; i++) {
      const p = 8 + i * 16;
      const tag = blob.readUInt32BE(p);
      const type = blob.readUInt32BE(p + 4);
      const offset = blob.readUInt32BE(p + 8);
      const count = blob.readUInt32BE(p + 12);
      if (offset > dl) throw new Error(`tag ${tag} points outside the data store`);
      // The first occurrence wins (a region's own copy comes first; rpm never writes a tag twice).
      if (!h.entries.has(tag)) h.entries.set(tag, { type, offset, count });
    }
    return h;
  }

  has(tag: number): boolean {
    return this.entries.has(tag);
  }

  /** A STRING or the first element of a STRING_ARRAY / I18NSTRING. */
  string(tag: number): string | undefined {
    const e = this.entries.get(tag);
    if (!e || (e.type !== TYPE.STRING && e.type !== TYPE.STRING_ARRAY && e.type !== TYPE.I18NSTRING)) return undefined;
    return this.cString(e.offset);
  }

  /** All elements of a STRING_ARRAY (or the one STRING). */
  strings(tag: number): string[] {
    const e = this.entries.get(tag);
    if (!e) return [];
    if (e.type === TYPE.STRING) return [this.cString(e.offset)];
    if (e.type !== TYPE.STRING_ARRAY && e.type !== TYPE.I18NSTRING) return [];
    const out: string[] = [];
    let p = e.offset;
    for (let i = 0; i < e.count && p < this.store.length; i++) {
      const s = this.cString(p);
      out.push(s);
      p += Buffer.byteLength(s, 'utf8') + 1;
    }
    return out;
  }

  /** The first value of an integer tag. */
  int(tag: number): number | undefined {
    const e = this.entries.get(tag);
    if (!e || e.count < 1) return undefined;
    const s = this.store;
    switch (e.type) {
      case TYPE.CHAR:
      case TYPE.INT8:
        return e.offset + 1 <= s.length ? s.readUInt8(e.offset) : undefined;
      case TYPE.INT16:
        return e.offset + 2 <= s.length ? s.readUInt16BE(e.offset) : undefined;
      case TYPE.INT32:
        return e.offset + 4 <= s.length ? s.readUInt32BE(e.offset) : undefined;
      case TYPE.INT64:
        return e.offset + 8 <= s.length ? Number(s.readBigUInt64BE(e.offset)) : undefined;
      default:
        return undefined;
    }
  }

  private cString(offset: number): string {
    let end = this.store.indexOf(0, offset);
    if (end < 0) end = this.store.length;
    return this.store.toString('utf8', offset, end);
  }
}

/**
 * Splits a source RPM file name into name, version and release:
 * `openssl-3.0.7-27.el9.src.rpm` -> `{ name: 'openssl', version: '3.0.7', release: '27.el9' }`.
 * Returns undefined when the name does not have that shape.
 */
export function parseSourceRpm(file: string): { name: string; version: string; release: string } | undefined {
  const m = /^(.+)-([^-]+)-([^-]+)\.(?:no)?src\.rpm$/.exec(file.trim());
  return m ? { name: m[1], version: m[2], release: m[3] } : undefined;
}
