import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { createGunzip } from 'node:zlib';
import { auditEventSchema, type AuditEvent, type AuditFormat } from '../../model/audit.js';
import { fastAuditEvent } from './fast-event.js';

/** An event accepted by an input, with the JSON text to journal and the format it came in. */
export interface AcceptedAuditEvent {
  event: AuditEvent;
  body: string;
  format: AuditFormat;
}

/** Why part or all of a request was refused; each is counted. */
export type WebhookRejection =
  | 'unauthorized'
  | 'method-not-allowed'
  | 'batch-too-large'
  | 'unsupported-encoding'
  | 'batch-too-many-events'
  | 'malformed-batch'
  | 'event-too-large'
  | 'malformed-event'
  | 'wrong-kind'
  | 'commit-failed';

/** One authenticated EventList, split into accepted events and counted refusals. */
export interface WebhookBatch {
  /** `webhook:<address>`. */
  source: string;
  /** `cert:<subject CN>` or `token`. */
  identity: string;
  events: AcceptedAuditEvent[];
  /** Events of this batch refused, by reason. */
  rejected: Partial<Record<WebhookRejection, number>>;
}

/** Options of the audit webhook receiver. */
export interface AuditWebhookOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  cert: string | Buffer;
  key: string | Buffer;
  /** CA of client certificates; a request with a valid certificate needs no token. */
  clientCa?: string | Buffer;
  /** Bearer tokens accepted. */
  tokens?: readonly string[];
  /** Largest event in bytes of JSON (default 256 KiB); larger ones are refused, the rest of the batch flows. */
  maxEventBytes?: number;
  /** Largest request body in bytes (default 32 MiB); larger batches are refused whole with 413. */
  maxBatchBytes?: number;
  /** Most events in one batch (default 10,000). */
  maxBatchEvents?: number;
  /**
   * Stores a batch durably. The request is answered 200 only after this returns (or its promise resolves); when
   * it throws, 503, and the API server sends the batch again.
   */
  onBatch(batch: WebhookBatch): unknown;
  /** One line per refusal and failure. */
  log?: (line: string) => void;
}

/** Counters of the receiver. */
export interface WebhookStats {
  requests: number;
  batches: number;
  events: number;
  rejected: Partial<Record<WebhookRejection, number>>;
}

export const DEFAULT_MAX_EVENT_BYTES = 256 * 1024;
export const DEFAULT_MAX_BATCH_BYTES = 32 * 1024 * 1024;
export const DEFAULT_MAX_BATCH_EVENTS = 10_000;

/** Validates one received value as an audit event (the cheap check first, zod for the rest). */
export function validateAuditEvent(value: unknown): { event: AuditEvent } | { error: string } {
  const fast = fastAuditEvent(value);
  if (fast !== undefined) return { event: fast };
  const parsed = auditEventSchema.safeParse(value);
  if (parsed.success) return { event: parsed.data };
  const issue = parsed.error.issues[0]!;
  const path = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');
  return { error: `${path || 'event'}: ${issue.message}` };
}

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/** A request refused whole: the HTTP status to answer, the counted reason and a message naming the limit. */
export class WebhookRefusal extends Error {
  constructor(
    readonly status: number,
    readonly reason: WebhookRejection,
    message: string,
  ) {
    super(message);
  }
}

/** Limits of one batch, and where its per-event refusals are logged and counted. */
export interface EventListLimits {
  maxEventBytes: number;
  maxBatchEvents: number;
  log?: (line: string) => void;
  /** Called once per refused event. */
  count?: (reason: WebhookRejection) => void;
}

/**
 * Reads a request body of at most `maxBytes` (413 {@link WebhookRefusal} when the declared or the received length is
 * over), so an oversized batch is refused without being held in memory. A body sent with `Content-Encoding: gzip`
 * (kube-apiserver compresses webhook batches when asked to) is decompressed as it arrives, and the same limit applies
 * to the decompressed bytes too: a small compressed body that inflates past it is refused with 413 once it does,
 * never inflated whole. A corrupt gzip stream is a malformed batch (400); any other encoding is refused with 415.
 */
