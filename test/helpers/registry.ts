/**
 * Runs Debian's `docker-registry` (the CNCF distribution registry) on a random loopback port for tests,
 * with optional htpasswd or token authentication and TLS; pushes test images to it; and provides the
 * pieces around it: a token server, certificates made with openssl, and a fault-injecting proxy.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes, sign } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BuiltImage, BuiltIndex } from './oci-image.js';

export const REGISTRY_BIN = '/usr/bin/docker-registry';

/** True when the registry binary is installed; tests that need it skip (visibly) otherwise. */
export function hasRegistry(): boolean {
  return existsSync(REGISTRY_BIN);
}

/** True when the openssl program is installed (for TLS and token-signing certificates). */
export function hasOpenssl(): boolean {
  return spawnSync('openssl', ['version']).status === 0;
}

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

export interface RegistryAuth {
  htpasswd?: { username: string; password: string };
  token?: { realm: string; service: string; issuer: string; rootCertBundle: string };
}

export interface RunningRegistry {
  /** `127.0.0.1:port`. */
  host: string;
  port: number;
  /** `http://127.0.0.1:port` or `https://...`. */
  url: string;
  stop(): Promise<void>;
}

/** bcrypt hash of a password, made by the C library's crypt through perl (the registry accepts only bcrypt). */
function bcrypt(password: string): string {
  const salt = randomBytes(16).toString('base64').replace(/[^A-Za-z0-9]/g, '').padEnd(22, 'a').slice(0, 22);
  const out = execFileSync('perl', ['-e', 'print crypt($ARGV[0], $ARGV[1])', password, `$2b$05$${salt}`]).toString();
  if (!out.startsWith('$2b$')) throw new Error('this system crypt() has no bcrypt');
  return out;
}

/**
 * Starts a registry with a config file written here: filesystem storage in a temporary folder, listening
 * on a random loopback port, with the given authentication and TLS. Resolves once `/v2/` answers.
 */
