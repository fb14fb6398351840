import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AnalyzerFile } from './analyzer.js';
import { osRelease } from './os-release.js';

const root = join(import.meta.dirname, '__fixtures__', 'os-release');

/** The files of a fixture folder, as image paths (`<case>/etc/os-release` -> `/etc/os-release`). */
function imageFiles(dir: string, prefix = ''): AnalyzerFile[] {
  const out: AnalyzerFile[] = [];
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) out.push(...imageFiles(full, `${prefix}/${name}`));
    else if (prefix) out.push({ path: `${prefix}/${name}`, content: readFileSync(full) });
  }
  return out;
}

describe('os-release analyzer', () => {
  // One folder per case: a small root file system and expected.json (the OsInfo, or null).
  for (const name of readdirSync(root).sort()) {
    it(`detects ${name}`, () => {
      const files = imageFiles(join(root, name)).filter((f) => osRelease.wants(f.path));
      const expected = JSON.parse(readFileSync(join(root, name, 'expected.json'), 'utf8')) as unknown;
      const { os, packages, errors } = osRelease.analyze(files);
      expect(os ?? null).toEqual(expected);
      expect(packages).toEqual([]);
      expect(errors).toEqual([]);
    });
  }

  it('wants the release files and the dpkg status entries, nothing else', () => {
    for (const p of ['/etc/os-release', '/usr/lib/os-release', '/etc/alpine-release', '/etc/debian_version', '/etc/redhat-release',
      '/etc/system-release', '/etc/centos-release', '/etc/oracle-release', '/etc/lsb-release', '/var/lib/dpkg/status',
      '/etc/apk/repositories', '/var/lib/ubuntu-advantage/status.json',
      '/var/lib/dpkg/status.d/libc6']) {
      expect(osRelease.wants(p), p).toBe(true);
    }
    for (const p of ['/etc/os-release.d/x', '/usr/etc/os-release', '/etc/issue', '/var/lib/dpkg/available']) expect(osRelease.wants(p), p).toBe(false);
  });

  it('reads the host it runs on like the host does', () => {
    const files = ['/etc/os-release', '/usr/lib/os-release', '/etc/debian_version', '/etc/alpine-release', '/etc/redhat-release']
      .flatMap((p) => { try { return [{ path: p, content: readFileSync(p) }]; } catch { return []; } });
    const { os } = osRelease.analyze(files);
    if (files.length === 0) return;
    expect(os?.family).not.toBeUndefined();
    expect(os?.version).not.toBe('');
  });
});
