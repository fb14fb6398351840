import { describe, expect, it } from 'vitest';
import { defaultPullPolicy, hasDigest, parseImageRef, registryEntryMatches } from './images.js';

const D = 'sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08';

describe('parseImageRef', () => {
  it.each([
    ['nginx', { registry: 'docker.io', repository: 'library/nginx', explicitRegistry: false }],
    ['nginx:1.27', { registry: 'docker.io', repository: 'library/nginx', tag: '1.27' }],
    ['foo/bar:latest', { registry: 'docker.io', repository: 'foo/bar', tag: 'latest' }],
    ['docker.io/nginx', { registry: 'docker.io', repository: 'library/nginx', explicitRegistry: true }],
    ['index.docker.io/foo/bar:1', { registry: 'docker.io', repository: 'foo/bar', tag: '1' }],
    ['localhost:5000/tools/report', { registry: 'localhost:5000', repository: 'tools/report' }],
    ['localhost/app:2', { registry: 'localhost', repository: 'app', tag: '2' }],
    ['GHCR.io/Acme/api:2.0', { registry: 'ghcr.io', repository: 'Acme/api', tag: '2.0' }],
    ['registry.example.com:5000/infra/pgbouncer:1.23.1', { registry: 'registry.example.com:5000', repository: 'infra/pgbouncer', tag: '1.23.1' }],
    [`app@${D}`, { registry: 'docker.io', repository: 'library/app', digest: D }],
    [`quay.io/x/y:1.0@${D}`, { registry: 'quay.io', repository: 'x/y', tag: '1.0', digest: D }],
  ])('%s', (raw, expected) => {
    expect(parseImageRef(raw)).toMatchObject(expected);
  });

  it('recognises digests', () => {
    expect(hasDigest(parseImageRef(`nginx@${D}`))).toBe(true);
    expect(hasDigest(parseImageRef('nginx@'))).toBe(false);
    expect(hasDigest(parseImageRef('nginx:1.0'))).toBe(false);
  });
});

describe('defaultPullPolicy', () => {
  it('follows the API server defaulting', () => {
    expect(defaultPullPolicy(parseImageRef('nginx'))).toBe('Always');
    expect(defaultPullPolicy(parseImageRef('nginx:latest'))).toBe('Always');
    expect(defaultPullPolicy(parseImageRef('nginx:1.27'))).toBe('IfNotPresent');
    expect(defaultPullPolicy(parseImageRef(`nginx@${D}`))).toBe('IfNotPresent');
    expect(defaultPullPolicy(parseImageRef('localhost:5000/app'))).toBe('Always');
  });
});

describe('registryEntryMatches', () => {
  const m = (entry: string, image: string) => registryEntryMatches(entry, parseImageRef(image));
  it('matches hosts, path prefixes on component boundaries and host wildcards', () => {
    expect(m('registry.example.com', 'registry.example.com/team/app:1')).toBe(true);
    expect(m('Registry.Example.com/', 'registry.example.com/app:1')).toBe(true);
    expect(m('registry.example.com', 'registry.example.com.evil.io/app:1')).toBe(false);
    expect(m('ghcr.io/acme', 'ghcr.io/acme/api:1')).toBe(true);
    expect(m('ghcr.io/acme', 'ghcr.io/acme-mirror/api:1')).toBe(false);
    expect(m('*.azurecr.io', 'contoso.azurecr.io/app:1')).toBe(true);
    expect(m('*.azurecr.io', 'azurecr.io/app:1')).toBe(false);
    expect(m('localhost:5000', 'localhost:5000/app')).toBe(true);
  });
  it('treats images without a registry as docker.io', () => {
    expect(m('docker.io', 'nginx:1.27')).toBe(true);
    expect(m('docker.io/library', 'nginx:1.27')).toBe(true);
    expect(m('docker.io/nginx', 'nginx:1.27')).toBe(true);
    expect(m('docker.io/bitnami', 'bitnami/redis:7')).toBe(true);
    expect(m('docker.io/bitnami', 'nginx:1.27')).toBe(false);
    expect(m('registry.example.com', 'nginx')).toBe(false);
  });
});

describe('parseImageRef without a tag', () => {
  it.each([['nginx'], ['localhost:5000/tools/report'], ['app@sha256:abc']])('%s has no tag', (raw) => {
    expect(parseImageRef(raw).tag).toBeUndefined();
  });
});
