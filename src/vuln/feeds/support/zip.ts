import { inflateSync } from 'fflate';
import { crc32 } from 'node:zlib';

/**
 * A small zip reader for feed archives (OSV's `all.zip`): it reads the central directory, then inflates one
 * entry at a time, so memory holds the archive plus one record rather than every record at once. Every entry
 * is checked against its declared size and CRC-32: a mismatch means the download is damaged, and the caller
 * drops the whole document. ZIP64 is supported (an ecosystem archive holds well over 65,535 records).
 */

/** One entry of the central directory. */
export interface ZipEntry {
  name: string;
  /** 0 stored, 8 deflate; others are refused when read. */
  method: number;
  flags: number;
  crc: number;
  compressedSize: number;
  size: number;
  localHeaderOffset: number;
}

/** Limits that keep a hostile or broken archive from taking all memory. */
export interface ZipLimits {
  maxEntries: number;
  /** Largest uncompressed entry. */
  maxEntryBytes: number;
  /** Sum of all uncompressed entries. */
  maxTotalBytes: number;
}

/** Defaults for advisory archives: OSV records are a few kilobytes, the largest ecosystem a few gigabytes in all. */
export const DEFAULT_ZIP_LIMITS: ZipLimits = {
  maxEntries: 2_000_000,
  maxEntryBytes: 64 * 1024 * 1024,
  maxTotalBytes: 8 * 1024 * 1024 * 1024,
};

type Result<T> = { ok: true; value: T } | { ok: false; message: string };

const SIG_EOCD = 0x06054b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;
const SIG_ZIP64_EOCD = 0x06064b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_LOCAL = 0x04034b50;

function u64(view: DataView, at: number): number {
  const v = view.getBigUint64(at, true);
  return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.POSITIVE_INFINITY : Number(v);
}

