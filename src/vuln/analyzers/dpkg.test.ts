import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { OsInfo } from '../../model/package.js';
import { dpkg } from './dpkg.js';

const fixtures = join(import.meta.dirname, '__fixtures__', 'dpkg');
const bookworm: OsInfo = { family: 'debian', version: '12.11', codename: 'bookworm' };

function hasDpkgQuery(): boolean {
  try {
    execFileSync('dpkg-query', ['--version'], { stdio: 'ignore' });
    return existsSync('/var/lib/dpkg/status');
  } catch {
    return false;
  }
}

describe('dpkg analyzer', () => {
  const status = { path: '/var/lib/dpkg/status', content: readFileSync(join(fixtures, 'status')) };

  it('lists installed packages of a real status file, with source packages and purls', () => {
    const { packages, errors } = dpkg.analyze([status], { os: bookworm });
    expect(errors).toEqual([]);
    expect(packages.map((p) => `${p.name} ${p.version}`)).toEqual([
      'adduser 3.134',
      'base-files 12.4+deb12u11',
      'bash 5.2.15-2+b8',
      'bsdutils 1:2.38.1-5+deb12u3',
      'ca-certificates 20230311+deb12u1',
      'libc6 2.36-9+deb12u14',
      'libgcc-s1 12.2.0-14+deb12u1',
      'libssl3 3.0.19-1~deb12u2',
      'tzdata 2025b-0+deb12u2',
      'zlib1g 1:1.2.13.dfsg-1',
    ]);
    const byName = new Map(packages.map((p) => [p.name, p]));
    // No Source field: the package is its own source.
    expect(byName.get('adduser')).toMatchObject({ sourceName: 'adduser', sourceVersion: '3.134', arch: 'all' });
    // Source without version: the binary version.
    expect(byName.get('libc6')).toMatchObject({ sourceName: 'glibc', sourceVersion: '2.36-9+deb12u14' });
    // Source with version: a binNMU (+b8) and a binary-only epoch differ from their source.
    expect(byName.get('bash')).toMatchObject({ sourceName: 'bash', sourceVersion: '5.2.15-2' });
    expect(byName.get('bsdutils')).toMatchObject({ sourceName: 'util-linux', sourceVersion: '2.38.1-5+deb12u3' });
    expect(byName.get('libc6')).toEqual({
      ecosystem: 'debian',
      scheme: 'deb',
      name: 'libc6',
      version: '2.36-9+deb12u14',
      sourceName: 'glibc',
      sourceVersion: '2.36-9+deb12u14',
      arch: 'amd64',
      purl: 'pkg:deb/debian/libc6@2.36-9+deb12u14?arch=amd64&distro=debian-12.11',
      filePath: '/var/lib/dpkg/status',
    });
    expect(byName.get('zlib1g')?.purl).toBe('pkg:deb/debian/zlib1g@1:1.2.13.dfsg-1?arch=amd64&distro=debian-12.11');
  });

  it('leaves out removed (config-files) and half-installed packages', () => {
    const names = dpkg.analyze([status], {}).packages.map((p) => p.name);
    expect(names).not.toContain('exim4-config');
    expect(names).not.toContain('libpam-systemd');
  });

  it('uses the ubuntu ecosystem on Ubuntu and no distro qualifier without an OS', () => {
    const ubuntu = dpkg.analyze([status], { os: { family: 'ubuntu', version: '22.04', codename: 'jammy' } }).packages[0];
    expect(ubuntu).toMatchObject({ ecosystem: 'ubuntu', purl: 'pkg:deb/ubuntu/adduser@3.134?arch=all&distro=ubuntu-22.04' });
    const none = dpkg.analyze([status], {}).packages[0];
    expect(none).toMatchObject({ ecosystem: 'debian', purl: 'pkg:deb/debian/adduser@3.134?arch=all' });
  });

  it('reads the distroless status.d files, which have no Status field, and skips their md5sums', () => {
    const dir = join(fixtures, 'status.d');
    const files = readdirSync(dir).sort().map((n) => ({ path: `/var/lib/dpkg/status.d/${n}`, content: readFileSync(join(dir, n)) }));
    const wanted = files.filter((f) => dpkg.wants(f.path));
    expect(wanted.map((f) => f.path)).not.toContain('/var/lib/dpkg/status.d/libc6.md5sums');
    const os: OsInfo = { family: 'distroless', version: '12.11', codename: 'bookworm', distroless: true };
    const { packages, errors } = dpkg.analyze(wanted, { os });
    expect(errors).toEqual([]);
    expect(packages.map((p) => p.name)).toEqual(['base-files', 'libc6', 'libssl3', 'tzdata']);
    expect(packages[1]).toMatchObject({
      ecosystem: 'debian',
      sourceName: 'glibc',
      filePath: '/var/lib/dpkg/status.d/libc6',
      purl: 'pkg:deb/debian/libc6@2.36-9+deb12u14?arch=amd64&distro=debian-12.11',
    });
  });

  it('reports paragraphs it cannot use instead of dropping them silently', () => {
    const text = 'Package: broken\nStatus: install ok installed\nArchitecture: amd64\n\nPackage: nostatus\nVersion: 1.0\n';
    const { packages, errors } = dpkg.analyze([{ path: '/var/lib/dpkg/status', content: Buffer.from(text) }], {});
    expect(packages).toEqual([]);
    expect(errors.map((e) => e.message)).toEqual([
      'package "broken" (line 1) has no Version field; skipped',
      'package "nostatus" (line 5) has no Status field; skipped',
    ]);
  });

  it.skipIf(!hasDpkgQuery())('agrees exactly with dpkg-query -W on this machine', () => {
    const { packages, errors } = dpkg.analyze([{ path: '/var/lib/dpkg/status', content: readFileSync('/var/lib/dpkg/status') }], {});
    expect(errors).toEqual([]);
    const query = (format: string): string[] => execFileSync('dpkg-query', ['-W', '-f', format], { encoding: 'utf8' }).split('\n').filter(Boolean);
    const listed = query('${Package} ${Version}\n');
    // dpkg-query -W also lists records whose files are gone (config-files): drop those, by dpkg's own word.
    const states = query('${db:Status-Status}\n');
    const onDisk = new Set(['installed', 'triggers-pending', 'triggers-awaiting', 'half-configured', 'unpacked']);
    const expected = listed.filter((_, i) => onDisk.has(states[i]));
    expect(packages.map((p) => `${p.name} ${p.version}`).sort()).toEqual(expected.sort());
  });
});
