import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { roleAtLeast, type Role } from '../storage/store.js';
import type { Registry } from 'prom-client';
import type { SecretBox } from '../app/secrets.js';
import type { OffboardingEnv } from '../app/offboarding.js';
import type { ImageScans } from '../app/image-scans.js';
import type { ServerAudit } from '../app/server-audit.js';
import type { KeyedLock } from '../app/jobs.js';
import type { LoginLimiter } from '../app/login-limiter.js';
import type { PdfRenderer } from '../app/pdf.js';
import type { Actor } from '../app/users.js';
import type { Store } from '../storage/store.js';

/** What route plugins get. */
export interface ApiContext {
  store: Store;
  metrics: Registry;
  /** Seals connector credentials; absent, connector routes that need credentials answer 503. */
  secrets?: SecretBox;
  /** Where offboarding writes its bundles and which schedulers it stops (src/app/offboarding.ts); absent, executing answers 503. */
  offboarding?: Omit<OffboardingEnv, 'store' | 'secrets'>;
  /** The audit webhook's pipeline; absent, audit ingest answers 503 (alerts and suppressions still work). */
  audit?: ServerAudit;
  /** Image vulnerability scanning; absent, registry syncs answer 503 (the stored vulnerabilities can still be read). */
  images?: ImageScans;
  /** The per-connector lock the scheduler's syncs take: on-demand syncs take it too. */
  syncLocks?: KeyedLock;
  /** Prints the HTML reports as PDF (src/app/pdf.ts); absent, PDF reports answer 503. */
  pdf?: PdfRenderer;
  /** Refuses logins of a username or address that failed too often (src/app/login-limiter.ts); absent, none is refused. */
  loginLimiter?: LoginLimiter;
}

/** Runs a connector sync under the server's per-connector lock (the scheduler's), when it has one. */
export function syncLocked<T>(ctx: Pick<ApiContext, 'syncLocks'>, connectorId: string, fn: () => Promise<T>): Promise<T> {
  return ctx.syncLocks ? ctx.syncLocks.run(`connector:${connectorId}`, fn) : fn();
}

/** Who may call a route: a minimum role, or `public` (health only). */
export type Access = Role | 'public';

/** The request as a handler sees it: parsed and validated, with the authenticated actor. */
export interface RouteContext<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  /** Present on every non-public route. */
  actor: Actor;
  /**
   * The connectors the caller may act on with the route's role, when that is not all of them (an actor whose
   * role comes from role bindings on single connectors): list handlers filter to these. Undefined: all.
   */
  connectors?: readonly string[];
  request: FastifyRequest;
  reply: FastifyReply;
}

/**
 * One route: method, path, minimum role, and zod schemas for what comes in and goes out. The same
 * schemas validate requests and produce the OpenAPI document, so the two cannot drift apart.
 */
export interface RouteSpec<P extends z.ZodType = z.ZodType, Q extends z.ZodType = z.ZodType, B extends z.ZodType = z.ZodType> {
  method: 'GET' | 'POST' | 'DELETE' | 'PUT' | 'PATCH';
  /** Fastify syntax: `/api/v1/users/:username`. */
  url: string;
  summary: string;
  tag: string;
  access: Access;
  params?: P;
  query?: Q;
  body?: B;
  /** Status -> body schema (`null` for no body). The first 2xx is the one handlers return. */
  responses: Record<number, z.ZodType | null>;
  /** A non-JSON success body (e.g. `text/plain` for /metrics). */
  produces?: string;
  /** Where the connector the request concerns is, for roles held on single connectors (see {@link ConnectorRef}). */
  connector?: ConnectorRef<z.infer<P>, z.infer<Q>, z.infer<B>>;
  /** About the caller itself (who am I, log out, own tokens): any authenticated caller, whatever its roles. */
  self?: boolean;
  /**
   * The handler reads the request stream itself (`request.raw`), whatever its content type and size: for ingest
   * endpoints with their own limits and counted refusals. This turns off body parsing in the route's plugin scope,
   * so a resource with such a route has no other body-carrying route.
   */
  rawBody?: boolean;
  handler(ctx: RouteContext<z.infer<P>, z.infer<Q>, z.infer<B>>): Promise<unknown>;
}

/** The parsed request, as a {@link ConnectorRef} resolver sees it. */
export interface RequestParts<P, Q, B> {
  params: P;
  query: Q;
  body: B;
}

/**
 * How a route finds the connector a request concerns, so that a role on that connector (a role binding)
 * can authorise it: a field of the path, query or body (`params.id`, `query.connector`, `body.connectorId`),
 * or a function (an asset's or exemption's connector). An empty field or a null result means the request
 * concerns no single connector: then only a global role will do, unless the route is a `list`. A resolver
 * returns undefined when the object asked for does not exist: a caller without a global role then gets 404.
 */
export interface ConnectorRef<P = unknown, Q = unknown, B = unknown> {
  from: `${'params' | 'query' | 'body'}.${string}` | ((req: RequestParts<P, Q, B>) => string | null | undefined | Promise<string | null | undefined>);
  /** A list: without a connector, it answers for the connectors the caller may read (`RouteContext.connectors`). */
  list?: boolean;
  /** An Owner of the connector may call this Owner route; by default Owner routes need a global Owner. */
  connectorOwner?: boolean;
}

