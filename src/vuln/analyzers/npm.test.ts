import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { corpusRoot, findRepoRoot } from '../../../test/conformance/corpus.js';
import type { AnalyzerFile } from './analyzer.js';
import { npm } from './npm.js';

const trivyRepo = join(corpusRoot(findRepoRoot(import.meta.dirname)), 'trivy', 'integration', 'testdata', 'fixtures', 'repo');
const trivyGolden = join(trivyRepo, '..', '..');
const haveCorpus = existsSync(trivyRepo);
if (!haveCorpus) console.warn(`Trivy corpus not found at ${trivyRepo} (set PALISADE_CORPUS): corpus cases skipped`);

/** The files of a corpus folder as if copied to `mount` in an image, filtered by wants(). */
function mounted(dir: string, mount: string): AnalyzerFile[] {
  const out: AnalyzerFile[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.push({ path: `${mount}/${relative(dir, p).split('\\').join('/')}`, content: readFileSync(p) });
    }
  };
  walk(dir);
  return out.filter((f) => npm.wants(f.path));
}

function golden(name: string): string[] {
  const report = JSON.parse(readFileSync(join(trivyGolden, name), 'utf8')) as { Results: Array<{ Packages?: Array<{ Name: string; Version: string }> }> };
  return report.Results.flatMap((r) => r.Packages ?? []).map((p) => `${p.Name}@${p.Version}`).sort();
}

const file = (path: string, text: string): AnalyzerFile => ({ path, content: Buffer.from(text) });

