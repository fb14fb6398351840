import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** Paths that belong to the API and the probes: never the dashboard's, never answered with index.html. */
export const SERVER_PATHS = /^\/(?:api(?:\/|$)|healthz$|readyz$|metrics$|openapi\.json$)/;

/**
 * The dashboard's Content-Security-Policy: everything from this origin only, no inline script or style
 * element, no plugins, no framing. The build writes no inline code, so nothing needs a nonce or a hash.
 */
export const DASHBOARD_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** web/dist of this package: the same two levels up from src/api/ (tsx) and dist/api/ (built). */
export function defaultWebRoot(): string {
  return fileURLToPath(new URL('../../web/dist/', import.meta.url));
}

/** What {@link registerDashboard} gives the not-found handler. */
export interface Dashboard {
  /** Whether web/dist was there to serve. */
  built: boolean;
  /** Answers a browser's navigation to a client route with index.html; undefined when the request is not one. */
  fallback(request: FastifyRequest, reply: FastifyReply): FastifyReply | undefined;
}

function pathOf(url: string): string {
  return url.split('?')[0] ?? '/';
}

/**
 * Serves the built dashboard at `/`: its files (hashed assets cached for a year, index.html revalidated), and
 * index.html for any other page a browser navigates to outside the API, so history routing survives a reload.
 * Every answer gets nosniff and a referrer policy; dashboard answers also get the CSP and refuse framing (API
 * answers keep theirs: a report rendered as HTML may carry its own inline styles). Without web/dist, `/` says
 * how to build it.
 */
export async function registerDashboard(app: FastifyInstance, root: string | false): Promise<Dashboard> {
  app.addHook('onSend', async (request, reply, payload) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    if (!SERVER_PATHS.test(pathOf(request.url))) {
      reply.header('content-security-policy', DASHBOARD_CSP);
      reply.header('x-frame-options', 'DENY');
    }
    return payload;
  });
  const built = root !== false && existsSync(`${root}/index.html`);
  if (!built) {
    app.get('/', async (_request, reply) => reply.type('text/plain; charset=utf-8').send('Palisade: the web dashboard is not built. Run `npm run build` (or `npx vite build --config web/vite.config.ts`), then restart the server. The API is at /api/v1, documented at /openapi.json.\n'));
    return { built, fallback: () => undefined };
  }
  await app.register(fastifyStatic, {
    root,
    prefix: '/',
    // Routes for the files present at start, rather than a catch-all that would shadow the not-found handler.
    wildcard: false,
    // Our own Cache-Control below, rather than send's max-age=0 on everything.
    cacheControl: false,
    setHeaders: (res, file) => {
      res.setHeader('cache-control', /[\\/]assets[\\/]/.test(file) ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });
  return {
    built,
    fallback: (request, reply) => {
      const accept = request.headers.accept ?? '';
      if ((request.method !== 'GET' && request.method !== 'HEAD') || SERVER_PATHS.test(pathOf(request.url)) || !accept.includes('text/html')) return undefined;
      reply.header('cache-control', 'no-cache');
      return reply.type('text/html; charset=utf-8').sendFile('index.html');
    },
  };
}
