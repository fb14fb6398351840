import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

/** A Prometheus registry per server (not the library's global one, so tests can build several servers). */
export function createMetrics(app: FastifyInstance): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'palisade_' });
  const requests = new Counter({ name: 'palisade_http_requests_total', help: 'HTTP requests by method, route and status.', labelNames: ['method', 'route', 'status'] as const, registers: [registry] });
  const duration = new Histogram({
    name: 'palisade_http_request_duration_seconds',
    help: 'HTTP request duration by method and route.',
    labelNames: ['method', 'route'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  app.addHook('onResponse', async (request, reply) => {
    // The route pattern, not the raw URL: ids in paths would make one series per object.
    const routePath = request.routeOptions.url ?? 'unmatched';
    requests.inc({ method: request.method, route: routePath, status: String(reply.statusCode) });
    duration.observe({ method: request.method, route: routePath }, reply.elapsedTime / 1000);
  });
  return registry;
}
