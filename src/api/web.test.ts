/**
 * The dashboard's static serving: files, the index.html fallback for client routes, the security headers, and
 * the hint when the dashboard is not built.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../storage/sqlite/index.js';
import type { Store } from '../storage/store.js';
import { buildApp } from './server.js';

const INDEX = '<!doctype html><html><head><script type="module" src="/assets/app-1a2b.js"></script></head><body><div id="app"></div></body></html>';
const html = { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' };

let dir: string;
let store: Store;
let app: FastifyInstance;
let bare: FastifyInstance;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'palisade-web-'));
  mkdirSync(join(dir, 'dist', 'assets'), { recursive: true });
  writeFileSync(join(dir, 'dist', 'index.html'), INDEX);
  writeFileSync(join(dir, 'dist', 'assets', 'app-1a2b.js'), 'console.log("dashboard")');
  store = openSqliteStore(':memory:');
  await store.migrate();
  app = await buildApp({ store, webRoot: join(dir, 'dist') });
  bare = await buildApp({ store, webRoot: join(dir, 'not-built') });
});
afterAll(async () => {
  await app.close();
  await bare.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('dashboard serving', () => {
  it('serves index.html at / with a strict CSP, nosniff, a referrer policy and no framing', async () => {
    const res = await app.inject({ method: 'GET', url: '/', headers: html });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.body).toBe(INDEX);
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toContain("frame-ancestors 'none'");
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['cache-control']).toBe('no-cache');
  });

  it('serves hashed assets with a long cache lifetime', async () => {
    const res = await app.inject({ method: 'GET', url: '/assets/app-1a2b.js' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/javascript/);
    expect(res.headers['cache-control']).toContain('immutable');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
  });

  it('answers a browser navigating to a client route with index.html, so history routing survives a reload', async () => {
    for (const url of ['/alerts/12', '/vulnerabilities/images/sha256%3Aabc?severity=high', '/inventory']) {
      const res = await app.inject({ method: 'GET', url, headers: html });
      expect(res.statusCode, url).toBe(200);
      expect(res.body, url).toBe(INDEX);
      expect(res.headers['content-security-policy'], url).toContain("default-src 'self'");
    }
  });

  it('keeps JSON 404s for the API and the probes, and for files that are not there', async () => {
    for (const url of ['/api/v1/no-such-route', '/api', '/api/v1/alerts/x/y']) {
      const res = await app.inject({ method: 'GET', url, headers: html });
      expect(res.statusCode, url).toBe(404);
      expect(res.json(), url).toMatchObject({ error: 'not_found' });
      expect(res.headers['content-security-policy'], url).toBeUndefined();
      expect(res.headers['x-content-type-options'], url).toBe('nosniff');
    }
    const missing = await app.inject({ method: 'GET', url: '/assets/gone-9z9z.js', headers: { accept: '*/*' } });
    expect(missing.statusCode).toBe(404);
    const post = await app.inject({ method: 'POST', url: '/alerts', headers: html, payload: {} });
    expect(post.statusCode).toBe(404);
  });

  it('leaves the API and the probes as they were', async () => {
    const health = await app.inject({ method: 'GET', url: '/healthz' });
    expect(health.statusCode).toBe(200);
    expect(health.headers['content-type']).toMatch(/json/);
    expect(health.headers['content-security-policy']).toBeUndefined();
    expect((await app.inject({ method: 'GET', url: '/api/v1/me', headers: html })).statusCode).toBe(401);
    expect((await app.inject({ method: 'GET', url: '/openapi.json' })).json()).toHaveProperty('openapi');
  });

  it('says how to build the dashboard when web/dist is missing', async () => {
    const res = await bare.inject({ method: 'GET', url: '/', headers: html });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.body).toContain('npm run build');
    expect((await bare.inject({ method: 'GET', url: '/alerts', headers: html })).statusCode).toBe(404);
  });
});
