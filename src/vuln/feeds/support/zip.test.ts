import { deflateSync, zipSync } from 'fflate';
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { readZipDirectory, readZipEntry } from './zip.js';

const enc = new TextEncoder();

/**
 * A minimal zip writer that can write the ZIP64 forms (a ZIP64 end record, and 64-bit sizes and offsets in
 * the extra field), which fflate does not produce but archives with more than 65,535 entries use.
 */
function writeZip(files: Record<string, Uint8Array>, opts: { zip64?: boolean; store?: boolean } = {}): Uint8Array {
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const [name, data] of Object.entries(files)) {
    const nameBytes = Buffer.from(name);
    const body = Buffer.from(opts.store ? data : deflateSync(data));
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(opts.zip64 ? 45 : 20, 4);
    local.writeUInt16LE(opts.store ? 0 : 8, 8);
    local.writeUInt32LE(crc32(data) >>> 0, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    parts.push(local, nameBytes, body);
    const extra = Buffer.alloc(opts.zip64 ? 28 : 0);
    if (opts.zip64) {
      extra.writeUInt16LE(1, 0);
      extra.writeUInt16LE(24, 2);
      extra.writeBigUInt64LE(BigInt(data.length), 4);
      extra.writeBigUInt64LE(BigInt(body.length), 12);
      extra.writeBigUInt64LE(BigInt(offset), 20);
    }
    const c = Buffer.alloc(46);
    c.writeUInt32LE(0x02014b50, 0);
    c.writeUInt16LE(45, 4);
    c.writeUInt16LE(opts.zip64 ? 45 : 20, 6);
    c.writeUInt16LE(opts.store ? 0 : 8, 10);
    c.writeUInt32LE(crc32(data) >>> 0, 16);
    c.writeUInt32LE(opts.zip64 ? 0xffffffff : body.length, 20);
    c.writeUInt32LE(opts.zip64 ? 0xffffffff : data.length, 24);
    c.writeUInt16LE(nameBytes.length, 28);
    c.writeUInt16LE(extra.length, 30);
    c.writeUInt32LE(opts.zip64 ? 0xffffffff : offset, 42);
    central.push(c, nameBytes, extra);
    offset += local.length + nameBytes.length + body.length;
  }
  const cd = Buffer.concat(central);
  const count = Object.keys(files).length;
  const tail: Buffer[] = [];
  if (opts.zip64) {
    const z = Buffer.alloc(56);
    z.writeUInt32LE(0x06064b50, 0);
    z.writeBigUInt64LE(44n, 4);
    z.writeUInt16LE(45, 12);
    z.writeUInt16LE(45, 14);
    z.writeBigUInt64LE(BigInt(count), 24);
    z.writeBigUInt64LE(BigInt(count), 32);
    z.writeBigUInt64LE(BigInt(cd.length), 40);
    z.writeBigUInt64LE(BigInt(offset), 48);
    const loc = Buffer.alloc(20);
    loc.writeUInt32LE(0x07064b50, 0);
    loc.writeBigUInt64LE(BigInt(offset + cd.length), 8);
    loc.writeUInt32LE(1, 16);
    tail.push(z, loc);
  }
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(opts.zip64 ? 0xffff : count, 8);
  eocd.writeUInt16LE(opts.zip64 ? 0xffff : count, 10);
  eocd.writeUInt32LE(opts.zip64 ? 0xffffffff : cd.length, 12);
  eocd.writeUInt32LE(opts.zip64 ? 0xffffffff : offset, 16);
  return new Uint8Array(Buffer.concat([...parts, cd, ...tail, eocd]));
}

function readAll(bytes: Uint8Array): Record<string, string> {
  const dir = readZipDirectory(bytes);
  if (!dir.ok) throw new Error(dir.message);
  const out: Record<string, string> = {};
  for (const e of dir.value) {
    const d = readZipEntry(bytes, e);
    if (!d.ok) throw new Error(d.message);
    out[e.name] = new TextDecoder().decode(d.value);
  }
  return out;
}

const files = { 'A-1.json': enc.encode('{"id":"A-1"}'), 'B-2.json': enc.encode('{"id":"B-2","x":"' + 'y'.repeat(5000) + '"}') };

