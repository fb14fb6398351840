import { request } from 'node:https';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestPki, type TestPki } from '../../../test/helpers/tls.js';
import { AuditWebhookServer, type WebhookBatch } from './webhook.js';

const TOKEN = 'gzip-test-token';
const LIMIT = 64 * 1024;

function event(i: number): Record<string, unknown> {
  return { kind: 'Event', apiVersion: 'audit.k8s.io/v1', level: 'Metadata', auditID: `gz-${i}`, stage: 'ResponseComplete', verb: 'get', user: { username: 'system:kube-scheduler' }, objectRef: { resource: 'leases', namespace: 'kube-system', name: 'kube-scheduler' }, responseStatus: { code: 200 }, stageTimestamp: '2024-05-14T10:00:00Z' };
}
const eventList = (n: number) => JSON.stringify({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', items: Array.from({ length: n }, (_, i) => event(i)) });

describe('audit webhook request bodies', () => {
  let pki: TestPki;
  let server: AuditWebhookServer;
  let port: number;
  const batches: WebhookBatch[] = [];
  const logs: string[] = [];

  function post(body: Buffer, encoding?: string): Promise<{ status: number; json: { error?: string; message?: string; accepted?: number } }> {
    return new Promise((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port, path: '/audit', method: 'POST', ca: pki.caCert, headers: { 'content-type': 'application/json', 'content-length': body.length, authorization: `Bearer ${TOKEN}`, ...(encoding ? { 'content-encoding': encoding } : {}) } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString() || '{}') as { error?: string } }));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  beforeAll(async () => {
    pki = makeTestPki();
    server = new AuditWebhookServer({ host: '127.0.0.1', port: 0, cert: pki.serverCert, key: pki.serverKey, tokens: [TOKEN], maxBatchBytes: LIMIT, onBatch: (b) => void batches.push(b), log: (l) => logs.push(l) });
    port = await server.listen();
  });
  afterAll(async () => {
    await server.close();
  });

  it('accepts a gzip-compressed EventList, event for event as the same body sent plain', async () => {
    const text = eventList(20);
    const plain = await post(Buffer.from(text));
    const gz = await post(gzipSync(text), 'gzip');
    expect(plain).toEqual({ status: 200, json: { accepted: 20, rejected: {} } });
    expect(gz).toEqual(plain);
    expect(batches.at(-1)!.events.map((e) => e.body)).toEqual(batches.at(-2)!.events.map((e) => e.body));
  });

  it('refuses with 413 a compressed body whose decompressed size is over the batch limit, and keeps serving', async () => {
    // About 200 KiB of JSON that compresses to a few KiB: under the limit on the wire, over it once inflated.
    const text = eventList(800);
    const compressed = gzipSync(text);
    expect(compressed.length).toBeLessThan(LIMIT);
    expect(text.length).toBeGreaterThan(LIMIT);
    const r = await post(compressed, 'gzip');
    expect(r.status).toBe(413);
    expect(r.json.error).toBe('batch-too-large');
    expect(r.json.message).toContain('decompressed');
    expect(server.stats.rejected['batch-too-large']).toBe(1);
    expect((await post(gzipSync(eventList(3)), 'gzip')).status).toBe(200);
  });

  it('refuses a corrupt gzip body (400) and an encoding it does not speak (415) with their reasons', async () => {
    const corrupt = gzipSync(eventList(5)).subarray(0, 40);
    const bad = await post(corrupt, 'gzip');
    expect(bad.status).toBe(400);
    expect(bad.json.error).toBe('malformed-batch');
    const br = await post(Buffer.from(eventList(1)), 'br');
    expect(br.status).toBe(415);
    expect(br.json.error).toBe('unsupported-encoding');
    expect(logs.some((l) => l.includes('unsupported-encoding'))).toBe(true);
  });
});