/** Helps TypeScript infer the schema types of a route literal. */
export function route<P extends z.ZodType = z.ZodUnknown, Q extends z.ZodType = z.ZodUnknown, B extends z.ZodType = z.ZodUnknown>(spec: RouteSpec<P, Q, B>): RouteSpec<P, Q, B> {
  return spec;
}

/** The error body of every 4xx and 5xx answer. */
export const ErrorBody = z.object({ error: z.string(), message: z.string() }).meta({ id: 'Error' });

/** An HTTP error a handler throws on purpose. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    message: string,
  ) {
    super(message);
  }
}

/** What the server keeps about routes: the list for OpenAPI, and how requests are authenticated. */
export interface RouteHost {
  routes: RouteSpec[];
  authenticate(request: FastifyRequest): Promise<Actor | undefined>;
  /** The roles the actor holds on single connectors (role bindings); none when absent. */
  connectorRoles?(actor: Actor): Promise<Map<string, Role>>;
  /** Check handler results against the response schema (tests): a mismatch is a 500. */
  validateResponses: boolean;
}

function parse<T>(schema: z.ZodType<T> | undefined, value: unknown, where: string): T {
  if (!schema) return value as T;
  const r = schema.safeParse(value ?? {});
  if (!r.success) throw new HttpError(400, 'bad_request', `${where}: ${r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  return r.data;
}

function parseParts(spec: RouteSpec, request: FastifyRequest): RequestParts<unknown, unknown, unknown> {
  return { params: parse(spec.params, request.params, 'path'), query: parse(spec.query, request.query, 'query'), body: parse(spec.body, request.body, 'body') };
}

async function connectorOf(ref: ConnectorRef, parts: RequestParts<unknown, unknown, unknown>): Promise<string | null | undefined> {
  if (typeof ref.from === 'function') return ref.from(parts);
  const [where, field] = ref.from.split('.') as ['params' | 'query' | 'body', string];
  const v = (parts[where] as Record<string, unknown> | undefined)?.[field];
  return typeof v === 'string' && v !== '' ? v : null;
}

/**
 * Authorises an actor whose global role (if any) is below the route's through its roles on single
 * connectors: the role on the connector the request concerns, or, for a list about no single connector, the
 * connectors where it holds the role (returned, for the handler to filter by). Owner routes need a global
 * Owner unless the route accepts an Owner of the connector.
 */
async function authorizeOnConnector(
  host: RouteHost,
  spec: RouteSpec,
  actor: Actor,
  global: Role | undefined,
  request: FastifyRequest,
): Promise<{ parts: RequestParts<unknown, unknown, unknown>; connectors?: readonly string[] }> {
  const need = spec.access as Role;
  const denied = (why: string) => new HttpError(403, 'forbidden', `this needs the ${need} role ${why}; you have ${global ? `${global} globally` : 'no global role'}`);
  const ref = spec.connector;
  if (!ref || (need === 'owner' && !ref.connectorOwner)) throw denied('globally');
  const roles = (await host.connectorRoles?.(actor)) ?? new Map<string, Role>();
  const allowed = [...roles].filter(([, r]) => roleAtLeast(r, need)).map(([c]) => c);
  // Nowhere enough: refused before the request is even read.
  if (!allowed.length) throw denied('globally or on a connector');
  const parts = parseParts(spec, request);
  const id = await connectorOf(ref, parts);
  // No such object: nothing to authorise on, and nothing for the handler to do (a list is filtered instead).
  if (id === undefined && !ref.list) throw new HttpError(404, 'not_found', `no such object: ${spec.method} ${request.url.split('?')[0]}`);
  if (id === null || id === undefined) {
    if (!ref.list) throw denied('globally');
    return { parts, connectors: allowed };
  }
  const role = roles.get(id);
  if (!role || !roleAtLeast(role, need)) throw denied(`on connector ${id}${role ? ` (you have ${role} there)` : ''}`);
  return { parts, connectors: [id] };
}

/** Registers a route on Fastify: authentication, role check, validation, then the handler. */
export function addRoute(app: FastifyInstance, host: RouteHost, spec: RouteSpec): void {
  host.routes.push(spec);
  if (spec.rawBody && !app.hasContentTypeParser('*')) {
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));
  }
  const ok = Number(Object.keys(spec.responses).find((s) => s.startsWith('2')) ?? 200);
  app.route({
    method: spec.method,
    url: spec.url,
    handler: async (request, reply) => {
      let actor: Actor | undefined;
      let connectors: readonly string[] | undefined;
      let parts: RequestParts<unknown, unknown, unknown> | undefined;
      if (spec.access !== 'public') {
        actor = await host.authenticate(request);
        if (!actor) throw new HttpError(401, 'unauthenticated', 'log in (POST /api/v1/login) or send an API token as "Authorization: Bearer <token>"');
        const global = actor.globalAccess === false ? undefined : actor.role;
        if (!spec.self && !(global && roleAtLeast(global, spec.access))) {
          const r = await authorizeOnConnector(host, spec, actor, global, request);
          ({ parts, connectors } = r);
        }
      }
      parts ??= parseParts(spec, request);
      const ctx = { ...parts, actor: actor as Actor, connectors, request, reply };
      const out = await spec.handler(ctx);
      if (reply.sent) return reply;
      const schema = spec.responses[reply.statusCode !== 200 ? reply.statusCode : ok];
      if (host.validateResponses && schema) schema.parse(out);
      reply.code(reply.statusCode !== 200 ? reply.statusCode : ok);
      return schema === null ? reply.send() : out;
    },
  });
}
