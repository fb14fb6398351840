/**
 * Turns a SQLite database file, and its write-ahead log when there is one, into a single database image
 * that can be opened from memory (`new Database(buffer)` of better-sqlite3, i.e. `sqlite3_deserialize`).
 *
 * Two things stand in the way of opening rpm's `rpmdb.sqlite` from a buffer as it is: rpm uses WAL mode,
 * and an in-memory database cannot be in WAL mode (the open fails); and transactions that were committed
 * to `rpmdb.sqlite-wal` but not yet checkpointed are only in the log. Both are handled here from the
 * documented file formats (sqlite.org/fileformat2.html, "The Write-Ahead Log"): committed frames whose salts
 * and running checksum are valid are copied over the main file, and the header's read/write version bytes
 * (18 and 19) are set to 1 (rollback journal).
 */

const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');
const WAL_MAGIC_LE = 0x377f0682;
const WAL_MAGIC_BE = 0x377f0683;

/** True when the buffer starts with the SQLite 3 file header. */
export function isSqlite(buf: Buffer): boolean {
  return buf.length >= 100 && buf.subarray(0, 16).equals(SQLITE_MAGIC);
}

/** The SQLite WAL checksum of `data` (a multiple of 8 bytes), continuing from `s`. */
function walChecksum(data: Buffer, bigEndian: boolean, s: [number, number]): [number, number] {
  let [s0, s1] = s;
  for (let i = 0; i + 8 <= data.length; i += 8) {
    const x0 = bigEndian ? data.readUInt32BE(i) : data.readUInt32LE(i);
    const x1 = bigEndian ? data.readUInt32BE(i + 4) : data.readUInt32LE(i + 4);
    s0 = (s0 + x0 + s1) >>> 0;
    s1 = (s1 + x1 + s0) >>> 0;
  }
  return [s0, s1];
}

/**
 * The database with the committed content of `wal` applied, in rollback-journal mode. `wal` may be absent
 * or empty. Returns the number of frames applied, for tests and diagnostics.
 */
export function sqliteImage(db: Buffer, wal?: Buffer): { image: Buffer; framesApplied: number } {
  let pageSize = db.length >= 100 ? db.readUInt16BE(16) : 0;
  if (pageSize === 1) pageSize = 65536;
  let image = Buffer.from(db);
  let framesApplied = 0;

  if (wal && wal.length >= 32) {
    const magic = wal.readUInt32BE(0);
    if (magic === WAL_MAGIC_LE || magic === WAL_MAGIC_BE) {
      const bigEndian = magic === WAL_MAGIC_BE;
      const walPageSize = wal.readUInt32BE(8);
      const salt1 = wal.readUInt32BE(16);
      const salt2 = wal.readUInt32BE(20);
      let sum = walChecksum(wal.subarray(0, 24), bigEndian, [0, 0]);
      const headerOk = sum[0] === wal.readUInt32BE(24) && sum[1] === wal.readUInt32BE(28);
      if (headerOk && walPageSize >= 512 && (pageSize === 0 || walPageSize === pageSize)) {
        pageSize = walPageSize;
        const pending = new Map<number, Buffer>();
        const committed = new Map<number, Buffer>();
        let dbPages = Math.floor(image.length / pageSize);
        for (let p = 32; p + 24 + pageSize <= wal.length; p += 24 + pageSize) {
          const pgno = wal.readUInt32BE(p);
          const commitSize = wal.readUInt32BE(p + 4);
          if (wal.readUInt32BE(p + 8) !== salt1 || wal.readUInt32BE(p + 12) !== salt2) break;
          sum = walChecksum(wal.subarray(p, p + 8), bigEndian, sum);
          sum = walChecksum(wal.subarray(p + 24, p + 24 + pageSize), bigEndian, sum);
          if (sum[0] !== wal.readUInt32BE(p + 16) || sum[1] !== wal.readUInt32BE(p + 20)) break;
          pending.set(pgno, wal.subarray(p + 24, p + 24 + pageSize));
          if (commitSize !== 0) {
            for (const [k, v] of pending) committed.set(k, v);
            framesApplied += pending.size;
            pending.clear();
            dbPages = commitSize;
          }
        }
        if (committed.size > 0) {
          const next = Buffer.alloc(dbPages * pageSize);
          image.copy(next, 0, 0, Math.min(image.length, next.length));
          for (const [pgno, page] of committed) if (pgno >= 1 && pgno <= dbPages) page.copy(next, (pgno - 1) * pageSize);
          image = next;
        }
      }
    }
  }
  if (image.length >= 100) {
    image[18] = 1;
    image[19] = 1;
  }
  return { image, framesApplied };
}
