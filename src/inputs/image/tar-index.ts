import type { FileHandle } from 'node:fs/promises';
import { PalisadeError } from '../../model/errors.js';

/** One member of an uncompressed tar file, located by byte offset so it can be read without a scan. */
export interface TarMember {
  name: string;
  type: 'file' | 'dir' | 'symlink' | 'link' | 'other';
  linkname: string;
  /** Offset of the member's data in the file. */
  offset: number;
  size: number;
}

const BLOCK = 512;
const MAX_MEMBERS = 100_000;
const MAX_EXTENDED_HEADER = 1024 * 1024;

/** A NUL-terminated (or field-long) string of a tar header field. */
export function cstring(buf: Buffer, start: number, len: number): string {
  const end = buf.indexOf(0, start);
  return buf.toString('utf8', start, end >= start && end < start + len ? end : start + len);
}

/** A numeric tar header field: octal text, or GNU base-256. */
export function numeric(buf: Buffer, start: number, len: number): number {
  if (buf[start] & 0x80) {
    // GNU base-256 for sizes of 8 GiB and more.
    let n = 0;
    for (let i = start + 1; i < start + len; i++) n = n * 256 + buf[i];
    return n + (buf[start] & 0x3f) * 256 ** (len - 1);
  }
  const s = cstring(buf, start, len).trim();
  return s === '' ? 0 : parseInt(s, 8);
}

/** True when the header's checksum field matches its bytes (the checksum field counted as spaces). */
export function checksumOk(h: Buffer): boolean {
  // Every byte, then the checksum field's own bytes taken back out and counted as spaces; a loop without a
  // branch, since it runs over every header of every layer.
  let sum = 8 * 32;
  for (let i = 0; i < BLOCK; i++) sum += h[i];
  for (let i = 148; i < 156; i++) sum -= h[i];
  return sum === numeric(h, 148, 8);
}

/** The `key=value` records of a PAX extended header. */
export function parsePax(data: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let i = 0;
  while (i < data.length) {
    const space = data.indexOf(0x20, i);
    if (space < 0) break;
    const len = parseInt(data.toString('utf8', i, space), 10);
    if (!(len > 0) || i + len > data.length) break;
    const record = data.toString('utf8', space + 1, i + len - 1);
    const eq = record.indexOf('=');
    if (eq > 0) out[record.slice(0, eq)] = record.slice(eq + 1);
    i += len;
  }
  return out;
}

/**
 * Lists the members of an uncompressed tar file by reading only its headers and seeking past the data, so
 * a multi-gigabyte `docker save` archive is indexed in milliseconds. Understands ustar prefixes, PAX
 * `path`/`linkpath`/`size` records and GNU long names.
 */
export async function indexTar(fh: FileHandle, fileSize: number, what: string): Promise<TarMember[]> {
  const members: TarMember[] = [];
  const header = Buffer.alloc(BLOCK);
  let pos = 0;
  let longName: string | undefined;
  let longLink: string | undefined;
  let pax: Record<string, string> = {};
  const bad = (why: string): never => {
    throw new PalisadeError('E_IMAGE_FORMAT', `${what}: not a valid tar archive (${why} at offset ${pos})`);
  };
  const readExact = async (buf: Buffer, at: number): Promise<void> => {
    const { bytesRead } = await fh.read(buf, 0, buf.length, at);
    if (bytesRead !== buf.length) bad('unexpected end of file');
  };
  while (pos + BLOCK <= fileSize) {
    await readExact(header, pos);
    if (header.every((b) => b === 0)) break;
    if (!checksumOk(header)) bad('bad header checksum');
    const size = numeric(header, 124, 12);
    const typeflag = String.fromCharCode(header[156] || 0x30);
    const dataOffset = pos + BLOCK;
    const next = dataOffset + Math.ceil(size / BLOCK) * BLOCK;
    if (dataOffset + size > fileSize) bad('member extends past the end of the file');
    if (typeflag === 'x' || typeflag === 'g' || typeflag === 'L' || typeflag === 'K') {
      if (size > MAX_EXTENDED_HEADER) bad('extended header too large');
      const data = Buffer.alloc(size);
      await readExact(data, dataOffset);
      if (typeflag === 'x') pax = parsePax(data);
      else if (typeflag === 'L') longName = cstring(data, 0, data.length);
      else if (typeflag === 'K') longLink = cstring(data, 0, data.length);
      pos = next;
      continue;
    }
    let name = cstring(header, 0, 100);
    const ustar = header.toString('latin1', 257, 263) === 'ustar\0';
    if (ustar) {
      const prefix = cstring(header, 345, 155);
      if (prefix) name = `${prefix}/${name}`;
    }
    name = pax.path ?? longName ?? name;
    const linkname = pax.linkpath ?? longLink ?? cstring(header, 157, 100);
    const realSize = pax.size !== undefined ? Number(pax.size) : size;
    const type: TarMember['type'] = typeflag === '0' || typeflag === '7' ? 'file' : typeflag === '5' ? 'dir' : typeflag === '2' ? 'symlink' : typeflag === '1' ? 'link' : 'other';
    members.push({ name, type, linkname, offset: dataOffset, size: realSize });
    if (members.length > MAX_MEMBERS) bad(`more than ${MAX_MEMBERS} members`);
    pax = {};
    longName = longLink = undefined;
    pos = dataOffset + Math.ceil(realSize / BLOCK) * BLOCK;
  }
  return members;
}
