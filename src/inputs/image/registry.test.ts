import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasZstdCli, image, index, layer, type BuiltImage } from '../../../test/helpers/oci-image.js';
import {
  hasOpenssl, hasRegistry, makeCertificates, pushImage, pushIndex, startFaultProxy, startRegistry, startTokenServer, writeDockerConfig,
  type Certificates, type RunningRegistry, type TokenServer,
} from '../../../test/helpers/registry.js';
import { PalisadeError } from '../../model/errors.js';
import { openImage } from './open.js';
import type { OpenImageOptions, RegistryOptions } from './types.js';

const REGISTRY = hasRegistry();
const OPENSSL = hasOpenssl();
if (!REGISTRY) console.warn('registry tests skipped: /usr/bin/docker-registry is not installed (apt-get install docker-registry)');
const needsRegistry = REGISTRY ? '' : ' (skipped: /usr/bin/docker-registry not installed)';
const needsOpenssl = OPENSSL ? '' : ' (skipped: openssl not installed)';

/** Fast retries for tests; plain HTTP because the test registries listen on loopback without TLS. */
const fast: RegistryOptions = { insecure: true, attempts: 3, backoffMs: 10, timeoutMs: 1000, dockerConfig: false };

function opts(registry: RegistryOptions = {}, more: OpenImageOptions = {}): OpenImageOptions {
  return { registry: { ...fast, ...registry }, ...more };
}

async function expectCode(p: Promise<unknown>, code: string, message?: RegExp): Promise<PalisadeError> {
  const e = await p.then(() => undefined, (err: unknown) => err);
  expect(e, 'expected a PalisadeError').toBeInstanceOf(PalisadeError);
  expect((e as PalisadeError).code).toBe(code);
  if (message) expect((e as PalisadeError).message).toMatch(message);
  return e as PalisadeError;
}

async function osRelease(ref: string, o: OpenImageOptions): Promise<{ text?: string; digest?: string; arch: string }> {
  const img = await openImage(ref, o);
  try {
    const files = await img.walk((p) => p === '/etc/os-release');
    return { text: files[0]?.content.toString(), digest: img.digest, arch: img.platform.architecture };
  } finally {
    await img.close();
  }
}

async function sample(id: string, compression: 'gzip' | 'zstd' | 'zstd-raw' | 'none' = 'gzip', platform?: BuiltImage['platform'], docker = false): Promise<BuiltImage> {
  const base = await layer([{ name: 'usr/lib/os-release', content: `ID=${id}\n` }, { name: 'etc/os-release', type: 'symlink', linkname: '../usr/lib/os-release' }], compression, docker);
  const big = await layer([{ name: 'opt/data.bin', content: Buffer.alloc(300_000, 7) }], compression, docker);
  return image([base, big], { platform, docker });
}

