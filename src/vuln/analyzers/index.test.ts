import { readdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Analyzer } from './analyzer.js';
import { ANALYZERS } from './index.js';

const here = dirname(fileURLToPath(import.meta.url));
/** Files of the folder that are infrastructure, not analyzer units. */
const NOT_UNITS = new Set(['analyzer.ts', 'index.ts', 'run.ts']);

function isAnalyzer(v: unknown): v is Analyzer {
  const a = v as Analyzer;
  return typeof v === 'object' && v !== null && typeof a.id === 'string' && typeof a.wants === 'function' && typeof a.analyze === 'function';
}

describe('analyzer registry', () => {
  const unitFiles = readdirSync(here).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !NOT_UNITS.has(f));

  it('lists exactly the analyzers of the folder, each under its file name', async () => {
    const fromFolder: Analyzer[] = [];
    for (const file of unitFiles) {
      const mod = (await import(/* @vite-ignore */ `./${file}`)) as Record<string, unknown>;
      const units = Object.values(mod).filter(isAnalyzer);
      expect(units, `${file} exports one analyzer`).toHaveLength(1);
      expect(units[0].id, `${file}: id equals the file name`).toBe(file.replace(/\.ts$/, ''));
      fromFolder.push(units[0]);
    }
    expect(new Set(ANALYZERS)).toEqual(new Set(fromFolder));
    expect(ANALYZERS).toHaveLength(fromFolder.length);
  });

  it('has unique kebab-case ids and valid fields', () => {
    expect(new Set(ANALYZERS.map((a) => a.id)).size).toBe(ANALYZERS.length);
    for (const a of ANALYZERS) {
      expect(a.id).toMatch(/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/);
      expect(Number.isInteger(a.version) && a.version >= 1, `${a.id} version`).toBe(true);
      expect(['os', 'os-packages', 'language']).toContain(a.kind);
      expect(a.description.length, `${a.id} description`).toBeGreaterThan(10);
    }
  });

  it('has wants() that accepts its files and not unrelated ones', () => {
    const probes = ['/', '/etc/passwd', '/usr/lib/x86_64-linux-gnu/libc.so.6', '/usr/share/doc/bash/copyright', '/app/index.js', '/etc/ssl/certs/ca.pem'];
    for (const a of ANALYZERS) for (const p of probes) expect(a.wants(p), `${a.id} wants ${p}`).toBe(false);
    const byId = new Map(ANALYZERS.map((a) => [a.id, a]));
    const expectations: Array<[string, string]> = [
      ['os-release', '/etc/os-release'],
      ['dpkg', '/var/lib/dpkg/status'],
      ['apk', '/lib/apk/db/installed'],
      ['rpm', '/var/lib/rpm/rpmdb.sqlite'],
      ['npm', '/app/node_modules/express/package.json'],
      ['python', '/usr/lib/python3.11/site-packages/requests-2.31.0.dist-info/METADATA'],
      ['go-binary', '/usr/local/bin/kubectl'],
      ['java', '/app/app.jar'],
    ];
    for (const [id, path] of expectations) expect(byId.get(id)?.wants(path), `${id} wants ${path}`).toBe(true);
  });
});