export function readBatchBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? Number.NaN);
  if (declared > maxBytes) return Promise.reject(new WebhookRefusal(413, 'batch-too-large', `body of ${declared} bytes is over the ${maxBytes}-byte limit`));
  const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  const gzip = encoding === 'gzip' || encoding === 'x-gzip';
  if (!gzip && encoding !== 'identity' && encoding !== '') {
    return Promise.reject(new WebhookRefusal(415, 'unsupported-encoding', `content encoding "${encoding}" is not supported (send identity or gzip)`));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    let size = 0;
    let done = false;
    const gunzip = gzip ? createGunzip() : undefined;
    const fail = (e: Error): void => {
      if (done) return;
      done = true;
      req.off('data', onData);
      if (gunzip) {
        gunzip.off('data', onOutput);
        gunzip.destroy();
      }
      reject(e);
    };
    const onOutput = (c: Buffer): void => {
      size += c.length;
      if (size > maxBytes) {
        fail(new WebhookRefusal(413, 'batch-too-large', gunzip ? `body over the ${maxBytes}-byte limit once decompressed` : `body over the ${maxBytes}-byte limit`));
        return;
      }
      chunks.push(c);
    };
    const onData = (c: Buffer): void => {
      received += c.length;
      if (received > maxBytes) {
        fail(new WebhookRefusal(413, 'batch-too-large', `body over the ${maxBytes}-byte limit`));
        return;
      }
      if (gunzip) gunzip.write(c);
      else onOutput(c);
    };
    const finish = (): void => {
      if (done) return;
      done = true;
      resolve(Buffer.concat(chunks));
    };
    req.on('data', onData);
    req.on('error', fail);
    if (gunzip) {
      gunzip.on('data', onOutput);
      gunzip.on('error', (e) => fail(new WebhookRefusal(400, 'malformed-batch', `invalid gzip body: ${e.message}`)));
      gunzip.on('end', finish);
      req.on('end', () => gunzip.end());
    } else req.on('end', finish);
  });
}

/**
 * Splits an `audit.k8s.io` EventList body into accepted events and counted refusals: an event over the size limit,
 * an item that is not a valid Event or of another kind is refused (logged with its audit ID) while the rest flows;
 * a body that is not an EventList (400) or has too many events (413) is refused whole with a {@link WebhookRefusal}.
 */
export function parseEventList(body: Buffer, source: string, identity: string, o: EventListLimits): WebhookBatch {
  let doc: unknown;
  try {
    doc = JSON.parse(body.toString('utf8'));
  } catch (e) {
    throw new WebhookRefusal(400, 'malformed-batch', `invalid JSON: ${(e as Error).message}`);
  }
  const list = doc as { kind?: unknown; items?: unknown };
  if (typeof doc !== 'object' || doc === null || list.kind !== 'EventList' || !Array.isArray(list.items)) {
    throw new WebhookRefusal(400, 'malformed-batch', 'not an audit.k8s.io EventList with items');
  }
  if (list.items.length > o.maxBatchEvents) throw new WebhookRefusal(413, 'batch-too-many-events', `${list.items.length} events, over the limit of ${o.maxBatchEvents}`);
  const batch: WebhookBatch = { source, identity, events: [], rejected: {} };
  const refuse = (reason: WebhookRejection, i: number, item: unknown, why: string): void => {
    batch.rejected[reason] = (batch.rejected[reason] ?? 0) + 1;
    o.count?.(reason);
    const id = typeof item === 'object' && item !== null ? (item as { auditID?: unknown }).auditID : undefined;
    o.log?.(`audit webhook: refused event ${i}${typeof id === 'string' ? ` (auditID ${id})` : ''} from ${source}: ${reason}: ${why}`);
  };
  list.items.forEach((item, i) => {
    const text = JSON.stringify(item) ?? 'null';
    const bytes = Buffer.byteLength(text);
    if (bytes > o.maxEventBytes) return refuse('event-too-large', i, item, `${bytes} bytes, over the ${o.maxEventBytes}-byte limit`);
    const kind = typeof item === 'object' && item !== null ? (item as { kind?: unknown }).kind : undefined;
    if (kind !== undefined && kind !== 'Event') return refuse('wrong-kind', i, item, `kind ${JSON.stringify(kind)}`);
    const v = validateAuditEvent(item);
    if ('error' in v) return refuse('malformed-event', i, item, v.error);
    batch.events.push({ event: v.event, body: text, format: 'kubernetes' });
  });
  return batch;
}

/**
 * An HTTPS endpoint for kube-apiserver's audit webhook backend (`--audit-webhook-config-file`): it takes
 * `audit.k8s.io/v1` (or v1beta1) EventList batches by POST, authenticated by a client certificate signed by
 * `clientCa` or a bearer token, and answers 200 only once `onBatch` has stored the batch. An event over the size
 * limit, an item that is not a valid Event, or a wrong kind is refused and counted while the rest of its batch is
 * stored; a body over the batch limit, or one that is not an EventList, is refused whole (413 / 400).
 * `GET /healthz` answers without authentication.
 */