/** A local HTTP server answering every request with `handler` (for failures that need no registry). */
async function fakeServer(handler: http.RequestListener): Promise<{ host: string; hits: () => number; stop: () => Promise<void> }> {
  let hits = 0;
  const server = http.createServer((req, res) => {
    hits++;
    handler(req, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    hits: () => hits,
    stop: () => new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}

describe('registry failures (local HTTP servers)', () => {
  it('retries 5xx with backoff, then fails clearly', async () => {
    const s = await fakeServer((_req, res) => res.writeHead(503).end('busy'));
    try {
      await expectCode(openImage(`${s.host}/app:1`, opts()), 'E_IMAGE_NETWORK', /failed after 3 attempts: HTTP 503/);
      expect(s.hits()).toBe(3);
    } finally {
      await s.stop();
    }
  });

  it('gives up on a registry that never answers, naming the timeout', async () => {
    const s = await fakeServer(() => undefined);
    try {
      const t0 = Date.now();
      await expectCode(openImage(`${s.host}/app:1`, opts({ timeoutMs: 150, attempts: 2 })), 'E_IMAGE_NETWORK', /failed after 2 attempts: no response from 127\.0\.0\.1:\d+ within 0\.2 s/);
      expect(Date.now() - t0).toBeLessThan(5000);
    } finally {
      await s.stop();
    }
  });

  it('speaks HTTPS unless plain HTTP is asked for, even on loopback', async () => {
    const s = await fakeServer((_req, res) => res.writeHead(404).end());
    try {
      await expectCode(openImage(`${s.host}/app:1`, opts({ insecure: false })), 'E_IMAGE_NETWORK', /does not speak TLS.*insecure/);
    } finally {
      await s.stop();
    }
  });
});

describe(`registry: anonymous pulls from a real registry${needsRegistry}`, () => {
  let reg: RunningRegistry;
  const images: Record<string, BuiltImage> = {};
  beforeAll(async () => {
    if (!REGISTRY) return;
    reg = await startRegistry();
    const t = { url: reg.url, repository: 'team/app' };
    images.gzip = await sample('gzip');
    await pushImage(t, images.gzip, '1.0');
    images.docker = await sample('docker', 'gzip', undefined, true);
    await pushImage(t, images.docker, 'docker');
    images.zstd = await sample('zstd', hasZstdCli() ? 'zstd' : 'zstd-raw');
    await pushImage(t, images.zstd, 'zstd');
    images.amd = await sample('amd64');
    images.arm = await sample('arm64', 'gzip', { os: 'linux', architecture: 'arm64', variant: 'v8' });
    await pushIndex(t, [images.amd, images.arm], index([images.amd, images.arm]), 'multi');
    await pushIndex(t, [images.amd, images.arm], index([images.amd, images.arm], true), 'list');
  });
  afterAll(async () => {
    await reg?.stop();
  });

  it.skipIf(!REGISTRY)('pulls an OCI image by tag: digest, config, layers, history and files', async () => {
    const img = await openImage(`${reg.host}/team/app:1.0`, opts());
    try {
      expect(img.ref).toBe(`${reg.host}/team/app:1.0`);
      expect(img.digest).toBe(images.gzip.manifestDigest);
      expect(img.layers.map((l) => [l.digest, l.diffId, l.createdBy])).toEqual(images.gzip.layers.map((l, i) => [l.digest, l.diffId, `RUN step ${i}`]));
      const files = await img.walk((p) => p === '/etc/os-release' || p === '/opt/data.bin');
      expect(files.map((f) => [f.path, f.content.length])).toEqual([['/etc/os-release', 8], ['/opt/data.bin', 300_000]]);
    } finally {
      await img.close();
    }
  });

  it.skipIf(!REGISTRY)('pulls by digest, Docker schema 2 and zstd layers', async () => {
    expect((await osRelease(`${reg.host}/team/app@${images.gzip.manifestDigest}`, opts())).text).toBe('ID=gzip\n');
    expect((await osRelease(`${reg.host}/team/app:docker`, opts())).text).toBe('ID=docker\n');
    expect((await osRelease(`${reg.host}/team/app:zstd`, opts())).text).toBe('ID=zstd\n');
  });

  it.skipIf(!REGISTRY)('chooses the platform from an OCI index and a Docker manifest list', async () => {
    for (const tag of ['multi', 'list']) {
      expect(await osRelease(`${reg.host}/team/app:${tag}`, opts())).toMatchObject({ text: 'ID=amd64\n', arch: 'amd64', digest: images.amd.manifestDigest });
      expect(await osRelease(`${reg.host}/team/app:${tag}`, opts({}, { platform: 'linux/arm64/v8' }))).toMatchObject({ text: 'ID=arm64\n', arch: 'arm64' });
    }
    await expectCode(openImage(`${reg.host}/team/app:multi`, opts({}, { platform: 'windows/amd64' })), 'E_IMAGE_NOT_FOUND', /windows\/amd64/);
  });

  it.skipIf(!REGISTRY)('names unknown tags and repositories', async () => {
    await expectCode(openImage(`${reg.host}/team/app:nope`, opts()), 'E_IMAGE_NOT_FOUND', /MANIFEST_UNKNOWN/);
    await expectCode(openImage(`${reg.host}/team/other:1`, opts()), 'E_IMAGE_NOT_FOUND');
  });

  it.skipIf(!REGISTRY)('retries 5xx answers from the registry path, then succeeds', async () => {
    const blob = images.gzip.layers[1].digest;
    const proxy = await startFaultProxy(reg.url, ({ path, count }) => (path.endsWith('/manifests/1.0') && count === 1 ? { kind: 'status', status: 502 } : path.endsWith(blob) && count <= 2 ? { kind: 'status', status: 503 } : { kind: 'pass' }));
    try {
      expect((await osRelease(`${proxy.host}/team/app:1.0`, opts())).text).toBe('ID=gzip\n');
      expect(proxy.seen.filter((s) => s.endsWith(blob))).toHaveLength(3);
      expect(proxy.seen.filter((s) => s.endsWith('/manifests/1.0'))).toHaveLength(2);
    } finally {
      await proxy.stop();
    }
  });

  it.skipIf(!REGISTRY)('resumes a layer download cut mid-way with a Range request', async () => {
    const blob = images.gzip.layers[1].digest;
    const ranges: Array<string | undefined> = [];
    const proxy = await startFaultProxy(reg.url, ({ path, count, range }) => {
      if (!path.endsWith(blob)) return { kind: 'pass' };
      ranges.push(range);
      return count === 1 ? { kind: 'cut', bytes: 200 } : { kind: 'pass' };
    });
    try {
      const img = await openImage(`${proxy.host}/team/app:1.0`, opts());
      const files = await img.walk((p) => p === '/opt/data.bin');
      await img.close();
      expect(files[0].content.equals(Buffer.alloc(300_000, 7))).toBe(true);
      expect(ranges[0]).toBeUndefined();
      expect(ranges[1]).toMatch(/^bytes=\d+-$/);
    } finally {
      await proxy.stop();
    }
  });

  it.skipIf(!REGISTRY)('fails on a layer blob tampered with in transit', async () => {
    const blob = images.gzip.layers[0].digest;
    const proxy = await startFaultProxy(reg.url, ({ path }) => (path.endsWith(blob) ? { kind: 'tamper', edit: (b) => Buffer.concat([b.subarray(0, b.length - 1), Buffer.from([b[b.length - 1] ^ 1])]) } : { kind: 'pass' }));
    try {
      const img = await openImage(`${proxy.host}/team/app:1.0`, opts());
      await expectCode(img.walk(() => true), 'E_IMAGE_DIGEST', /digest mismatch/);
      await img.close();
    } finally {
      await proxy.stop();
    }
  });

  it.skipIf(!REGISTRY)('fails clearly, never with an empty result, when a layer blob keeps failing or hangs', async () => {
    const blob = images.gzip.layers[0].digest;
    for (const [action, message] of [
      [{ kind: 'status', status: 500 }, /failed after 3 attempts: HTTP 500/],
      [{ kind: 'hang' }, /failed after 3 attempts: no response from 127\.0\.0\.1:\d+ within 0\.2 s/],
    ] as const) {
      const proxy = await startFaultProxy(reg.url, ({ path }) => (path.endsWith(blob) ? action : { kind: 'pass' }));
      try {
        const img = await openImage(`${proxy.host}/team/app:1.0`, opts({ timeoutMs: 200 }));
        const e = await expectCode(img.walk(() => true), 'E_IMAGE_NETWORK', message);
        expect(e.message).toContain(blob.slice(0, 19));
        await img.close();
        expect(proxy.seen.filter((x) => x.endsWith(blob))).toHaveLength(3);
      } finally {
        await proxy.stop();
      }
    }
  });

  it.skipIf(!REGISTRY)('fails on a truncated layer blob and on a tampered manifest', async () => {
    const blob = images.gzip.layers[1].digest;
    const proxy = await startFaultProxy(reg.url, ({ path }) => {
      if (path.endsWith(blob)) return { kind: 'tamper', edit: (b) => b.subarray(0, b.length - 100) };
      if (path.endsWith(`/manifests/${images.gzip.manifestDigest}`)) return { kind: 'tamper', edit: (b) => Buffer.from(b.toString().replace('"schemaVersion":2', '"schemaVersion": 2')) };
      return { kind: 'pass' };
    });
    try {
      const img = await openImage(`${proxy.host}/team/app:1.0`, opts());
      await expectCode(img.walk(() => true), 'E_IMAGE_DIGEST', /truncated/);
      await img.close();
      await expectCode(openImage(`${proxy.host}/team/app@${images.gzip.manifestDigest}`, opts()), 'E_IMAGE_DIGEST', /manifest/);
    } finally {
      await proxy.stop();
    }
  });
});

describe(`registry: htpasswd basic authentication${needsRegistry}`, () => {
  let reg: RunningRegistry;
  let configPath: string;
  beforeAll(async () => {
    if (!REGISTRY) return;
    reg = await startRegistry({ auth: { htpasswd: { username: 'scanner', password: 's3cret:with:colons' } } });
    const authorization = `Basic ${Buffer.from('scanner:s3cret:with:colons').toString('base64')}`;
    await pushImage({ url: reg.url, repository: 'private/app', authorization }, await sample('private'), 'v1');
    configPath = await writeDockerConfig(reg.host, 'scanner', 's3cret:with:colons');
  });
  afterAll(async () => {
    await reg?.stop();
    if (configPath) await rm(dirname(configPath), { recursive: true, force: true });
  });

  it.skipIf(!REGISTRY)('pulls with explicit credentials', async () => {
    expect((await osRelease(`${reg.host}/private/app:v1`, opts({ username: 'scanner', password: 's3cret:with:colons' }))).text).toBe('ID=private\n');
  });

  it.skipIf(!REGISTRY)('pulls with credentials from a Docker config file', async () => {
    expect((await osRelease(`${reg.host}/private/app:v1`, opts({ dockerConfig: configPath }))).text).toBe('ID=private\n');
  });

  it.skipIf(!REGISTRY)('says when credentials are missing or refused', async () => {
    await expectCode(openImage(`${reg.host}/private/app:v1`, opts()), 'E_IMAGE_AUTH', /none were given/);
    await expectCode(openImage(`${reg.host}/private/app:v1`, opts({ username: 'scanner', password: 'wrong' })), 'E_IMAGE_AUTH', /refused/);
  });
});

describe(`registry: bearer token authentication${needsRegistry}${needsOpenssl}`, () => {
  const enabled = REGISTRY && OPENSSL;
  let reg: RunningRegistry;
  let certs: Certificates;
  let tokens: TokenServer;
  beforeAll(async () => {
    if (!enabled) return;
    certs = await makeCertificates();
    tokens = await startTokenServer(certs, { puller: 'pa55' });
    reg = await startRegistry({ auth: { token: { realm: tokens.realm, service: tokens.service, issuer: tokens.issuer, rootCertBundle: certs.tokenCert } } });
    const authorization = `Bearer ${tokens.issue('repository:secure/app:pull,push')}`;
    await pushImage({ url: reg.url, repository: 'secure/app', authorization }, await sample('token'), 'v1');
  });
  afterAll(async () => {
    await reg?.stop();
    await tokens?.stop();
    if (certs) await rm(certs.dir, { recursive: true, force: true });
  });

  it.skipIf(!enabled)('follows the challenge to the token server and pulls with the token', async () => {
    tokens.requests.length = 0;
    expect((await osRelease(`${reg.host}/secure/app:v1`, opts({ username: 'puller', password: 'pa55' }))).text).toBe('ID=token\n');
    expect(tokens.requests).toEqual([{ scope: 'repository:secure/app:pull', authenticated: true }]);
  });

  it.skipIf(!enabled)('fails clearly without credentials and with wrong ones', async () => {
    await expectCode(openImage(`${reg.host}/secure/app:v1`, opts()), 'E_IMAGE_AUTH', /unauthorized.*no credentials were given/);
    await expectCode(openImage(`${reg.host}/secure/app:v1`, opts({ username: 'puller', password: 'nope' })), 'E_IMAGE_AUTH', /token from 127\.0\.0\.1:\d+\/token: HTTP 401; the credentials were refused/);
  });
});

describe(`registry: HTTPS with a custom CA${needsRegistry}${needsOpenssl}`, () => {
  const enabled = REGISTRY && OPENSSL;
  let reg: RunningRegistry;
  let certs: Certificates;
  beforeAll(async () => {
    if (!enabled) return;
    certs = await makeCertificates();
    reg = await startRegistry({ tls: { cert: certs.serverCert, key: certs.serverKey } });
    await pushImage({ url: reg.url, repository: 'tls/app', ca: readFileSync(certs.caCert, 'utf8') }, await sample('tls'), 'v1');
  });
  afterAll(async () => {
    await reg?.stop();
    if (certs) await rm(certs.dir, { recursive: true, force: true });
  });

  it.skipIf(!enabled)('pulls over HTTPS trusting the given CA', async () => {
    expect((await osRelease(`${reg.host}/tls/app:v1`, opts({ insecure: false, ca: readFileSync(certs.caCert) }))).text).toBe('ID=tls\n');
  });

  it.skipIf(!enabled)('refuses to send credentials to a plain-HTTP token realm of an HTTPS registry', async () => {
    const server = https.createServer({ cert: readFileSync(certs.serverCert), key: readFileSync(certs.serverKey) }, (_req, res) => {
      res.writeHead(401, { 'www-authenticate': 'Bearer realm="http://127.0.0.1:9/token",service="x"' }).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    try {
      await expectCode(openImage(`127.0.0.1:${port}/app:1`, opts({ insecure: false, ca: readFileSync(certs.caCert, 'utf8'), username: 'u', password: 'p' })), 'E_IMAGE_AUTH', /plain HTTP; refusing to send credentials/);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });

  it.skipIf(!enabled)('refuses an unknown CA with a clear TLS error', async () => {
    await expectCode(openImage(`${reg.host}/tls/app:v1`, opts({ insecure: false })), 'E_IMAGE_NETWORK', /TLS connection to 127\.0\.0\.1:\d+ failed.*CA certificate/);
  });
});
