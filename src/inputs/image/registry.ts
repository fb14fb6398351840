import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import { PalisadeError } from '../../model/errors.js';
import { dockerConfigCredentials, defaultDockerConfigPath, parseWwwAuthenticate, type Challenge, type Credentials } from './auth.js';
import { digestLike, shortDigest, verifyBuffer } from './digest.js';
import { HttpTransport, TransientError, discard, isTransient, readBody, sleep } from './http.js';
import { blobLayer } from './layer.js';
import { MANIFEST_ACCEPT, configPlatform, layerRefs, parseConfig, parseManifest, parsePlatform, selectPlatform, type Descriptor } from './manifest.js';
import { parseReference, type ImageReference } from './reference.js';
import type { ImageLimits, OpenImageOptions, RegistryOptions } from './types.js';
import type { ImageBackend } from './backend.js';

const MAX_REDIRECTS = 5;
const RETRY_STATUS = new Set([429, 500, 502, 503, 504]);

/** Options resolved to values. */
interface Settings {
  insecure: boolean;
  attempts: number;
  backoffMs: number;
}

/**
 * Client of the OCI distribution API v2 for one repository: anonymous, basic and bearer-token
 * authentication, redirects, retries with backoff, and resumable blob downloads.
 */
export class RegistryClient {
  private readonly transport: HttpTransport;
  private readonly base: URL;
  private readonly settings: Settings;
  private authorization: string | undefined;
  private credentials: Credentials | undefined;
  private credentialsLoaded = false;

  constructor(readonly ref: ImageReference, private readonly opts: RegistryOptions, private readonly warn: (m: string) => void) {
    this.settings = {
      insecure: opts.insecure === true,
      attempts: Math.max(1, opts.attempts ?? 4),
      backoffMs: Math.max(0, opts.backoffMs ?? 500),
    };
    this.transport = new HttpTransport({ ca: opts.ca, timeoutMs: opts.timeoutMs ?? 30_000, userAgent: opts.userAgent ?? 'palisade' });
    this.base = new URL(`${this.settings.insecure ? 'http' : 'https'}://${ref.apiHost}`);
    if (opts.bearerToken) this.authorization = `Bearer ${opts.bearerToken}`;
  }

  private async creds(): Promise<Credentials | undefined> {
    if (!this.credentialsLoaded) {
      this.credentialsLoaded = true;
      if (this.opts.username !== undefined || this.opts.password !== undefined) {
        this.credentials = { username: this.opts.username ?? '', password: this.opts.password ?? '' };
      } else if (this.opts.dockerConfig !== false) {
        this.credentials = await dockerConfigCredentials(this.ref.domain, this.opts.dockerConfig ?? defaultDockerConfigPath(), this.warn);
      }
    }
    return this.credentials;
  }

  private describe(path: string): string {
    return `${this.ref.apiHost}${path}`;
  }

  /**
   * Runs `attempt` until it succeeds, retrying timeouts, broken connections and 429/5xx answers with
   * exponential backoff (honouring Retry-After up to 30 s). Fails with the last reason.
   */
  private async retrying<T>(what: string, attempt: () => Promise<T>): Promise<T> {
    let last = '';
    for (let i = 1; i <= this.settings.attempts; i++) {
      try {
        return await attempt();
      } catch (e) {
        if (!(e instanceof RetryableStatus) && !isTransient(e)) throw e;
        last = e instanceof RetryableStatus ? `HTTP ${e.status}` : (e as Error).message;
        if (i === this.settings.attempts) break;
        const retryAfter = e instanceof RetryableStatus ? e.retryAfterMs : undefined;
        await sleep(Math.min(30_000, retryAfter ?? this.settings.backoffMs * 2 ** (i - 1)));
      }
    }
    throw new PalisadeError('E_IMAGE_NETWORK', `${what}: failed after ${this.settings.attempts} attempt${this.settings.attempts === 1 ? '' : 's'}: ${last}`);
  }