export class AuditWebhookServer {
  readonly stats: WebhookStats = { requests: 0, batches: 0, events: 0, rejected: {} };
  private readonly server: Server;
  private readonly tokenDigests: Buffer[];
  private readonly maxEventBytes: number;
  private readonly maxBatchBytes: number;
  private readonly maxBatchEvents: number;

  constructor(private readonly o: AuditWebhookOptions) {
    if (!o.clientCa && (o.tokens ?? []).length === 0) throw new Error('the audit webhook needs a client CA or at least one token');
    this.tokenDigests = (o.tokens ?? []).map(digest);
    this.maxEventBytes = o.maxEventBytes ?? DEFAULT_MAX_EVENT_BYTES;
    this.maxBatchBytes = o.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES;
    this.maxBatchEvents = o.maxBatchEvents ?? DEFAULT_MAX_BATCH_EVENTS;
    this.server = createServer(
      {
        cert: o.cert,
        key: o.key,
        minVersion: 'TLSv1.2',
        // Ask for a certificate but let the request through without one: a token may authenticate it instead.
        ...(o.clientCa ? { ca: o.clientCa, requestCert: true, rejectUnauthorized: false } : {}),
      },
      (req, res) => void this.handle(req, res),
    );
  }

  /** Starts listening; resolves with the bound port. */
  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.o.port, this.o.host, () => {
        this.server.off('error', reject);
        resolve((this.server.address() as AddressInfo).port);
      });
    });
  }

  /** Stops taking connections and waits for requests in flight. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeIdleConnections();
    });
  }

  private count(reason: WebhookRejection, n = 1): void {
    this.stats.rejected[reason] = (this.stats.rejected[reason] ?? 0) + n;
  }

  private identify(req: IncomingMessage): string | undefined {
    const socket = req.socket as TLSSocket;
    if (this.o.clientCa && socket.authorized) {
      const cn = socket.getPeerCertificate()?.subject?.CN;
      return `cert:${Array.isArray(cn) ? cn.join(',') : (cn ?? '?')}`;
    }
    const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    if (m) {
      const d = digest(m[1]!);
      // Compare digests of equal length in constant time, against every token (no early exit).
      let ok = false;
      for (const t of this.tokenDigests) ok = timingSafeEqual(d, t) || ok;
      if (ok) return 'token';
    }
    return undefined;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.stats.requests++;
    const peer = `${req.socket.remoteAddress ?? '?'}`;
    if (req.method === 'GET' && req.url === '/healthz') return void res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    try {
      const identity = this.identify(req);
      if (!identity) throw new WebhookRefusal(401, 'unauthorized', 'no valid client certificate or bearer token');
      if (req.method !== 'POST') throw new WebhookRefusal(405, 'method-not-allowed', `method ${req.method ?? '?'} not allowed`);
      const body = await this.readBody(req);
      const batch = this.parseBatch(body, `webhook:${peer}`, identity);
      try {
        await this.o.onBatch(batch);
      } catch (e) {
        throw new WebhookRefusal(503, 'commit-failed', `batch of ${batch.events.length} events not stored: ${(e as Error).message}`);
      }
      this.stats.batches++;
      this.stats.events += batch.events.length;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ accepted: batch.events.length, rejected: batch.rejected }));
    } catch (e) {
      if (!(e instanceof WebhookRefusal)) {
        this.o.log?.(`audit webhook: internal error on a request from ${peer}: ${(e as Error).stack ?? String(e)}`);
        if (!res.headersSent) res.writeHead(500).end();
        return;
      }
      this.count(e.reason);
      this.o.log?.(`audit webhook: refused request from ${peer}: ${e.reason}: ${e.message}`);
      res.writeHead(e.status, { 'content-type': 'application/json', ...(e.status === 413 ? { connection: 'close' } : {}) }).end(JSON.stringify({ error: e.reason, message: e.message }));
      // Stop reading a refused body we have not consumed.
      if (!req.readableEnded) req.resume();
    }
  }

  private readBody(req: IncomingMessage): Promise<Buffer> {
    return readBatchBody(req, this.maxBatchBytes);
  }

  private parseBatch(body: Buffer, source: string, identity: string): WebhookBatch {
    return parseEventList(body, source, identity, { maxEventBytes: this.maxEventBytes, maxBatchEvents: this.maxBatchEvents, count: (r) => this.count(r), ...(this.o.log ? { log: this.o.log } : {}) });
  }
}
