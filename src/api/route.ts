import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { roleAtLeast, type Role } from '../storage/store.js';
import type { Registry } from 'prom-client';
import type { SecretBox } from '../app/secrets.js';
import type { Actor } from '../app/users.js';
import type { Store } from '../storage/store.js';

/** What route plugins get. */
export interface ApiContext {
  store: Store;
  metrics: Registry;
  /** Seals connector credentials; absent, connector routes that need credentials answer 503. */
  secrets?: SecretBox;
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
  handler(ctx: RouteContext<z.infer<P>, z.infer<Q>, z.infer<B>>): Promise<unknown>;
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
  /** Check handler results against the response schema (tests): a mismatch is a 500. */
  validateResponses: boolean;
}

function parse<T>(schema: z.ZodType<T> | undefined, value: unknown, where: string): T {
  if (!schema) return value as T;
  const r = schema.safeParse(value ?? {});
  if (!r.success) throw new HttpError(400, 'bad_request', `${where}: ${r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  return r.data;
}

/** Registers a route on Fastify: authentication, role check, validation, then the handler. */
export function addRoute(app: FastifyInstance, host: RouteHost, spec: RouteSpec): void {
  host.routes.push(spec);
  const ok = Number(Object.keys(spec.responses).find((s) => s.startsWith('2')) ?? 200);
  app.route({
    method: spec.method,
    url: spec.url,
    handler: async (request, reply) => {
      let actor: Actor | undefined;
      if (spec.access !== 'public') {
        actor = await host.authenticate(request);
        if (!actor) throw new HttpError(401, 'unauthenticated', 'log in (POST /api/v1/login) or send an API token as "Authorization: Bearer <token>"');
        if (!roleAtLeast(actor.role, spec.access)) throw new HttpError(403, 'forbidden', `this needs the ${spec.access} role; you have ${actor.role}`);
      }
      const ctx = {
        params: parse(spec.params, request.params, 'path'),
        query: parse(spec.query, request.query, 'query'),
        body: parse(spec.body, request.body, 'body'),
        actor: actor as Actor,
        request,
        reply,
      };
      const out = await spec.handler(ctx);
      if (reply.sent) return reply;
      const schema = spec.responses[reply.statusCode !== 200 ? reply.statusCode : ok];
      if (host.validateResponses && schema) schema.parse(out);
      reply.code(reply.statusCode !== 200 ? reply.statusCode : ok);
      return schema === null ? reply.send() : out;
    },
  });
}