describe('zip reader', () => {
  it('reads what fflate writes, deflated and stored', () => {
    expect(readAll(zipSync(files))).toEqual({ 'A-1.json': '{"id":"A-1"}', 'B-2.json': expect.stringContaining('yyyy') });
    expect(Object.keys(readAll(zipSync(files, { level: 0 })))).toEqual(['A-1.json', 'B-2.json']);
    expect(readAll(zipSync({}))).toEqual({});
  });
  it('reads ZIP64 end records and 64-bit sizes in the extra field', () => {
    expect(readAll(writeZip(files, { zip64: true }))).toEqual(readAll(zipSync(files)));
    expect(readAll(writeZip(files, { zip64: true, store: true }))['A-1.json']).toBe('{"id":"A-1"}');
  });
  it('reads all entries of an archive of more than 65,535 written without ZIP64 (the count wraps)', () => {
    const many: Record<string, Uint8Array> = {};
    for (let i = 0; i < 70_000; i++) many[`${i}.json`] = enc.encode(String(i));
    const z = zipSync(many, { level: 0 });
    expect(new DataView(z.buffer, z.byteOffset).getUint16(z.length - 12, true)).toBe(70_000 - 65_536);
    const dir = readZipDirectory(z);
    expect(dir.ok && dir.value.length).toBe(70_000);
    if (dir.ok) expect(dir.value[69_999].name).toBe('69999.json');
    const few = readZipDirectory(z, { maxEntries: 66_000, maxEntryBytes: 1e9, maxTotalBytes: 1e9 });
    expect(few.ok || few.message).toBe('more than 66000 entries, over the limit');
  });
  it('refuses a directory that disagrees with its end record', () => {
    const z = zipSync(files);
    z[z.length - 12] = 3;
    const r = readZipDirectory(z);
    expect(r.ok || r.message).toBe('the central directory holds 2 entries where the end record says 3');
  });
  it('refuses what is not a zip, and truncated archives', () => {
    const r = readZipDirectory(enc.encode('{"not": "a zip"} padded to more than twenty-two bytes'));
    expect(r.ok || r.message).toMatch(/not a zip archive/);
    const z = zipSync(files);
    const cut = readZipDirectory(z.subarray(0, z.length - 30));
    expect(cut.ok).toBe(false);
    expect(readZipDirectory(z.subarray(0, 10)).ok).toBe(false);
  });
  it('catches a flipped byte in an entry by its CRC or its deflate stream', () => {
    const z = writeZip(files, { store: true });
    const i = Buffer.from(z).indexOf('"A-1"');
    z[i + 2] ^= 0x01;
    const dir = readZipDirectory(z);
    expect(dir.ok).toBe(true);
    if (!dir.ok) return;
    const bad = readZipEntry(z, dir.value[0]);
    expect(bad.ok || bad.message).toMatch(/A-1\.json: CRC-32 mismatch/);
    expect(readZipEntry(z, dir.value[1]).ok).toBe(true);
    const deflated = zipSync(files);
    const d2 = readZipDirectory(deflated);
    if (!d2.ok) throw new Error(d2.message);
    const e = d2.value[1];
    const copy = deflated.slice();
    copy[e.localHeaderOffset + 30 + e.name.length + 20] ^= 0xff;
    const r = readZipEntry(copy, e);
    expect(r.ok).toBe(false);
  });
  it('enforces its limits before inflating anything', () => {
    const z = zipSync(files);
    const few = readZipDirectory(z, { maxEntries: 1, maxEntryBytes: 1e9, maxTotalBytes: 1e9 });
    expect(few.ok || few.message).toMatch(/2 entries, over the limit of 1/);
    const small = readZipDirectory(z, { maxEntries: 10, maxEntryBytes: 100, maxTotalBytes: 1e9 });
    expect(small.ok || small.message).toMatch(/B-2\.json: \d+ bytes uncompressed, over the limit of 100/);
    const total = readZipDirectory(z, { maxEntries: 10, maxEntryBytes: 1e9, maxTotalBytes: 1000 });
    expect(total.ok || total.message).toMatch(/over the limit/);
  });
  it('refuses an entry that inflates to more than its declared size', () => {
    const z = writeZip(files);
    const dir = readZipDirectory(z);
    if (!dir.ok) throw new Error(dir.message);
    const r = readZipEntry(z, { ...dir.value[1], size: 100 });
    expect(r.ok || r.message).toMatch(/inflates to more than 100 bytes/);
  });
});
