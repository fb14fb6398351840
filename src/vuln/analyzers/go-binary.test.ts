import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { goBinary, goToolchainVersion, mayBeGoBinary } from './go-binary.js';
import { parseModInfo, readGoBuildInfo } from './support/go-buildinfo.js';

function hasGo(): boolean {
  try {
    execFileSync('go', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const MAGIC = Buffer.from('\xff Go buildinf:', 'latin1');
const SENTINEL_START = Buffer.from('3077af0c9274080241e1c107e6d618e6', 'hex');
const SENTINEL_END = Buffer.from('f932433186182072008242104116d8f2', 'hex');
const MODINFO = 'path\texample.com/cmd/tool\nmod\texample.com/cmd\tv1.4.0\th1:abc=\ndep\tgithub.com/pkg/errors\tv0.9.1\th1:def=\n' +
  'dep\tgolang.org/x/net\tv0.17.0\th1:ghi=\n=>\tgolang.org/x/net\tv0.23.0\th1:jkl=\ndep\texample.com/local\tv0.0.0\n=>\t../local\t\n' +
  'build\t-compiler=gc\nbuild\tGOOS=linux\n';

function uvarint(n: number): Buffer {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return Buffer.from(out);
}

/** A Go 1.18+ build info blob: header, then varint-prefixed version and module info. */
function inlineBlob(goVersion: string, modinfo: string): Buffer {
  const header = Buffer.alloc(32);
  MAGIC.copy(header);
  header[14] = 8;
  header[15] = 2;
  const mod = Buffer.concat([SENTINEL_START, Buffer.from(modinfo), SENTINEL_END]);
  return Buffer.concat([header, uvarint(goVersion.length), Buffer.from(goVersion), uvarint(mod.length), mod]);
}

/**
 * A minimal little-endian ELF64 file with one PT_LOAD segment mapping the whole file at 0x400000 and a
 * Go 1.13-1.17 build info header (pointer format) at 0x200, without section headers.
 */
function pointerFormatElf(goVersion: string, modinfo: string): Buffer {
  const base = 0x400000;
  const buf = Buffer.alloc(0x1000);
  buf.write('\x7fELF', 0, 'latin1');
  buf[4] = 2; // 64-bit
  buf[5] = 1; // little-endian
  buf[6] = 1;
  buf.writeUInt16LE(2, 16); // ET_EXEC
  buf.writeUInt16LE(62, 18); // x86-64
  buf.writeBigUInt64LE(64n, 0x20); // e_phoff
  buf.writeUInt16LE(56, 0x36); // e_phentsize
  buf.writeUInt16LE(1, 0x38); // e_phnum
  buf.writeUInt32LE(1, 64); // PT_LOAD
  buf.writeBigUInt64LE(0n, 64 + 8); // p_offset
  buf.writeBigUInt64LE(BigInt(base), 64 + 16); // p_vaddr
  buf.writeBigUInt64LE(BigInt(buf.length), 64 + 32); // p_filesz
  buf.writeBigUInt64LE(BigInt(buf.length), 64 + 40); // p_memsz
  const mod = Buffer.concat([SENTINEL_START, Buffer.from(modinfo), SENTINEL_END]);
  // String data, then the two Go string headers (data pointer, length), then the build info header.
  Buffer.from(goVersion).copy(buf, 0x400);
  mod.copy(buf, 0x500);
  buf.writeBigUInt64LE(BigInt(base + 0x400), 0x300);
  buf.writeBigUInt64LE(BigInt(goVersion.length), 0x308);
  buf.writeBigUInt64LE(BigInt(base + 0x500), 0x310);
  buf.writeBigUInt64LE(BigInt(mod.length), 0x318);
  MAGIC.copy(buf, 0x200);
  buf[0x200 + 14] = 8;
  buf[0x200 + 15] = 0; // little-endian, pointers
  buf.writeBigUInt64LE(BigInt(base + 0x300), 0x210);
  buf.writeBigUInt64LE(BigInt(base + 0x310), 0x218);
  return buf;
}

describe('go-binary path filter', () => {
  it('accepts program locations and rejects documents, libraries and caches', () => {
    for (const p of ['/usr/local/bin/kubectl', '/usr/bin/containerd', '/bin/busybox', '/manager', '/ko-app/controller', '/app/server',
      '/opt/tool/bin/tool', '/go/bin/dlv', '/usr/local/go/pkg/tool/linux_amd64/compile', '/usr/libexec/docker/cli-plugins/docker-buildx',
      '/app/node_modules/@esbuild/linux-x64/bin/esbuild', '/usr/bin/python3.11']) {
      expect(mayBeGoBinary(p), p).toBe(true);
    }
    for (const p of ['/usr/bin/lsb_release.py', '/app/LICENSE', '/app/Makefile', '/etc/passwd', '/usr/share/doc/bash/copyright',
      '/usr/lib/x86_64-linux-gnu/libc.so.6', '/root/.cache/go-build/ab/abcdef-d', '/go/pkg/mod/cache/download/x/list', '/app/.git/HEAD',
      '/usr/lib/os-release', '/var/lib/dpkg/info/bash', '/app/bin/.keep', '/app/server.sh']) {
      expect(mayBeGoBinary(p), p).toBe(false);
    }
  });

  it('turns toolchain versions into stdlib module versions', () => {
    expect(goToolchainVersion('go1.22.1')).toBe('v1.22.1');
    expect(goToolchainVersion('go1.20')).toBe('v1.20.0');
    expect(goToolchainVersion('go1.21rc2')).toBe('v1.21.0-rc.2');
    expect(goToolchainVersion('go1.22.1 X:boringcrypto')).toBe('v1.22.1');
    expect(goToolchainVersion('devel go1.23-1a2b3c4d Mon Jan 1 00:00:00 2024 +0000')).toBeUndefined();
  });
});

describe('go build info reader', () => {
  it('reads the Go 1.18+ format from any executable format, skipping a decoy magic string', () => {
    const pe = Buffer.alloc(0x400);
    pe.write('MZ', 0, 'latin1');
    // A binary that parses build info itself contains the magic as a literal, followed by other data.
    Buffer.concat([MAGIC, Buffer.from('\x08\x02 not a header at all.........')]).copy(pe, 0x80);
    const file = Buffer.concat([pe, inlineBlob('go1.21.6', MODINFO)]);
    const read = readGoBuildInfo(file);
    expect(read.kind).toBe('ok');
    if (read.kind !== 'ok') return;
    expect(read.info.goVersion).toBe('go1.21.6');
    expect(read.info.path).toBe('example.com/cmd/tool');
    expect(read.info.main).toEqual({ path: 'example.com/cmd', version: 'v1.4.0', sum: 'h1:abc=' });
    expect(read.info.deps[1]).toEqual({ path: 'golang.org/x/net', version: 'v0.17.0', sum: 'h1:ghi=', replace: { path: 'golang.org/x/net', version: 'v0.23.0', sum: 'h1:jkl=' } });
    expect(read.info.settings.get('GOOS')).toBe('linux');
  });

  it('reads the pre-1.18 pointer format through ELF load segments', () => {
    const read = readGoBuildInfo(pointerFormatElf('go1.16.15', MODINFO));
    expect(read.kind).toBe('ok');
    if (read.kind === 'ok') expect([read.info.goVersion, read.info.main?.version, read.info.deps.length]).toEqual(['go1.16.15', 'v1.4.0', 3]);
  });

  it('says "not Go" for scripts, non-Go executables and data', () => {
    expect(readGoBuildInfo(Buffer.from('#!/bin/sh\necho hello\n'.repeat(10))).kind).toBe('not-go');
    expect(readGoBuildInfo(Buffer.alloc(4096)).kind).toBe('not-go');
    if (existsSync('/usr/bin/ls')) expect(readGoBuildInfo(readFileSync('/usr/bin/ls')).kind).toBe('not-go');
  });

  it('parses module info without sentinels too', () => {
    expect(parseModInfo('go1.22.0', 'path\tx\nmod\tx\t(devel)\t\n').main).toEqual({ path: 'x', version: '(devel)', sum: undefined });
  });
});

describe('go-binary analyzer', () => {
  it('reports dependencies (replacements applied, local ones left out), the main module and stdlib', () => {
    const pe = Buffer.alloc(0x100);
    pe.write('MZ', 0, 'latin1');
    const { packages, errors } = goBinary.analyze([{ path: '/usr/local/bin/tool', content: Buffer.concat([pe, inlineBlob('go1.21.6', MODINFO)]) }]);
    expect(errors).toEqual([]);
    expect(packages.map((p) => `${p.name}@${p.version}`)).toEqual([
      'example.com/cmd@v1.4.0', 'github.com/pkg/errors@v0.9.1', 'golang.org/x/net@v0.23.0', 'stdlib@v1.21.6',
    ]);
    expect(packages[1]).toEqual({
      ecosystem: 'go',
      scheme: 'go',
      name: 'github.com/pkg/errors',
      version: 'v0.9.1',
      purl: 'pkg:golang/github.com/pkg/errors@v0.9.1',
      filePath: '/usr/local/bin/tool',
    });
    expect(packages[3].purl).toBe('pkg:golang/stdlib@v1.21.6');
  });

  it('reports a pointer-format header it cannot follow in a non-ELF file', () => {
    const pe = Buffer.alloc(0x100);
    pe.write('MZ', 0, 'latin1');
    const header = Buffer.alloc(48);
    MAGIC.copy(header);
    header[14] = 8;
    header[15] = 0;
    const { packages, errors } = goBinary.analyze([{ path: '/app/old.exe', content: Buffer.concat([pe, header]) }]);
    expect(packages).toEqual([]);
    expect(errors).toEqual([{ path: '/app/old.exe', message: 'Go build information in the pre-1.18 pointer format is read only from ELF binaries' }]);
  });
});

describe.skipIf(!hasGo())('go-binary analyzer on binaries built here by the Go toolchain', () => {
  let dir: string;
  let goEnv: NodeJS.ProcessEnv;
  const build = (out: string, ...flags: string[]): Buffer => {
    execFileSync('go', ['build', '-buildvcs=false', ...flags, '-o', out, '.'], { cwd: dir, env: goEnv, stdio: 'pipe' });
    return readFileSync(out);
  };
  const write = (rel: string, text: string): void => {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), text);
  };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'palisade-gobin-'));
    // Offline: dependencies are vendored, so the build needs no module download.
    goEnv = { ...process.env, GOFLAGS: '-mod=vendor', GOPROXY: 'off', GOTOOLCHAIN: 'local', GOWORK: 'off', CGO_ENABLED: '0', GO111MODULE: 'on' };
    write('go.mod', 'module example.com/hello\n\ngo 1.21\n\nrequire (\n\texample.com/greet v1.2.3\n\texample.com/old v1.0.0\n)\n\nreplace example.com/old v1.0.0 => example.com/new v1.1.0\n');
    write('main.go', 'package main\n\nimport (\n\t"fmt"\n\n\t"example.com/greet"\n\t"example.com/old"\n)\n\nfunc main() { fmt.Println(greet.Hello(), old.Name) }\n');
    write('vendor/modules.txt', '# example.com/greet v1.2.3\n## explicit; go 1.21\nexample.com/greet\n# example.com/old v1.0.0 => example.com/new v1.1.0\n## explicit; go 1.21\nexample.com/old\n# example.com/old v1.0.0 => example.com/new v1.1.0\n');
    write('vendor/example.com/greet/greet.go', 'package greet\n\nfunc Hello() string { return "hello" }\n');
    write('vendor/example.com/old/old.go', 'package old\n\nconst Name = "old"\n');
  }, 120_000);
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('reads what `go version -m` reads, from a normal and a stripped binary', () => {
    const normal = build(join(dir, 'hello'));
    const stripped = build(join(dir, 'hello-stripped'), '-trimpath', '-ldflags=-s -w');
    // `go version -m` prints the toolchain, then "\tdep\t<path>\t<version>" and "\t=>\t<path>\t<version>" lines.
    const listing = execFileSync('go', ['version', '-m', join(dir, 'hello')], { encoding: 'utf8', env: goEnv });
    const goVersion = listing.split('\n')[0].split(': ')[1].trim();
    const expected: string[] = [];
    for (const line of listing.split('\n')) {
      const f = line.trim().split('\t');
      if (f[0] === 'dep') expected.push(`${f[1]}@${f[2]}`);
      if (f[0] === '=>') expected[expected.length - 1] = `${f[1]}@${f[2]}`;
    }
    expect(expected).toEqual(['example.com/greet@v1.2.3', 'example.com/new@v1.1.0']);
    expected.push(`stdlib@${goToolchainVersion(goVersion)}`);
    for (const [path, content] of [['/usr/local/bin/hello', normal], ['/app/hello-stripped', stripped]] as const) {
      const { packages, errors } = goBinary.analyze([{ path, content }]);
      expect(errors).toEqual([]);
      // The main module was built outside version control: `(devel)`, so not reported.
      expect(packages.map((p) => `${p.name}@${p.version}`), path).toEqual(expected);
    }
  }, 180_000);
});
