import { z } from 'zod';
import type { RouteSpec } from './route.js';

type Json = Record<string, unknown>;

/**
 * JSON Schema of a zod schema for OpenAPI 3.0. Schemas named with `.meta({ id })` come out as local
 * `definitions`; they move to `components.schemas` (shared by every operation) and their refs follow.
 */
function convert(s: z.ZodType, io: 'input' | 'output', components: Record<string, Json>): Json {
  const js = z.toJSONSchema(s, { target: 'openapi-3.0', unrepresentable: 'any', io }) as Json;
  const defs = (js.definitions ?? js.$defs) as Record<string, Json> | undefined;
  delete js.definitions;
  delete js.$defs;
  const rewrite = (v: Json): Json => JSON.parse(JSON.stringify(v).replace(/"#\/(definitions|\$defs)\//g, '"#/components/schemas/')) as Json;
  for (const [name, def] of Object.entries(defs ?? {})) components[name] = rewrite(def);
  return rewrite(js);
}

/** Path and query parameters from a zod object schema, one OpenAPI parameter per property. */
function parameters(s: z.ZodType | undefined, where: 'path' | 'query', components: Record<string, Json>): Json[] {
  if (!s) return [];
  const js = convert(s, 'input', components) as { properties?: Record<string, Json>; required?: string[] };
  return Object.entries(js.properties ?? {}).map(([name, schema]) => {
    const { description, ...rest } = schema as { description?: string };
    return { name, in: where, required: where === 'path' || (js.required ?? []).includes(name), schema: rest, ...(description ? { description } : {}) };
  });
}

/** The OpenAPI 3.0 document of the registered routes. */
export function openApiDocument(routes: readonly RouteSpec[], info: { title: string; version: string }): Json {
  const paths: Record<string, Record<string, Json>> = {};
  const schemas: Record<string, Json> = {};
  for (const r of routes) {
    const path = r.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    const responses: Json = {};
    for (const [status, schema] of Object.entries(r.responses)) {
      const description = status.startsWith('2') ? 'Success' : status === '401' ? 'Not authenticated' : status === '403' ? 'Role too low' : status === '404' ? 'Not found' : 'Error';
      const type = status.startsWith('2') && r.produces ? r.produces : 'application/json';
      responses[status] = schema ? { description, content: { [type]: { schema: type === 'application/json' ? convert(schema, 'output', schemas) : { type: 'string' } } } } : { description };
    }
    const op: Json = {
      operationId: `${r.method.toLowerCase()}${path.replace(/[{}]/g, '').replace(/(^|[/_-])(\w)/g, (_m, _s, c: string) => c.toUpperCase())}`,
      summary: r.summary,
      tags: [r.tag],
      'x-palisade-role': r.access,
      parameters: [...parameters(r.params, 'path', schemas), ...parameters(r.query, 'query', schemas)],
      responses,
      security: r.access === 'public' ? [] : [{ session: [] }, { bearer: [] }],
    };
    if (r.body) op.requestBody = { required: true, content: { 'application/json': { schema: convert(r.body, 'input', schemas) } } };
    (paths[path] ??= {})[r.method.toLowerCase()] = op;
  }
  return {
    openapi: '3.0.3',
    info: { ...info, description: 'Palisade server API. Every route except /healthz, /readyz and /openapi.json needs a session cookie or a bearer token; x-palisade-role names the minimum role.' },
    paths,
    components: {
      schemas,
      securitySchemes: {
        session: { type: 'apiKey', in: 'cookie', name: 'palisade_session' },
        bearer: { type: 'http', scheme: 'bearer' },
      },
    },
  };
}