describe('npm analyzer', () => {
  it('wants installed package.json files and project lockfiles', () => {
    for (const p of ['/app/node_modules/express/package.json', '/app/node_modules/@babel/core/package.json',
      '/app/node_modules/a/node_modules/debug/package.json', '/usr/local/lib/node_modules/npm/package.json',
      '/app/node_modules/.pnpm/react@18.2.0/node_modules/react/package.json', '/app/package-lock.json', '/srv/web/yarn.lock']) {
      expect(npm.wants(p), p).toBe(true);
    }
    for (const p of ['/app/package.json', '/app/node_modules/express/lib/package.json', '/app/node_modules/@babel/package.json',
      '/app/node_modules/express/package-lock.json', '/app/node_modules/x/yarn.lock', '/app/package.json.bak']) {
      expect(npm.wants(p), p).toBe(false);
    }
  });

  it.skipIf(!haveCorpus)('prefers node_modules over the lockfile beside it (Trivy npm fixture)', () => {
    const { packages, errors } = npm.analyze(mounted(join(trivyRepo, 'npm'), '/app'));
    expect(errors).toEqual([]);
    expect(packages.map((p) => `${p.name}@${p.version}`).sort()).toEqual(['jquery@3.3.9', 'promise@8.0.3', 'react-is@16.8.6', 'react@16.8.6', 'redux@4.0.1', 'z-lock@1.0.0']);
    expect(packages.find((p) => p.name === 'jquery')).toEqual({
      ecosystem: 'npm',
      scheme: 'semver',
      name: 'jquery',
      version: '3.3.9',
      purl: 'pkg:npm/jquery@3.3.9',
      filePath: '/app/node_modules/jquery/package.json',
      licenses: ['MIT'],
    });
  });

  it.skipIf(!haveCorpus)('reads a lockfile v1 without node_modules like Trivy (dev dependencies left out)', () => {
    const lock = mounted(join(trivyRepo, 'npm'), '/app').filter((f) => f.path.endsWith('package-lock.json'));
    const { packages, errors } = npm.analyze(lock);
    expect(errors).toEqual([]);
    expect(packages.map((p) => `${p.name}@${p.version}`).sort()).toEqual(golden('npm.json.golden'));
    expect(packages.map((p) => p.name)).not.toContain('z-lock'); // "dev": true
  });

  it.skipIf(!haveCorpus)('reads a yarn v1 lockfile', () => {
    const lock = mounted(join(trivyRepo, 'yarn'), '/app').filter((f) => f.path.endsWith('yarn.lock'));
    const { packages } = npm.analyze(lock);
    // Trivy's golden has 2 packages: it also reads package.json to drop development dependencies (promise,
    // and asap through it) and adds the project itself. A lockfile alone cannot tell.
    expect(packages.map((p) => `${p.name}@${p.version}`).sort()).toEqual(['asap@2.0.6', 'jquery@3.2.1', 'promise@8.0.3']);
    expect(golden('yarn.json.golden')).toContain('jquery@3.2.1');
  });

  it('reads lockfile v2/v3 packages maps: nested copies, scoped names, aliases; no dev, links, workspaces or git versions', () => {
    const lock = {
      name: 'shop',
      version: '1.0.0',
      lockfileVersion: 3,
      requires: true,
      packages: {
        '': { name: 'shop', version: '1.0.0', dependencies: { express: '^4.18.2' } },
        'node_modules/express': { version: '4.18.2', resolved: 'https://registry.npmjs.org/express/-/express-4.18.2.tgz', license: 'MIT' },
        'node_modules/debug': { version: '2.6.9' },
        'node_modules/send/node_modules/debug': { version: '4.3.4' },
        'node_modules/@types/node': { version: '20.11.5', dev: true },
        'node_modules/@babel/runtime': { version: '7.23.9' },
        'node_modules/shared': { resolved: 'packages/shared', link: true },
        'packages/shared': { name: '@shop/shared', version: '0.0.1' },
        // An alias (`"lodash-es": "npm:lodash@^4"`): the entry names the real package.
        'node_modules/lodash-es': { name: 'lodash', version: '4.17.21', resolved: 'https://registry.npmjs.org/lodash/-/lodash-4.17.21.tgz' },
        'node_modules/from-git': { version: 'git+ssh://git@github.com/acme/from-git.git#1a2b3c4d', resolved: 'git+ssh://git@github.com/acme/from-git.git#1a2b3c4d' },
      },
    };
    const { packages, errors } = npm.analyze([file('/srv/shop/package-lock.json', JSON.stringify(lock))]);
    expect(errors).toEqual([]);
    expect(packages.map((p) => `${p.name}@${p.version}`)).toEqual([
      'express@4.18.2', 'debug@2.6.9', 'debug@4.3.4', '@babel/runtime@7.23.9', 'lodash@4.17.21',
    ]);
    expect(packages[3].purl).toBe('pkg:npm/%40babel/runtime@7.23.9');
  });

  it('reads a Berry (v2+) yarn.lock', () => {
    const text = `# This file is generated by running "yarn install" inside your project.
# Manual changes might be lost - proceed with caution!

__metadata:
  version: 8
  cacheKey: 10c0

"@babel/code-frame@npm:^7.22.13":
  version: 7.23.5
  resolution: "@babel/code-frame@npm:7.23.5"
  dependencies:
    "@babel/highlight": "npm:^7.23.4"
  checksum: 10c0/a10e843595ddd9f97faa99917414813c06214f4d9205294ca63a9d0e9f3d1a3a8e2ab9fbe34bd8d5f8b8b0f2b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1
  languageName: node
  linkType: hard

"lodash@npm:^4.17.20, lodash@npm:^4.17.21":
  version: 4.17.21
  resolution: "lodash@npm:4.17.21"
  languageName: node
  linkType: hard

"shop@workspace:.":
  version: 0.0.0-use.local
  resolution: "shop@workspace:."
  languageName: unknown
  linkType: soft
`;
    const { packages } = npm.analyze([file('/app/yarn.lock', text)]);
    expect(packages.map((p) => `${p.name}@${p.version}`)).toEqual(['@babel/code-frame@7.23.5', 'lodash@4.17.21']);
  });

  it('reports unreadable JSON and keeps going', () => {
    const { packages, errors } = npm.analyze([
      file('/app/node_modules/bad/package.json', '{"name": "bad", '),
      file('/app/node_modules/ok/package.json', '{"name": "ok", "version": "1.0.0", "license": {"type": "ISC"}}'),
      file('/app/node_modules/stub/package.json', '{"name": "stub"}'),
    ]);
    expect(packages.map((p) => [p.name, p.licenses])).toEqual([['ok', ['ISC']]]);
    expect(errors).toHaveLength(1);
    expect(errors[0].path).toBe('/app/node_modules/bad/package.json');
    expect(errors[0].message).toMatch(/^invalid JSON/);
  });
});
