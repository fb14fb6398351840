import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { LayerRef } from '../../model/package.js';
import type { Analyzer } from './analyzer.js';
import { ANALYZERS } from './index.js';
import { analyzeFiles, wantedByAny } from './run.js';

const fx = (...p: string[]): Buffer => readFileSync(join(import.meta.dirname, '__fixtures__', ...p));
const layer: LayerRef = { digest: 'sha256:aa', index: 0 };

describe('analyzeFiles', () => {
  it('runs the OS analyzers first so package purls carry the distribution', async () => {
    const files = [
      { path: '/var/lib/dpkg/status', content: fx('dpkg', 'status'), layer },
      { path: '/etc/os-release', content: fx('os-release', 'debian-12', 'etc', 'os-release'), layer },
      { path: '/etc/debian_version', content: fx('os-release', 'debian-12', 'etc', 'debian_version'), layer },
      { path: '/usr/share/doc/bash/copyright', content: Buffer.from('x'), layer },
    ];
    const r = await analyzeFiles(files);
    expect(r.os).toEqual({ family: 'debian', version: '12.5', codename: 'bookworm', prettyName: 'Debian GNU/Linux 12 (bookworm)' });
    expect(r.errors).toEqual([]);
    expect(r.packages).toHaveLength(10);
    expect(r.packages[0]).toMatchObject({ purl: 'pkg:deb/debian/adduser@3.134?arch=all&distro=debian-12.5', layer });
    expect(r.analyzers).toEqual(ANALYZERS.map((a) => `${a.id}@${a.version}`).sort());
  });

  it('turns a throwing analyzer into an error and goes on', async () => {
    const seen: Array<string | undefined> = [];
    const boom: Analyzer = { id: 'boom', version: 1, kind: 'language', description: 'always fails', wants: (p) => p.endsWith('.x'), analyze: () => { throw new Error('bad input'); } };
    const os: Analyzer = { id: 'fake-os', version: 1, kind: 'os', description: 'fixed answer', wants: (p) => p === '/etc/os-release', analyze: () => ({ os: { family: 'alpine', version: '3.19.1' }, packages: [], errors: [] }) };
    const spy: Analyzer = { id: 'spy', version: 2, kind: 'os-packages', description: 'records the context', wants: (p) => p.endsWith('.x'), analyze: (files, ctx) => { seen.push(ctx.os?.family, ...files.map((f) => f.path)); return { packages: [], errors: [{ path: files[0].path, message: 'note' }] }; } };
    const r = await analyzeFiles([{ path: '/b.x', content: Buffer.alloc(0) }, { path: '/a.x', content: Buffer.alloc(0) }, { path: '/etc/os-release', content: Buffer.alloc(0) }], [boom, spy, os]);
    expect(seen).toEqual(['alpine', '/a.x', '/b.x']);
    expect(r.errors).toEqual([
      { analyzer: 'boom', path: '/a.x', message: 'analyzer failed: bad input' },
      { analyzer: 'spy', path: '/a.x', message: 'note' },
    ]);
    expect(r.analyzers).toEqual(['boom@1', 'fake-os@1', 'spy@2']);
  });

  it('gives image walkers one want() for all analyzers', () => {
    expect(wantedByAny('/lib/apk/db/installed')).toBe(true);
    expect(wantedByAny('/app/node_modules/x/package.json')).toBe(true);
    expect(wantedByAny('/usr/share/zoneinfo/UTC')).toBe(false);
  });
});
