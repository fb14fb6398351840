/**
 * Reads the build information the Go linker embeds in executables (what `go version -m` prints), from the
 * format of Go's `debug/buildinfo` and `runtime/debug`:
 *
 * - a 32-byte header starting with the magic `\xff Go buildinf:`, then the pointer size (byte 14) and flags
 *   (byte 15: bit 0 big-endian, bit 1 "strings inline");
 * - Go 1.18+ ("inline"): after the header, two strings each prefixed by an unsigned varint length: the Go
 *   version (`go1.22.1`) and the module information;
 * - Go 1.13-1.17 ("pointer"): at byte 16 and 16+ptrSize, the addresses of two Go string headers (data
 *   pointer, length); read here through the ELF program headers;
 * - the module information is framed by two 16-byte sentinels and holds tab-separated lines: `path`, `mod`
 *   (main module), `dep` (dependency), `=>` (replacement of the dependency before it), `build` (settings).
 *
 * The header is found through the ELF section `.go.buildinfo`; when there is none (another format, or a
 * stripped section table) every occurrence of the magic is tried, since a binary may also contain the
 * magic as a string literal.
 */

const MAGIC = Buffer.from('\xff Go buildinf:', 'latin1');
const ELF_MAGIC = Buffer.from('\x7fELF', 'latin1');

/** One module: the main module, a dependency, or a replacement. */
export interface GoModule {
  path: string;
  version: string;
  sum?: string;
  /** For a dependency: the module that replaced it (`=>` line); a local directory has no version. */
  replace?: GoModule;
}

export interface GoBuildInfo {
  /** As the toolchain wrote it: `go1.22.1`, `go1.21rc2`, `devel go1.23-abc123 ...`. */
  goVersion: string;
  /** Main package path. */
  path?: string;
  main?: GoModule;
  deps: GoModule[];
  settings: Map<string, string>;
}

/** Result of looking at one file: not a Go binary, build information, or a Go binary that cannot be read. */
export type GoBinaryRead =
  | { kind: 'not-go' }
  | { kind: 'ok'; info: GoBuildInfo }
  | { kind: 'unsupported'; reason: string };

/** True for the executable formats Go produces: ELF, PE, Mach-O (32/64-bit, both byte orders, universal). */
export function isExecutable(buf: Buffer): boolean {
  if (buf.length < 64) return false;
  if (buf.subarray(0, 4).equals(ELF_MAGIC)) return true;
  if (buf[0] === 0x4d && buf[1] === 0x5a) return true; // MZ
  const m = buf.readUInt32BE(0);
  return m === 0xfeedface || m === 0xfeedfacf || m === 0xcefaedfe || m === 0xcffaedfe || m === 0xcafebabe;
}

export function readGoBuildInfo(buf: Buffer): GoBinaryRead {
  if (!isExecutable(buf)) return { kind: 'not-go' };
  const elf = buf.subarray(0, 4).equals(ELF_MAGIC) ? parseElf(buf) : undefined;
  const candidates: number[] = [];
  const section = elf?.sections.get('.go.buildinfo');
  if (section && section.offset + 32 <= buf.length && buf.subarray(section.offset, section.offset + 14).equals(MAGIC)) {
    candidates.push(section.offset);
  } else {
    for (let i = buf.indexOf(MAGIC); i >= 0; i = buf.indexOf(MAGIC, i + 1)) candidates.push(i);
  }
  let unsupported: string | undefined;
  for (const off of candidates) {
    if (off + 32 > buf.length) continue;
    const ptrSize = buf[off + 14];
    const flags = buf[off + 15];
    if (ptrSize !== 4 && ptrSize !== 8) continue;
    if (flags & 2) {
      let p = off + 32;
      const version = readVarintString(buf, p);
      if (!version) continue;
      p = version.next;
      const mod = readVarintString(buf, p);
      if (!mod || !/^(go1|devel)/.test(version.value)) continue;
      return { kind: 'ok', info: parseModInfo(version.value, mod.value) };
    }
    if (flags > 1) continue;
    if (!elf) {
      unsupported = 'Go build information in the pre-1.18 pointer format is read only from ELF binaries';
      continue;
    }
    const bigEndian = flags === 1;
    const readPtr = (fileOff: number): number | undefined => {
      if (fileOff < 0 || fileOff + ptrSize > buf.length) return undefined;
      if (ptrSize === 4) return bigEndian ? buf.readUInt32BE(fileOff) : buf.readUInt32LE(fileOff);
      return Number(bigEndian ? buf.readBigUInt64BE(fileOff) : buf.readBigUInt64LE(fileOff));
    };
    const readGoString = (addr: number | undefined): string | undefined => {
      const hdr = addr === undefined ? undefined : elf.toOffset(addr);
      if (hdr === undefined) return undefined;
      const data = readPtr(hdr);
      const len = readPtr(hdr + ptrSize);
      if (data === undefined || len === undefined || len > 16 * 1024 * 1024) return undefined;
      if (len === 0) return '';
      const at = elf.toOffset(data);
      return at === undefined || at + len > buf.length ? undefined : buf.toString('utf8', at, at + len);
    };
    const version = readGoString(readPtr(off + 16));
    const mod = readGoString(readPtr(off + 16 + ptrSize));
    if (version === undefined || mod === undefined || !/^(go1|devel)/.test(version)) {
      unsupported = 'Go build information in the pre-1.18 pointer format could not be followed';
      continue;
    }
    return { kind: 'ok', info: parseModInfo(version, mod) };
  }
  return unsupported ? { kind: 'unsupported', reason: unsupported } : { kind: 'not-go' };
}

