/**
 * A reader for rpm's "ndb" package database (`Packages.db`, SUSE and openSUSE), from rpm's
 * `lib/backend/ndb/rpmpkg.c`. All numbers are little-endian:
 *
 * - a 32-byte header: magic `RpmP`, format version 0, generation, number of 4 KiB slot pages, 4 reserved words;
 * - then the slot pages, an array of 16-byte slots (the header takes the room of the first two): magic
 *   `Slot`, package index (0 = free slot), offset of the blob in 16-byte blocks, length in blocks;
 * - each blob starts with a 16-byte header: magic `BlbS`, package index, checksum, length; the header blob
 *   of the package follows (then a 16-byte tail; the blob's Adler-32 checksum is not verified here: a
 *   damaged blob fails the header parse instead).
 */

const NDB_MAGIC = 0x506d7052; // 'RpmP'
const SLOT_MAGIC = 0x746f6c53; // 'Slot'
const BLOB_MAGIC = 0x53626c42; // 'BlbS'
const BLOCK = 16;
const SLOT_PAGE = 4096;
const MAX_SLOT_PAGES = 2048;

/** True when the buffer starts with the ndb magic. */
export function isNdb(buf: Buffer): boolean {
  return buf.length >= 32 && buf.readUInt32LE(0) === NDB_MAGIC;
}

/** The header blobs of every used slot. Throws an `Error` for a file it cannot read at all. */
export function readNdbBlobs(buf: Buffer): { values: Buffer[]; problems: string[] } {
  if (!isNdb(buf)) throw new Error('not an rpm ndb database (bad magic)');
  const version = buf.readUInt32LE(4);
  if (version !== 0) throw new Error(`unsupported ndb format version ${version}`);
  const slotPages = buf.readUInt32LE(12);
  if (slotPages === 0 || slotPages > MAX_SLOT_PAGES) throw new Error(`ndb header claims ${slotPages} slot pages`);
  const slotsEnd = Math.min(slotPages * SLOT_PAGE, buf.length);
  const values: Buffer[] = [];
  const problems: string[] = [];
  for (let p = 32; p + 16 <= slotsEnd; p += 16) {
    if (buf.readUInt32LE(p) !== SLOT_MAGIC) {
      problems.push(`bad slot magic at byte ${p}`);
      break;
    }
    const pkgIndex = buf.readUInt32LE(p + 4);
    if (pkgIndex === 0) continue;
    const blob = buf.readUInt32LE(p + 8) * BLOCK;
    if (blob + 16 > buf.length || buf.readUInt32LE(blob) !== BLOB_MAGIC) {
      problems.push(`package ${pkgIndex}: no blob at byte ${blob}`);
      continue;
    }
    if (buf.readUInt32LE(blob + 4) !== pkgIndex) {
      problems.push(`package ${pkgIndex}: blob at byte ${blob} belongs to package ${buf.readUInt32LE(blob + 4)}`);
      continue;
    }
    const len = buf.readUInt32LE(blob + 12);
    if (blob + 16 + len > buf.length) {
      problems.push(`package ${pkgIndex}: blob is truncated`);
      continue;
    }
    values.push(buf.subarray(blob + 16, blob + 16 + len));
  }
  return { values, problems };
}