  /**
   * One attempt at a GET on the registry: answers an authentication challenge once, follows redirects
   * (dropping the Authorization header when they leave the registry's origin) and maps failures to
   * coded errors. Resolves with a 2xx response whose body is unread.
   */
  private async getOnce(path: string, headers: OutgoingHttpHeaders): Promise<IncomingMessage> {
    let url = new URL(path, this.base);
    let answeredChallenge = false;
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      const sameOrigin = url.origin === this.base.origin;
      const h: OutgoingHttpHeaders = { ...headers };
      if (sameOrigin && this.authorization) h.authorization = this.authorization;
      const res = await this.transport.request(url, 'GET', h);
      const status = res.statusCode ?? 0;
      if (status >= 200 && status < 300) return res;
      if (status === 401 && sameOrigin && !answeredChallenge) {
        const challenge = res.headers['www-authenticate'];
        await discard(res);
        await this.authenticate(typeof challenge === 'string' ? challenge : undefined, path);
        answeredChallenge = true;
        hop--;
        continue;
      }
      if ([301, 302, 303, 307, 308].includes(status) && res.headers.location) {
        await discard(res);
        const next = new URL(res.headers.location, url);
        if (next.protocol !== 'https:' && !(next.protocol === 'http:' && this.settings.insecure)) {
          throw new PalisadeError('E_IMAGE_NETWORK', `${this.describe(path)}: redirected to ${next.protocol}//${next.host}, refused (plain HTTP only when asked for)`);
        }
        url = next;
        continue;
      }
      const body = (await readBody(res, 64 * 1024, this.describe(path)).catch(() => Buffer.alloc(0))).toString('utf8').slice(0, 300);
      if (RETRY_STATUS.has(status)) {
        const ra = Number(res.headers['retry-after']);
        throw new RetryableStatus(status, Number.isFinite(ra) && ra >= 0 ? ra * 1000 : undefined);
      }
      const detail = registryErrorMessage(body);
      if (status === 401 || status === 403) {
        const creds = await this.creds();
        throw new PalisadeError('E_IMAGE_AUTH', `${this.describe(path)}: ${status === 401 ? 'unauthorized' : 'access denied'}${detail ? ` (${detail})` : ''}; ${creds ? `the credentials for ${this.ref.domain} were refused` : `no credentials were given for ${this.ref.domain}`}`);
      }
      if (status === 404) throw new PalisadeError('E_IMAGE_NOT_FOUND', `${this.describe(path)}: not found${detail ? ` (${detail})` : ''}`);
      throw new PalisadeError('E_IMAGE_NETWORK', `${this.describe(path)}: unexpected HTTP ${status}${detail ? ` (${detail})` : ''}`);
    }
    throw new PalisadeError('E_IMAGE_NETWORK', `${this.describe(path)}: more than ${MAX_REDIRECTS} redirects`);
  }

  /** Answers a 401 challenge: basic credentials, or a bearer token from the challenge's realm. */
  private async authenticate(header: string | undefined, path: string): Promise<void> {
    const challenges = header ? parseWwwAuthenticate(header) : [];
    const bearer = challenges.find((c) => c.scheme === 'bearer');
    const basic = challenges.find((c) => c.scheme === 'basic');
    const creds = await this.creds();
    if (bearer) {
      this.authorization = `Bearer ${await this.fetchToken(bearer, creds)}`;
      return;
    }
    if (basic || challenges.length === 0) {
      if (!creds) throw new PalisadeError('E_IMAGE_AUTH', `${this.describe(path)}: the registry requires a user name and password, and none were given (options, or an auths entry for ${this.ref.domain} in the Docker config)`);
      if (this.base.protocol === 'http:') this.warn(`sending credentials to ${this.ref.apiHost} over plain HTTP`);
      this.authorization = `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`;
      return;
    }
    throw new PalisadeError('E_IMAGE_AUTH', `${this.describe(path)}: unsupported authentication scheme "${challenges[0].scheme}"`);
  }

  /** Gets a token for the challenge's service and scope (pull on this repository when none is given). */
  private async fetchToken(c: Challenge, creds: Credentials | undefined): Promise<string> {
    const realm = c.params.realm;
    let url: URL;
    try {
      url = new URL(realm ?? '');
    } catch {
      throw new PalisadeError('E_IMAGE_AUTH', `${this.ref.apiHost}: bearer challenge without a valid realm (${JSON.stringify(realm)})`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new PalisadeError('E_IMAGE_AUTH', `token realm ${realm} is not HTTP(S)`);
    if (url.protocol === 'http:' && creds && !this.settings.insecure) {
      throw new PalisadeError('E_IMAGE_AUTH', `token realm ${realm} is plain HTTP; refusing to send credentials there (allowed only with insecure)`);
    }
    if (c.params.service) url.searchParams.set('service', c.params.service);
    url.searchParams.set('scope', c.params.scope ?? `repository:${this.ref.repository}:pull`);
    const headers: OutgoingHttpHeaders = { accept: 'application/json' };
    if (creds) headers.authorization = `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`;
    const what = `token from ${url.host}${url.pathname}`;
    const body = await this.retrying(what, async () => {
      const res = await this.transport.request(url, 'GET', headers);
      const status = res.statusCode ?? 0;
      if (RETRY_STATUS.has(status)) {
        await discard(res);
        throw new RetryableStatus(status);
      }
      if (status === 401 || status === 403) {
        await discard(res);
        throw new PalisadeError('E_IMAGE_AUTH', `${what}: HTTP ${status}; ${creds ? 'the credentials were refused' : 'anonymous access is not allowed; give credentials'}`);
      }
      if (status < 200 || status >= 300) {
        await discard(res);
        throw new PalisadeError('E_IMAGE_AUTH', `${what}: unexpected HTTP ${status}`);
      }
      return readBody(res, 1024 * 1024, what);
    });
    let doc: { token?: unknown; access_token?: unknown };
    try {
      doc = JSON.parse(body.toString('utf8')) as typeof doc;
    } catch {
      throw new PalisadeError('E_IMAGE_AUTH', `${what}: answer is not JSON`);
    }
    const token = typeof doc.token === 'string' && doc.token ? doc.token : typeof doc.access_token === 'string' ? doc.access_token : '';
    if (!token) throw new PalisadeError('E_IMAGE_AUTH', `${what}: answer holds no token`);
    return token;
  }

  /** GETs a small document (manifest, config) with retries and the size limit. */
  private async getDocument(path: string, headers: OutgoingHttpHeaders, max: number): Promise<{ body: Buffer; res: IncomingMessage }> {
    const what = this.describe(path);
    return this.retrying(what, async () => {
      const res = await this.getOnce(path, headers);
      try {
        return { body: await readBody(res, max, what), res };
      } catch (e) {
        throw isTransient(e) || (e as NodeJS.ErrnoException).code === 'ECONNRESET' ? new TransientError((e as Error).message) : e;
      }
    });
  }

  /**
   * GETs a small JSON document of the registry API by path (`/v2/_catalog?n=100`, `/v2/<repo>/tags/list`),
   * with the same authentication, redirects and retries as manifests; the `Link` header carries the next page.
   */
  async apiDocument(path: string, max: number): Promise<{ body: Buffer; link?: string }> {
    const { body, res } = await this.getDocument(path, { accept: 'application/json' }, max);
    const link = res.headers.link;
    return { body, link: typeof link === 'string' ? link : undefined };
  }

  /** Fetches a manifest or index by tag or digest; a digest reference is verified. */
  async manifest(reference: string, max: number): Promise<{ body: Buffer; mediaType?: string; digest: string }> {
    const path = `/v2/${this.ref.repository}/manifests/${reference}`;
    const { body, res } = await this.getDocument(path, { accept: MANIFEST_ACCEPT }, max);
    const mediaType = typeof res.headers['content-type'] === 'string' ? res.headers['content-type'] : undefined;
    if (reference.includes(':')) {
      verifyBuffer(body, reference, undefined, `manifest ${this.describe(path)}`);
      return { body, mediaType, digest: reference };
    }
    const header = res.headers['docker-content-digest'];
    const digest = digestLike(typeof header === 'string' && header.startsWith('sha512:') ? header : 'sha256:', body);
    if (typeof header === 'string' && header.includes(':') && header !== digest) {
      throw new PalisadeError('E_IMAGE_DIGEST', `manifest ${this.describe(path)}: content digest ${digest} differs from the registry's Docker-Content-Digest ${header}`);
    }
    return { body, mediaType, digest };
  }

  /** Fetches a small blob (the config) whole and verifies it. */
  async blob(desc: Descriptor, max: number, what: string): Promise<Buffer> {
    if (desc.size > max) throw new PalisadeError('E_IMAGE_LIMIT', `${what} ${shortDigest(desc.digest)}: ${desc.size} bytes, over the ${max}-byte limit (maxJsonBytes)`);
    const { body } = await this.getDocument(`/v2/${this.ref.repository}/blobs/${desc.digest}`, {}, max);
    verifyBuffer(body, desc.digest, desc.size, what);
    return body;
  }

  /**
   * Streams a blob. A connection that breaks mid-way is resumed with a Range request from the last byte
   * received (or re-read from the start, skipping what was seen, when the server ignores Range), within the
   * same retry budget; the caller verifies the digest over the whole.
   */
  async *blobStream(digest: string): AsyncGenerator<Buffer> {
    const path = `/v2/${this.ref.repository}/blobs/${digest}`;
    const what = this.describe(path);
    let received = 0;
    let failures = 0;
    for (;;) {
      const headers: OutgoingHttpHeaders = received > 0 ? { range: `bytes=${received}-` } : {};
      const res = await this.retrying(what, () => this.getOnce(path, headers));
      let skip = 0;
      if (received > 0) {
        const range = /^bytes (\d+)-/.exec(String(res.headers['content-range'] ?? ''));
        if (res.statusCode === 206 && range && Number(range[1]) === received) skip = 0;
        else if (res.statusCode === 200) skip = received;
        else {
          res.destroy();
          throw new PalisadeError('E_IMAGE_NETWORK', `${what}: cannot resume download (HTTP ${res.statusCode}, Content-Range ${String(res.headers['content-range'])})`);
        }
      }
      try {
        for await (const c of res) {
          let chunk = c as Buffer;
          if (skip > 0) {
            const s = Math.min(skip, chunk.length);
            skip -= s;
            chunk = chunk.subarray(s);
            if (chunk.length === 0) continue;
          }
          received += chunk.length;
          yield chunk;
        }
        if (!res.complete) throw new TransientError('connection closed before the end of the body');
        return;
      } catch (e) {
        if (!isTransient(e) && (e as NodeJS.ErrnoException).code !== 'ECONNRESET') throw e;
        if (++failures >= this.settings.attempts) throw new PalisadeError('E_IMAGE_NETWORK', `${what}: download failed after ${failures} attempts: ${(e as Error).message}`);
        await sleep(this.settings.backoffMs * 2 ** (failures - 1));
      } finally {
        res.destroy();
      }
    }
  }

  close(): void {
    this.transport.close();
  }
}

/** A 429 or 5xx answer, to be retried. */
class RetryableStatus extends Error {
  constructor(readonly status: number, readonly retryAfterMs?: number) {
    super(`HTTP ${status}`);
  }
}

/** The first message of a distribution API error body (`{"errors":[{"code":"MANIFEST_UNKNOWN","message":...}]}`). */
function registryErrorMessage(body: string): string {
  try {
    const doc = JSON.parse(body) as { errors?: Array<{ code?: string; message?: string }> };
    const e = doc.errors?.[0];
    if (e) return [e.code, e.message].filter(Boolean).join(': ');
  } catch {
    // not JSON
  }
  return '';
}

/** Opens an image from a registry. */
export async function openRegistryImage(reference: string, opts: OpenImageOptions, limits: ImageLimits): Promise<ImageBackend> {
  const ref = parseReference(reference);
  const warn = opts.onWarning ?? (() => undefined);
  const client = new RegistryClient(ref, opts.registry ?? {}, warn);
  try {
    const platform = parsePlatform(opts.platform);
    let m = await client.manifest(ref.digest ?? (ref.tag as string), limits.maxJsonBytes);
    let doc = parseManifest(m.body, m.mediaType, `manifest of ${ref.normalized}`);
    for (let depth = 0; doc.kind === 'index'; depth++) {
      if (depth >= 2) throw new PalisadeError('E_IMAGE_FORMAT', `${ref.normalized}: image indexes nested too deeply`);
      const chosen = selectPlatform(doc.index, platform, ref.normalized);
      m = await client.manifest(chosen.digest, limits.maxJsonBytes);
      doc = parseManifest(m.body, chosen.mediaType ?? m.mediaType, `manifest ${shortDigest(chosen.digest)} of ${ref.normalized}`);
    }
    const manifest = doc.manifest;
    const config = parseConfig(await client.blob(manifest.config, limits.maxJsonBytes, `config of ${ref.normalized}`), `config of ${ref.normalized}`);
    const refs = layerRefs(manifest.layers.map((l) => l.digest), config);
    return {
      ref: ref.normalized,
      digest: m.digest,
      config,
      platform: configPlatform(config),
      layers: refs.map((r, i) => blobLayer({ ref: r, size: manifest.layers[i].size, open: () => client.blobStream(r.digest), limits })),
      close: async () => client.close(),
    };
  } catch (e) {
    client.close();
    throw e;
  }
}
