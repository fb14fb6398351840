import http, { type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import https from 'node:https';
import { rootCertificates } from 'node:tls';
import { PalisadeError } from '../../model/errors.js';

/** Transport settings shared by every request of one registry client. */
export interface HttpSettings {
  ca?: string | Buffer | Array<string | Buffer>;
  timeoutMs: number;
  userAgent: string;
}

/** A failure worth retrying: a timeout or a connection that broke. */
export class TransientError extends Error {
  constructor(message: string, readonly code?: string) {
    super(message);
    this.name = 'TransientError';
  }
}

const TRANSIENT_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'ECONNABORTED', 'UND_ERR_SOCKET']);

/** True for errors a retry may cure (timeouts, resets, refused connections while a server restarts). */
export function isTransient(e: unknown): boolean {
  if (e instanceof TransientError) return true;
  const code = (e as NodeJS.ErrnoException)?.code;
  return code !== undefined && TRANSIENT_CODES.has(code);
}

/** Keeps connections alive across the manifest, config and layer requests of one image. */
export class HttpTransport {
  private readonly httpsAgent: https.Agent;
  private readonly httpAgent: http.Agent;

  constructor(private readonly settings: HttpSettings) {
    const extra = settings.ca === undefined ? [] : Array.isArray(settings.ca) ? settings.ca : [settings.ca];
    // A `ca` option replaces Node's trust store, so the system roots are passed along with the extra ones.
    this.httpsAgent = new https.Agent({ keepAlive: true, ca: extra.length ? [...rootCertificates, ...extra.map((c) => c.toString())] : undefined });
    this.httpAgent = new http.Agent({ keepAlive: true });
  }

  /**
   * Sends one request and resolves with the response once its headers arrive; the body is left to the
   * caller. A connection or body silent for `timeoutMs` is destroyed with a `TransientError`.
   */
  request(url: URL, method: string, headers: OutgoingHttpHeaders): Promise<IncomingMessage> {
    const isHttps = url.protocol === 'https:';
    const mod = isHttps ? https : http;
    return new Promise((resolve, reject) => {
      const req = mod.request(url, {
        method,
        headers: { 'user-agent': this.settings.userAgent, ...headers },
        agent: isHttps ? this.httpsAgent : this.httpAgent,
      });
      req.setTimeout(this.settings.timeoutMs, () => {
        req.destroy(new TransientError(`no response from ${url.host} within ${Math.round(this.settings.timeoutMs / 100) / 10} s`, 'ETIMEDOUT'));
      });
      req.on('error', (e) => reject(classify(e, url)));
      req.on('response', (res) => {
        res.on('error', () => undefined);
        resolve(res);
      });
      req.end();
    });
  }

  close(): void {
    this.httpsAgent.destroy();
    this.httpAgent.destroy();
  }
}

/** Turns TLS failures into a clear, final error; other socket errors stay as they are (maybe transient). */
function classify(e: Error, url: URL): Error {
  const code = (e as NodeJS.ErrnoException).code ?? '';
  const msg = e.message.split('\n')[0].replace(/^[0-9A-F]+:error:[0-9A-F]+:SSL routines:[^:]*:/, '').trim();
  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|SSL/.test(code) || /certificate/i.test(e.message)) {
    return new PalisadeError('E_IMAGE_NETWORK', `TLS connection to ${url.host} failed: ${msg} (${code}); give the registry's CA certificate, or use plain HTTP only if the registry really speaks it`);
  }
  if (/wrong version number|packet length too long|http request/i.test(e.message)) {
    return new PalisadeError('E_IMAGE_NETWORK', `${url.host} does not speak TLS (it seems to answer in plain HTTP); if the registry really speaks plain HTTP, say so explicitly (insecure)`);
  }
  if (code === 'EPROTO') {
    return new PalisadeError('E_IMAGE_NETWORK', `TLS handshake with ${url.host} failed: ${msg}; if the registry speaks plain HTTP, say so explicitly (insecure)`);
  }
  return e;
}

/** Reads a response body up to `max` bytes; more is an error naming `what`. */
export async function readBody(res: IncomingMessage, max: number, what: string): Promise<Buffer> {
  const declared = Number(res.headers['content-length']);
  if (Number.isFinite(declared) && declared > max) {
    res.destroy();
    throw new PalisadeError('E_IMAGE_LIMIT', `${what}: ${declared} bytes, over the ${max}-byte limit (maxJsonBytes)`);
  }
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of res) {
    n += (c as Buffer).length;
    if (n > max) {
      res.destroy();
      throw new PalisadeError('E_IMAGE_LIMIT', `${what}: more than ${max} bytes (maxJsonBytes)`);
    }
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Reads and discards a body so the connection can be reused. */
export async function discard(res: IncomingMessage): Promise<void> {
  try {
    for await (const _ of res) {
      // discard
    }
  } catch {
    // nothing to keep
  }
}

/** `ms` of sleep. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
