import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { connectorRolesOf } from '../app/access.js';
import type { KeyedLock } from '../app/jobs.js';
import { toolVersion } from '../app/content.js';
import type { ImageScans } from '../app/image-scans.js';
import type { SecretBox } from '../app/secrets.js';
import type { OffboardingEnv } from '../app/offboarding.js';
import { LoginLimiter } from '../app/login-limiter.js';
import { createPdfRenderer, type PdfRenderer } from '../app/pdf.js';
import type { ServerAudit } from '../app/server-audit.js';
import { authenticate } from '../app/users.js';
import { PalisadeError } from '../model/errors.js';
import type { Store } from '../storage/store.js';
import { readCookie, SESSION_COOKIE } from './cookies.js';
import { createMetrics } from './metrics.js';
import { openApiDocument } from './openapi.js';
import { addRoute, HttpError, route, type ApiContext, type RouteHost } from './route.js';
import { RESOURCES } from './routes/index.js';
import { defaultWebRoot, registerDashboard } from './web.js';

/**
 * Log fields that never reach the log: credentials in headers, and any field named like a secret in a
 * logged object (a connector's config, an error's context).
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  '*.password',
  '*.token',
  '*.secret',
  '*.secrets',
  '*.apiKey',
  '*.clientKey',
  '*.bearerToken',
];

/** Pino options of the server log: JSON lines, secrets redacted. */
export function loggerOptions(level = 'info'): Exclude<FastifyServerOptions['logger'], boolean | undefined> {
  return { level, redact: { paths: REDACT_PATHS, censor: '[redacted]' } };
}

/** Options of {@link buildApp}. */
export interface AppOptions {
  store: Store;
  /** Pino options, or false for no log (tests). */
  logger?: FastifyServerOptions['logger'];
  /** Check every JSON answer against its declared schema (tests). */
  validateResponses?: boolean;
  /** Honour X-Forwarded-For and X-Forwarded-Proto (behind a reverse proxy you trust). */
  trustProxy?: boolean;
  /** Seals connector credentials (src/app/secrets.ts). */
  secrets?: SecretBox;
  /** Offboarding's data directory, schedulers and periods (src/app/offboarding.ts). */
  offboarding?: Omit<OffboardingEnv, 'store' | 'secrets'>;
  /** Receives audit events posted by kube-apiserver (src/app/server-audit.ts). */
  audit?: ServerAudit;
  /** Image vulnerability scanning (src/app/image-scans.ts): registry syncs and the scans of running images. */
  images?: ImageScans;
  /** The scheduler's per-connector lock, which on-demand syncs take too (src/app/jobs.ts). */
  syncLocks?: KeyedLock;
  /** Prints the PDF reports; by default Chromium from PALISADE_CHROMIUM or /usr/bin/chromium, launched on first use. Closed with the server. */
  pdf?: PdfRenderer;
  /** The login throttle (default: 5 failures of a user or 20 from an address in 15 minutes lock them, in this process). */
  loginLimiter?: LoginLimiter;
  /** The built dashboard to serve at `/` (default: web/dist of this package); false: none. */
  webRoot?: string | false;
}

/** Builds the HTTP server: one plugin per resource, the OpenAPI document of their schemas, metrics. */
export async function buildApp(opts: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({ logger: opts.logger ?? false, trustProxy: opts.trustProxy ?? false, bodyLimit: 1024 * 1024 });
  const metrics = createMetrics(app);
  const host: RouteHost = {
    routes: [],
    validateResponses: opts.validateResponses ?? false,
    authenticate: (request) => {
      const header = request.headers.authorization;
      const bearer = header?.match(/^Bearer\s+(\S+)$/i)?.[1];
      return authenticate(opts.store, { bearer, session: bearer ? undefined : readCookie(request.headers.cookie, SESSION_COOKIE) }, request.ip);
    },
    connectorRoles: (actor) => connectorRolesOf(opts.store, actor),
  };
  const pdf = opts.pdf ?? createPdfRenderer();
  app.addHook('onClose', () => pdf.close());
  const ctx: ApiContext = { store: opts.store, metrics, secrets: opts.secrets, offboarding: opts.offboarding, audit: opts.audit, images: opts.images, syncLocks: opts.syncLocks, pdf, loginLimiter: opts.loginLimiter ?? new LoginLimiter() };

  app.setErrorHandler((error: unknown, request, reply) => {
    if (error instanceof HttpError) return reply.code(error.status).send({ error: error.error, message: error.message });
    if (error instanceof PalisadeError && error.code === 'E_USAGE') {
      const conflict = /already exists/.test(error.message);
      return reply.code(conflict ? 409 : 400).send({ error: conflict ? 'conflict' : 'bad_request', message: error.message });
    }
    const status = (error as { statusCode?: number }).statusCode;
    if (status && status >= 400 && status < 500) return reply.code(status).send({ error: 'bad_request', message: (error as Error).message });
    request.log.error({ err: error }, 'request failed');
    return reply.code(500).send({ error: 'internal', message: 'internal error; see the server log' });
  });
  const dashboard = await registerDashboard(app, opts.webRoot ?? defaultWebRoot());
  app.setNotFoundHandler((request, reply) => dashboard.fallback(request, reply) ?? reply.code(404).send({ error: 'not_found', message: `no route ${request.method} ${request.url.split('?')[0]}` }));

  for (const resource of RESOURCES) {
    await app.register(async (scope) => {
      for (const spec of resource.routes(ctx)) addRoute(scope, host, spec);
    });
  }
  let doc: unknown;
  addRoute(
    app,
    host,
    route({
      method: 'GET',
      url: '/openapi.json',
      summary: 'This API as an OpenAPI 3 document',
      tag: 'health',
      access: 'public',
      responses: { 200: null },
      handler: async ({ reply }) => {
        doc ??= openApiDocument(host.routes, { title: 'Palisade', version: toolVersion() });
        return reply.code(200).send(doc);
      },
    }),
  );
  return app;
}