export async function startRegistry(opts: { auth?: RegistryAuth; tls?: { cert: string; key: string } } = {}): Promise<RunningRegistry> {
  const dir = await mkdtemp(join(tmpdir(), 'palisade-registry-'));
  const port = await freePort();
  const lines = [
    'version: 0.1',
    'log:',
    '  level: error',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${join(dir, 'data')}`,
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: 127.0.0.1:${port}`,
    `  secret: ${randomBytes(16).toString('hex')}`,
  ];
  if (opts.tls) lines.push('  tls:', `    certificate: ${opts.tls.cert}`, `    key: ${opts.tls.key}`);
  if (opts.auth?.htpasswd) {
    const file = join(dir, 'htpasswd');
    await writeFile(file, `${opts.auth.htpasswd.username}:${bcrypt(opts.auth.htpasswd.password)}\n`);
    lines.push('auth:', '  htpasswd:', '    realm: palisade-test', `    path: ${file}`);
  } else if (opts.auth?.token) {
    const t = opts.auth.token;
    lines.push('auth:', '  token:', `    realm: ${t.realm}`, `    service: ${t.service}`, `    issuer: ${t.issuer}`, `    rootcertbundle: ${t.rootCertBundle}`);
  }
  const config = join(dir, 'config.yml');
  await writeFile(config, lines.join('\n') + '\n');
  const child: ChildProcess = spawn(REGISTRY_BIN, ['serve', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const scheme = opts.tls ? 'https' : 'http';
  const url = `${scheme}://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    await rm(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`docker-registry exited (${child.exitCode}): ${stderr}`);
    }
    const up = await new Promise<boolean>((resolve) => {
      const mod = opts.tls ? https : http;
      const req = mod.get(`${url}/v2/`, { rejectUnauthorized: false, timeout: 500 }, (res) => {
        res.resume();
        resolve(true);
      });
      req.on('error', () => resolve(false));
      req.on('timeout', () => req.destroy());
    });
    if (up) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`docker-registry did not start: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { host: `127.0.0.1:${port}`, port, url, stop };
}

/** A minimal HTTP(S) request for pushing (test side only). */
function request(url: string, method: string, headers: Record<string, string>, body: Buffer | undefined, ca?: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  const u = new URL(url);
  const mod = u.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.request(u, { method, headers: { ...headers, ...(body ? { 'content-length': String(body.length) } : {}) }, ca, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

export interface PushTarget {
  url: string;
  repository: string;
  /** Authorization header value for every request (Basic or Bearer with push scope). */
  authorization?: string;
  ca?: string;
}

async function pushBlob(t: PushTarget, digest: string, data: Buffer): Promise<void> {
  const auth: Record<string, string> = t.authorization ? { authorization: t.authorization } : {};
  const head = await request(`${t.url}/v2/${t.repository}/blobs/${digest}`, 'HEAD', auth, undefined, t.ca);
  if (head.status === 200) return;
  const start = await request(`${t.url}/v2/${t.repository}/blobs/uploads/`, 'POST', auth, Buffer.alloc(0), t.ca);
  if (start.status !== 202) throw new Error(`blob upload start: HTTP ${start.status} ${start.body.toString()}`);
  const location = new URL(String(start.headers.location), t.url);
  location.searchParams.set('digest', digest);
  const put = await request(location.toString(), 'PUT', { ...auth, 'content-type': 'application/octet-stream' }, data, t.ca);
  if (put.status !== 201) throw new Error(`blob upload: HTTP ${put.status} ${put.body.toString()}`);
}

async function putManifest(t: PushTarget, reference: string, mediaType: string, body: Buffer): Promise<void> {
  const auth: Record<string, string> = t.authorization ? { authorization: t.authorization } : {};
  const res = await request(`${t.url}/v2/${t.repository}/manifests/${reference}`, 'PUT', { ...auth, 'content-type': mediaType }, body, t.ca);
  if (res.status !== 201) throw new Error(`manifest put: HTTP ${res.status} ${res.body.toString()}`);
}

/** Pushes an image (blobs, then the manifest) under `tag`, or by digest only when no tag is given. */
export async function pushImage(t: PushTarget, im: BuiltImage, tag?: string): Promise<void> {
  for (const [digest, data] of im.blobs) await pushBlob(t, digest, data);
  await putManifest(t, tag ?? im.manifestDigest, im.manifestMediaType, im.manifest);
}

/** Pushes the images of an index by digest, then the index under `tag`. */
export async function pushIndex(t: PushTarget, images: BuiltImage[], idx: BuiltIndex, tag: string): Promise<void> {
  for (const im of images) await pushImage(t, im);
  await putManifest(t, tag, idx.mediaType, idx.bytes);
}

export interface Certificates {
  dir: string;
  caCert: string;
  serverCert: string;
  serverKey: string;
  /** Token-signing certificate (self-signed) and key. */
  tokenCert: string;
  tokenKey: string;
}

/** A test CA, a server certificate for 127.0.0.1 signed by it, and a token-signing certificate (EC P-256). */
export async function makeCertificates(): Promise<Certificates> {
  const dir = await mkdtemp(join(tmpdir(), 'palisade-certs-'));
  const p = (f: string): string => join(dir, f);
  const ossl = (...args: string[]): void => {
    execFileSync('openssl', args, { stdio: 'pipe' });
  };
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  ossl('req', '-x509', ...ec, '-keyout', p('ca.key'), '-out', p('ca.crt'), '-days', '2', '-subj', '/CN=Palisade Test CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  ossl('req', ...ec, '-keyout', p('server.key'), '-out', p('server.csr'), '-subj', '/CN=127.0.0.1');
  await writeFile(p('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n');
  ossl('x509', '-req', '-in', p('server.csr'), '-CA', p('ca.crt'), '-CAkey', p('ca.key'), '-CAcreateserial', '-out', p('server.crt'), '-days', '2', '-extfile', p('server.ext'));
  ossl('req', '-x509', ...ec, '-keyout', p('token.key'), '-out', p('token.crt'), '-days', '2', '-subj', '/CN=Palisade Test Token Signer');
  return { dir, caCert: p('ca.crt'), serverCert: p('server.crt'), serverKey: p('server.key'), tokenCert: p('token.crt'), tokenKey: p('token.key') };
}

export interface TokenServer {
  realm: string;
  service: string;
  issuer: string;
  /** Requests received, with the scope asked for and whether credentials were valid. */
  requests: Array<{ scope: string; authenticated: boolean }>;
  /** A token for `scope`, for the test's own pushes. */
  issue(scope: string): string;
  stop(): Promise<void>;
}

function b64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

/**
 * A token server for the registry's `auth.token` scheme: checks Basic credentials and answers with an
 * ES256 JWT carrying the certificate in `x5c` (how the registry finds the key) and the requested access.
 * Anonymous callers get a token with no access, as Docker Hub gives for private repositories.
 */
export async function startTokenServer(certs: Certificates, users: Record<string, string>): Promise<TokenServer> {
  const service = 'palisade-test-registry';
  const issuer = 'palisade-test-issuer';
  const certDer = Buffer.from(readFileSync(certs.tokenCert, 'utf8').replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
  const key = readFileSync(certs.tokenKey, 'utf8');
  const requests: TokenServer['requests'] = [];
  const issue = (scope: string, granted = true): string => {
    const header = { alg: 'ES256', typ: 'JWT', x5c: [certDer.toString('base64')] };
    const now = Math.floor(Date.now() / 1000);
    const access = granted
      ? scope.split(' ').filter(Boolean).map((s) => {
        const [type, name, actions] = s.split(':');
        return { type, name, actions: (actions ?? '').split(',') };
      })
      : [];
    const claims = { iss: issuer, sub: 'tester', aud: service, exp: now + 300, nbf: now - 10, iat: now, jti: createHash('sha256').update(randomBytes(8)).digest('hex'), access };
    const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    const sig = sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
    return `${input}.${b64url(sig)}`;
  };
  const server = http.createServer((req: IncomingMessage, res: ServerResponse) => {
    const u = new URL(req.url ?? '/', 'http://x');
    const scope = u.searchParams.get('scope') ?? '';
    const auth = req.headers.authorization ?? '';
    let authenticated = false;
    if (auth.startsWith('Basic ')) {
      const [user, ...rest] = Buffer.from(auth.slice(6), 'base64').toString().split(':');
      if (users[user] !== undefined && users[user] === rest.join(':')) authenticated = true;
      else {
        requests.push({ scope, authenticated: false });
        res.writeHead(401, { 'content-type': 'application/json' }).end('{"details":"bad credentials"}');
        return;
      }
    }
    requests.push({ scope, authenticated });
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token: issue(scope, authenticated), expires_in: 300 }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    realm: `http://127.0.0.1:${port}/token`,
    service,
    issuer,
    requests,
    issue: (scope) => issue(scope),
    stop: () => new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}

/** What a fault-injecting proxy does with one request. */
export type ProxyAction =
  | { kind: 'pass' }
  | { kind: 'status'; status: number }
  /** Accept the connection and never answer. */
  | { kind: 'hang' }
  /** Pass, but cut the connection after `bytes` of the body. */
  | { kind: 'cut'; bytes: number }
  /** Pass, with the body changed by `edit`. */
  | { kind: 'tamper'; edit: (body: Buffer) => Buffer };

export interface FaultProxy {
  host: string;
  url: string;
  /** Requests seen, as `METHOD path`. */
  seen: string[];
  stop(): Promise<void>;
}

/**
 * An HTTP proxy in front of a registry (or anything) on loopback that lets a test fail, stall, cut or
 * tamper with chosen requests. `decide` sees each request with its ordinal among requests to that path.
 */
export async function startFaultProxy(target: string, decide: (req: { method: string; path: string; count: number; range?: string }) => ProxyAction): Promise<FaultProxy> {
  const counts = new Map<string, number>();
  const seen: string[] = [];
  const hanging = new Set<ServerResponse>();
  const server = http.createServer((req, res) => {
    const path = req.url ?? '/';
    const count = (counts.get(path) ?? 0) + 1;
    counts.set(path, count);
    seen.push(`${req.method} ${path}`);
    const action = decide({ method: req.method ?? 'GET', path, count, range: req.headers.range });
    if (action.kind === 'status') {
      res.writeHead(action.status, { 'content-type': 'text/plain' }).end(`injected ${action.status}`);
      return;
    }
    if (action.kind === 'hang') {
      hanging.add(res);
      return;
    }
    const headers = { ...req.headers, host: new URL(target).host };
    const up = http.request(new URL(path, target), { method: req.method, headers, agent: false }, (upRes) => {
      const chunks: Buffer[] = [];
      upRes.on('data', (c: Buffer) => chunks.push(c));
      upRes.on('end', () => {
        let body: Buffer = Buffer.concat(chunks);
        const h = { ...upRes.headers };
        if (action.kind === 'tamper') {
          body = action.edit(body);
          h['content-length'] = String(body.length);
        }
        res.writeHead(upRes.statusCode ?? 502, h);
        if (action.kind === 'cut' && body.length > action.bytes) {
          res.write(body.subarray(0, action.bytes), () => setTimeout(() => res.socket?.destroy(), 20));
          return;
        }
        res.end(body);
      });
    });
    up.on('error', () => res.writeHead(502).end());
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}`,
    seen,
    stop: () => new Promise<void>((r) => {
      for (const h of hanging) h.socket?.destroy();
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}

/** Writes a Docker client config with `auths` for `host` into a fresh folder; returns its path. */
export async function writeDockerConfig(host: string, username: string, password: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'palisade-docker-config-'));
  await mkdir(dir, { recursive: true });
  const path = join(dir, 'config.json');
  await writeFile(path, JSON.stringify({ auths: { [host]: { auth: Buffer.from(`${username}:${password}`).toString('base64') } } }));
  return path;
}