/** Reads the central directory of `bytes`; fails when the archive is not a zip, is truncated or breaks a limit. */
export function readZipDirectory(bytes: Uint8Array, limits: ZipLimits = DEFAULT_ZIP_LIMITS): Result<ZipEntry[]> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 22) return { ok: false, message: `not a zip archive (${bytes.length} bytes)` };
  // The end-of-central-directory record is in the last 22 + 65,535 (comment) bytes.
  let eocd = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 0xffff); i--) {
    if (view.getUint32(i, true) === SIG_EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) return { ok: false, message: 'not a zip archive, or truncated (no end of central directory record)' };
  let count = view.getUint16(eocd + 10, true);
  let cdSize = view.getUint32(eocd + 12, true);
  let cdOffset = view.getUint32(eocd + 16, true);
  // ZIP64: the 16- and 32-bit fields are all ones and a locator before the end record points at 64-bit ones.
  // A count of exactly 0xffff with no locator is a plain archive of that many entries (or more, wrapped).
  const loc = eocd - 20;
  const zip64 = (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) && loc >= 0 && view.getUint32(loc, true) === SIG_ZIP64_LOCATOR;
  if (zip64) {
    const z = u64(view, loc + 8);
    if (!(z + 56 <= bytes.length) || view.getUint32(z, true) !== SIG_ZIP64_EOCD) return { ok: false, message: 'ZIP64 end of central directory record missing or out of bounds' };
    count = u64(view, z + 32);
    cdSize = u64(view, z + 40);
    cdOffset = u64(view, z + 48);
  } else if (cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    return { ok: false, message: 'ZIP64 archive without a ZIP64 locator' };
  }
  if (count > limits.maxEntries) return { ok: false, message: `${count} entries, over the limit of ${limits.maxEntries}` };
  if (!(cdOffset + cdSize <= bytes.length)) return { ok: false, message: 'central directory out of bounds (truncated archive)' };
  const entries: ZipEntry[] = [];
  const decoder = new TextDecoder();
  let total = 0;
  // Walk the directory by its size rather than trusting the count: writers without ZIP64 let a count above
  // 65,535 wrap around in its 16-bit field.
  const cdEnd = cdOffset + cdSize;
  let p = cdOffset;
  let n = 0;
  for (; p < cdEnd; n++) {
    if (n >= limits.maxEntries) return { ok: false, message: `more than ${limits.maxEntries} entries, over the limit` };
    if (p + 46 > cdEnd || view.getUint32(p, true) !== SIG_CENTRAL) return { ok: false, message: `central directory entry ${n + 1} is damaged` };
    const flags = view.getUint16(p + 8, true);
    const method = view.getUint16(p + 10, true);
    const crc = view.getUint32(p + 16, true);
    let compressedSize = view.getUint32(p + 20, true);
    let size = view.getUint32(p + 24, true);
    const nameLen = view.getUint16(p + 28, true);
    const extraLen = view.getUint16(p + 30, true);
    const commentLen = view.getUint16(p + 32, true);
    let localHeaderOffset = view.getUint32(p + 42, true);
    const end = p + 46 + nameLen + extraLen + commentLen;
    if (end > cdEnd) return { ok: false, message: `central directory entry ${n + 1} is truncated` };
    const name = decoder.decode(bytes.subarray(p + 46, p + 46 + nameLen));
    // ZIP64 extra field: the 64-bit values, in this order, of the fields that are all ones above.
    let e = p + 46 + nameLen;
    const extraEnd = e + extraLen;
    while (e + 4 <= extraEnd) {
      const id = view.getUint16(e, true);
      const len = view.getUint16(e + 2, true);
      if (id === 0x0001) {
        let q = e + 4;
        const take = (): number => {
          if (q + 8 > e + 4 + len) return Number.NaN;
          const v = u64(view, q);
          q += 8;
          return v;
        };
        if (size === 0xffffffff) size = take();
        if (compressedSize === 0xffffffff) compressedSize = take();
        if (localHeaderOffset === 0xffffffff) localHeaderOffset = take();
      }
      e += 4 + len;
    }
    if (![size, compressedSize, localHeaderOffset].every(Number.isFinite)) return { ok: false, message: `${name}: damaged ZIP64 sizes` };
    if (size > limits.maxEntryBytes) return { ok: false, message: `${name}: ${size} bytes uncompressed, over the limit of ${limits.maxEntryBytes}` };
    total += size;
    if (total > limits.maxTotalBytes) return { ok: false, message: `more than ${limits.maxTotalBytes} bytes uncompressed in all, over the limit` };
    entries.push({ name, method, flags, crc, compressedSize, size, localHeaderOffset });
    p = end;
  }
  if (n !== count && (zip64 || n % 0x10000 !== count)) return { ok: false, message: `the central directory holds ${n} entries where the end record says ${count}` };
  return { ok: true, value: entries };
}

/** The uncompressed bytes of one entry, checked against its size and CRC-32. */
export function readZipEntry(bytes: Uint8Array, entry: ZipEntry): Result<Uint8Array> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const h = entry.localHeaderOffset;
  if (h + 30 > bytes.length || view.getUint32(h, true) !== SIG_LOCAL) return { ok: false, message: `${entry.name}: local header missing (damaged archive)` };
  if (entry.flags & 1) return { ok: false, message: `${entry.name}: encrypted entries are not supported` };
  const start = h + 30 + view.getUint16(h + 26, true) + view.getUint16(h + 28, true);
  const end = start + entry.compressedSize;
  if (end > bytes.length) return { ok: false, message: `${entry.name}: data runs past the end of the archive (truncated)` };
  const raw = bytes.subarray(start, end);
  let data: Uint8Array;
  if (entry.method === 0) {
    data = raw;
  } else if (entry.method === 8) {
    try {
      // One byte of room more than declared: an entry that inflates to more than its size is caught below.
      data = inflateSync(raw, { out: new Uint8Array(entry.size + 1) });
    } catch (e) {
      return { ok: false, message: `${entry.name}: deflate data is damaged (${(e as Error).message})` };
    }
  } else {
    return { ok: false, message: `${entry.name}: compression method ${entry.method} is not supported` };
  }
  if (data.length !== entry.size) {
    const got = data.length > entry.size ? `more than ${entry.size}` : String(data.length);
    return { ok: false, message: `${entry.name}: inflates to ${got} bytes where the directory declares ${entry.size}` };
  }
  const actual = crc32(data) >>> 0;
  if (actual !== entry.crc >>> 0) return { ok: false, message: `${entry.name}: CRC-32 mismatch (damaged archive)` };
  return { ok: true, value: data };
}
