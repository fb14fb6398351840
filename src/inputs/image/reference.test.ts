import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PalisadeError } from '../../model/errors.js';
import { configKeyHost, dockerConfigCredentials, parseWwwAuthenticate } from './auth.js';
import { layerRefs, parsePlatform, selectPlatform } from './manifest.js';
import { parseReference } from './reference.js';
import { FsTree, entryComponents } from './tree.js';

const D = `sha256:${'a'.repeat(64)}`;

describe('parseReference', () => {
  it.each([
    ['nginx', 'docker.io', 'registry-1.docker.io', 'library/nginx', 'latest', undefined],
    ['bitnami/redis:7.2', 'docker.io', 'registry-1.docker.io', 'bitnami/redis', '7.2', undefined],
    ['index.docker.io/library/alpine:3.19', 'docker.io', 'registry-1.docker.io', 'library/alpine', '3.19', undefined],
    ['localhost/app', 'localhost', 'localhost', 'app', 'latest', undefined],
    ['localhost:5000/team/app:v1', 'localhost:5000', 'localhost:5000', 'team/app', 'v1', undefined],
    ['127.0.0.1:5000/app@' + D, '127.0.0.1:5000', '127.0.0.1:5000', 'app', undefined, D],
    ['ghcr.io/org/sub/app:1.0@' + D, 'ghcr.io', 'ghcr.io', 'org/sub/app', '1.0', D],
    ['[::1]:5000/app:1', '[::1]:5000', '[::1]:5000', 'app', '1', undefined],
    ['docker://quay.io/x/y_z__w-v:tag', 'quay.io', 'quay.io', 'x/y_z__w-v', 'tag', undefined],
  ])('%s', (input, domain, apiHost, repository, tag, digest) => {
    expect(parseReference(input)).toMatchObject({ domain, apiHost, repository, tag, digest });
  });

  it('normalises', () => {
    expect(parseReference('nginx').normalized).toBe('docker.io/library/nginx:latest');
    expect(parseReference(`ghcr.io/a/b@${D}`).normalized).toBe(`ghcr.io/a/b@${D}`);
  });

  it.each(['', 'UPPER/case', 'app:bad tag', `app@sha256:${'z'.repeat(64)}`, 'app@md5:abc', 'a//b', '-lead/x'])('rejects %j', (input) => {
    expect(() => parseReference(input)).toThrow(PalisadeError);
  });
});

describe('parseWwwAuthenticate', () => {
  it('parses a bearer challenge with quoted parameters', () => {
    expect(parseWwwAuthenticate('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull"')).toEqual([
      { scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/nginx:pull' } },
    ]);
  });

  it('parses several challenges, escapes, token values and odd spacing', () => {
    expect(parseWwwAuthenticate('Basic realm="a \\"quoted\\" realm", charset=UTF-8,  Bearer  realm = "https://x/t" , error="insufficient_scope"')).toEqual([
      { scheme: 'basic', params: { realm: 'a "quoted" realm', charset: 'UTF-8' } },
      { scheme: 'bearer', params: { realm: 'https://x/t', error: 'insufficient_scope' } },
    ]);
  });

  it('keeps a comma inside a quoted scope', () => {
    expect(parseWwwAuthenticate('Bearer realm="r",scope="repository:a:pull,push"')[0].params.scope).toBe('repository:a:pull,push');
  });
});

describe('Docker config credentials', () => {
  it('finds auths by host, including Docker Hub aliases, and warns about helpers', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'palisade-dcfg-'));
    try {
      const path = join(dir, 'config.json');
      await writeFile(path, JSON.stringify({
        auths: {
          'https://index.docker.io/v1/': { auth: Buffer.from('hub:pw:with:colon').toString('base64') },
          'registry.example:5000': { username: 'u', password: 'p' },
          'token.example': { identitytoken: 'xyz' },
        },
        credHelpers: { 'gcr.io': 'gcloud' },
      }));
      const warnings: string[] = [];
      const warn = (m: string): number => warnings.push(m);
      expect(await dockerConfigCredentials('docker.io', path, warn)).toEqual({ username: 'hub', password: 'pw:with:colon' });
      expect(await dockerConfigCredentials('registry.example:5000', path, warn)).toEqual({ username: 'u', password: 'p' });
      expect(await dockerConfigCredentials('token.example', path, warn)).toBeUndefined();
      expect(await dockerConfigCredentials('gcr.io', path, warn)).toBeUndefined();
      expect(await dockerConfigCredentials('other.example', join(dir, 'missing.json'), warn)).toBeUndefined();
      expect(warnings.join('\n')).toMatch(/identity token[\s\S]*"gcloud" credential helper/);
      await writeFile(path, '{not json');
      await expect(dockerConfigCredentials('x', path, warn)).rejects.toMatchObject({ code: 'E_IMAGE_AUTH' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('maps config keys to hosts', () => {
    expect(configKeyHost('https://index.docker.io/v1/')).toBe('docker.io');
    expect(configKeyHost('http://Registry.Example:5000/v2/')).toBe('registry.example:5000');
  });
});

describe('platforms', () => {
  it('parses user spellings', () => {
    expect(parsePlatform(undefined)).toEqual({ os: 'linux', architecture: 'amd64' });
    expect(parsePlatform('linux/arm64/v8')).toEqual({ os: 'linux', architecture: 'arm64', variant: 'v8' });
    expect(parsePlatform('x86_64')).toEqual({ os: 'linux', architecture: 'amd64' });
    expect(() => parsePlatform('a/b/c/d')).toThrow(PalisadeError);
  });

  it('selects arm variants exactly and falls back to the first of an architecture', () => {
    const m = (architecture: string, variant?: string) => ({ digest: `sha256:${(architecture + (variant ?? '')).padEnd(64, '0').replace(/[^0-9a-f]/g, 'b')}`, size: 1, platform: { os: 'linux', architecture, variant } });
    const idx = { schemaVersion: 2 as const, manifests: [m('arm', 'v6'), m('arm', 'v7'), m('arm64'), m('amd64')] };
    expect(selectPlatform(idx, parsePlatform('linux/arm/v7'), 'x').platform?.variant).toBe('v7');
    expect(selectPlatform(idx, parsePlatform('linux/arm'), 'x').platform?.variant).toBe('v6');
    expect(selectPlatform(idx, parsePlatform('linux/arm64/v8'), 'x').platform?.architecture).toBe('arm64');
    expect(() => selectPlatform(idx, parsePlatform('linux/arm/v5'), 'x')).toThrow(/linux\/arm\/v5/);
  });
});

describe('layer history', () => {
  it('pairs non-empty history entries with layers', () => {
    const refs = layerRefs([D, D.replace(/a/g, 'b')], {
      rootfs: { diff_ids: [D, D] },
      history: [{ created_by: 'FROM' }, { created_by: 'ENV x', empty_layer: true }, { created_by: 'RUN apt-get install -y curl' }],
    });
    expect(refs.map((r) => r.createdBy)).toEqual(['FROM', 'RUN apt-get install -y curl']);
    expect(refs[1]).toMatchObject({ index: 1, diffId: D });
  });
});

describe('tree resolution', () => {
  it('clamps .. at the root and refuses entry names that climb out', () => {
    expect(entryComponents('./a/./b/../c/')).toEqual(['a', 'c']);
    expect(entryComponents('../x')).toBeNull();
    expect(entryComponents('a/../../x')).toBeNull();
    const t = new FsTree();
    const r = t.resolve(['..', '..', 'etc'], false);
    expect('error' in r ? r : r.path).toEqual(['etc']);
  });
});
