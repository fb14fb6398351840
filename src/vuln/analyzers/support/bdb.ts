/**
 * A reader for the values of a Berkeley DB hash database, the format of rpm's `/var/lib/rpm/Packages` on
 * RHEL/CentOS 5-8 and Amazon Linux 1-2. Layout from Berkeley DB's `dbinc/db_page.h`:
 *
 * - page 0 is the hash metadata page: magic 0x061561 at byte 12 (its byte order tells the file's), page size
 *   at 20, encryption algorithm at 24, page type (8) at 25, last page number at 32;
 * - every page starts with a 26-byte header: page number at 8, next page at 16, entry count at 20,
 *   `hf_offset` at 22 (on overflow pages: the number of bytes used), page type at 25;
 * - hash pages (type 13, or 2 "unsorted" in old versions) hold after the header an array of 2-byte offsets
 *   to items, in key/value pairs; an item is an `H_KEYDATA` (1) byte followed by the bytes inline, or an
 *   `H_OFFPAGE` (3) record (type, 3 unused bytes, first overflow page, total length) for large values;
 * - overflow pages (type 7) chain the bytes of one large value.
 *
 * rpm stores each package header as one value (the key is the package's instance number), almost always
 * off-page because headers are larger than a quarter page.
 */

const HASH_MAGIC = 0x061561;
const PAGE_HEADER = 26;
const P_HASH_UNSORTED = 2;
const P_OVERFLOW = 7;
const P_HASHMETA = 8;
const P_HASH = 13;
const H_KEYDATA = 1;
const H_OFFPAGE = 3;
const VALID_PAGE_SIZES = new Set([512, 1024, 2048, 4096, 8192, 16384, 32768, 65536]);

/** True when the buffer starts with a Berkeley DB hash metadata page, in either byte order. */
export function isBdbHash(buf: Buffer): boolean {
  return buf.length >= 512 && (buf.readUInt32LE(12) === HASH_MAGIC || buf.readUInt32BE(12) === HASH_MAGIC);
}

/** The values of every key/value pair, in page order. Throws an `Error` for a file it cannot read at all. */
export function readBdbHashValues(buf: Buffer): { values: Buffer[]; problems: string[] } {
  if (!isBdbHash(buf)) throw new Error('not a Berkeley DB hash database (bad magic)');
  const le = buf.readUInt32LE(12) === HASH_MAGIC;
  const u16 = (p: number): number => (le ? buf.readUInt16LE(p) : buf.readUInt16BE(p));
  const u32 = (p: number): number => (le ? buf.readUInt32LE(p) : buf.readUInt32BE(p));

  const pageSize = u32(20);
  if (!VALID_PAGE_SIZES.has(pageSize)) throw new Error(`unexpected Berkeley DB page size ${pageSize}`);
  if (buf[24] !== 0) throw new Error('encrypted Berkeley DB databases are not supported');
  if (buf[25] !== P_HASHMETA) throw new Error(`page 0 is not a hash metadata page (type ${buf[25]})`);
  const pagesInFile = Math.floor(buf.length / pageSize);
  const lastPage = Math.min(u32(32), pagesInFile - 1);

  const values: Buffer[] = [];
  const problems: string[] = [];

  const readOverflow = (first: number, total: number): Buffer | undefined => {
    const parts: Buffer[] = [];
    let got = 0;
    const seen = new Set<number>();
    for (let pg = first; pg !== 0 && got < total; ) {
      if (pg >= pagesInFile || seen.has(pg)) {
        problems.push(`overflow chain from page ${first} is broken at page ${pg}`);
        return undefined;
      }
      seen.add(pg);
      const base = pg * pageSize;
      if (buf[base + 25] !== P_OVERFLOW) {
        problems.push(`page ${pg} in an overflow chain is not an overflow page (type ${buf[base + 25]})`);
        return undefined;
      }
      const len = Math.min(u16(base + 22), pageSize - PAGE_HEADER, total - got);
      parts.push(buf.subarray(base + PAGE_HEADER, base + PAGE_HEADER + len));
      got += len;
      pg = u32(base + 16);
    }
    if (got !== total) {
      problems.push(`overflow value from page ${first} has ${got} of ${total} bytes`);
      return undefined;
    }
    return Buffer.concat(parts);
  };

  for (let pg = 1; pg <= lastPage; pg++) {
    const base = pg * pageSize;
    const type = buf[base + 25];
    if (type !== P_HASH && type !== P_HASH_UNSORTED) continue;
    const n = u16(base + 20);
    if (PAGE_HEADER + n * 2 > pageSize) {
      problems.push(`hash page ${pg} claims ${n} entries`);
      continue;
    }
    const offsets: number[] = [];
    for (let i = 0; i < n; i++) offsets.push(u16(base + PAGE_HEADER + i * 2));
    // Values are the odd entries; an inline item runs up to the start of the previous item.
    for (let i = 1; i < n; i += 2) {
      const off = offsets[i];
      const end = offsets[i - 1] > off ? offsets[i - 1] : pageSize;
      if (off < PAGE_HEADER || off >= pageSize) {
        problems.push(`hash page ${pg} entry ${i} points outside the page`);
        continue;
      }
      const itemType = buf[base + off];
      if (itemType === H_OFFPAGE) {
        if (off + 12 > pageSize) continue;
        const v = readOverflow(u32(base + off + 4), u32(base + off + 8));
        if (v) values.push(v);
      } else if (itemType === H_KEYDATA) {
        values.push(buf.subarray(base + off + 1, base + end));
      }
      // H_DUPLICATE / H_OFFDUP: rpm's Packages database has unique keys, so these are not expected.
    }
  }
  return { values, problems };
}