function readVarintString(buf: Buffer, p: number): { value: string; next: number } | undefined {
  let len = 0;
  let shift = 0;
  for (let i = 0; i < 10; i++) {
    if (p >= buf.length) return undefined;
    const b = buf[p++];
    len += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) {
      if (len > 16 * 1024 * 1024 || p + len > buf.length) return undefined;
      return { value: buf.toString('utf8', p, p + len), next: p + len };
    }
    shift += 7;
  }
  return undefined;
}

/** Parses the module information text (with or without its 16-byte sentinels). */
export function parseModInfo(goVersion: string, modinfo: string): GoBuildInfo {
  let text = modinfo;
  // The sentinels are binary; the text between them starts with "path\t" and ends with "\n".
  if (text.length >= 33 && text[text.length - 17] === '\n') text = text.slice(16, -16);
  const info: GoBuildInfo = { goVersion: goVersion.trim(), deps: [], settings: new Map() };
  for (const line of text.split('\n')) {
    const f = line.split('\t');
    switch (f[0]) {
      case 'path':
        info.path = f[1];
        break;
      case 'mod':
        if (f[1]) info.main = { path: f[1], version: f[2] ?? '', sum: f[3] || undefined };
        break;
      case 'dep':
        if (f[1]) info.deps.push({ path: f[1], version: f[2] ?? '', sum: f[3] || undefined });
        break;
      case '=>': {
        const last = info.deps[info.deps.length - 1];
        if (last && f[1]) last.replace = { path: f[1], version: f[2] ?? '', sum: f[3] || undefined };
        break;
      }
      case 'build': {
        const kv = f.slice(1).join('\t');
        const eq = kv.indexOf('=');
        if (eq > 0) info.settings.set(kv.slice(0, eq), kv.slice(eq + 1));
        break;
      }
    }
  }
  return info;
}

interface Elf {
  sections: Map<string, { offset: number; size: number; addr: number }>;
  /** File offset of a virtual address, through the PT_LOAD segments. */
  toOffset(addr: number): number | undefined;
}

/** Just enough ELF: section names and offsets, and load segments. Undefined when the tables are malformed. */
function parseElf(buf: Buffer): Elf | undefined {
  const is64 = buf[4] === 2;
  const le = buf[5] !== 2;
  const u16 = (p: number): number => (le ? buf.readUInt16LE(p) : buf.readUInt16BE(p));
  const u32 = (p: number): number => (le ? buf.readUInt32LE(p) : buf.readUInt32BE(p));
  const uw = (p: number): number => (is64 ? Number(le ? buf.readBigUInt64LE(p) : buf.readBigUInt64BE(p)) : u32(p));
  const inside = (p: number, n: number): boolean => p >= 0 && p + n <= buf.length;
  try {
    const phoff = uw(is64 ? 0x20 : 0x1c);
    const shoff = uw(is64 ? 0x28 : 0x20);
    const phentsize = u16(is64 ? 0x36 : 0x2a);
    const phnum = u16(is64 ? 0x38 : 0x2c);
    const shentsize = u16(is64 ? 0x3a : 0x2e);
    const shnum = u16(is64 ? 0x3c : 0x30);
    const shstrndx = u16(is64 ? 0x3e : 0x32);

    const loads: Array<{ vaddr: number; offset: number; filesz: number }> = [];
    for (let i = 0; i < phnum; i++) {
      const p = phoff + i * phentsize;
      if (!inside(p, is64 ? 56 : 32)) break;
      if (u32(p) !== 1) continue; // PT_LOAD
      loads.push(is64
        ? { offset: uw(p + 8), vaddr: uw(p + 16), filesz: uw(p + 32) }
        : { offset: u32(p + 4), vaddr: u32(p + 8), filesz: u32(p + 16) });
    }

    const sections = new Map<string, { offset: number; size: number; addr: number }>();
    const sh = (i: number): { name: number; addr: number; offset: number; size: number } | undefined => {
      const p = shoff + i * shentsize;
      if (!inside(p, is64 ? 64 : 40)) return undefined;
      return is64
        ? { name: u32(p), addr: uw(p + 16), offset: uw(p + 24), size: uw(p + 32) }
        : { name: u32(p), addr: u32(p + 12), offset: u32(p + 16), size: u32(p + 20) };
    };
    const strtab = shoff > 0 && shstrndx < shnum ? sh(shstrndx) : undefined;
    if (strtab && inside(strtab.offset, strtab.size)) {
      for (let i = 0; i < shnum; i++) {
        const s = sh(i);
        if (!s) break;
        const at = strtab.offset + s.name;
        const end = buf.indexOf(0, at);
        if (at >= buf.length || end < 0) continue;
        sections.set(buf.toString('latin1', at, end), { offset: s.offset, size: s.size, addr: s.addr });
      }
    }
    return {
      sections,
      toOffset(addr: number): number | undefined {
        for (const l of loads) if (addr >= l.vaddr && addr < l.vaddr + l.filesz) return l.offset + (addr - l.vaddr);
        return undefined;
      },
    };
  } catch {
    return undefined;
  }
}
