import type { Check, CheckResult } from '../check.js';
import type { FieldPath } from '../../model/path.js';
import type { Resource } from '../../model/resource.js';
import { arr, int, nsOf, rec, serviceType, specOf, str } from './lib/cross-resource.js';

/** API versions whose backends use the old `serviceName` / `servicePort` fields. */
const LEGACY_INGRESS_VERSIONS = new Set(['extensions/v1beta1', 'networking.k8s.io/v1beta1']);

interface Backend {
  /** Path of the backend object. */
  path: FieldPath;
  /** `rule host "a.example" path "/api"` or `default backend`. */
  where: string;
  value: Record<string, unknown>;
}

function backendsOf(ingress: Resource, legacy: boolean): Backend[] {
  const spec = specOf(ingress);
  const out: Backend[] = [];
  const defaultField = legacy ? 'backend' : 'defaultBackend';
  if (spec[defaultField] !== undefined && spec[defaultField] !== null) {
    out.push({ path: ['spec', defaultField], where: 'default backend', value: rec(spec[defaultField]) });
  }
  arr(spec.rules).forEach((rule, i) => {
    const host = str(rec(rule).host);
    arr(rec(rec(rule).http).paths).forEach((p, j) => {
      const path = str(rec(p).path);
      const where = `rule ${host ? `host "${host}"` : '(any host)'} path ${path ? `"${path}"` : '<unset>'}`;
      out.push({ path: ['spec', 'rules', i, 'http', 'paths', j, 'backend'], where, value: rec(rec(p).backend) });
    });
  });
  return out;
}

/**
 * Ingress backends must name a Service of the input, in the Ingress's namespace, and a port that
 * Service exposes (by number or by name). Fields are read as the Ingress's apiVersion defines them:
 * `serviceName`/`servicePort` in a networking.k8s.io/v1 Ingress are not part of the API and count as no backend.
 */
export const ingressBackendNotFound = {
  id: 'PAL-083',
  slug: 'ingress-backend-not-found',
  title: 'Ingress routes to a Service that is not in the input',
  description:
    'An Ingress path whose backend Service (or Service port) does not exist answers with errors, and whoever later creates ' +
    'a Service of that name in the namespace receives the traffic, TLS termination included.',
  remediation: 'Point each backend at an existing Service and at a port that Service declares (spec.ports[].port or its name).',
  severity: 'low',
  category: 'network',
  kinds: ['Ingress'],
  crossResource: true,
  equivalents: {
    kubeScore: ['ingress-targets-service'],
    kubeLinter: ['dangling-ingress'],
  },
  evaluate({ resource, inventory }) {
    const legacy = LEGACY_INGRESS_VERSIONS.has(resource.apiVersion);
    const ns = nsOf(resource);
    const out: CheckResult[] = [];
    for (const b of backendsOf(resource, legacy)) {
      let name: string | undefined;
      let port: number | string | undefined;
      let namePath: FieldPath;
      let portPath: FieldPath;
      if (legacy) {
        name = str(b.value.serviceName);
        const p = b.value.servicePort;
        port = typeof p === 'number' ? p : str(p);
        namePath = [...b.path, 'serviceName'];
        portPath = [...b.path, 'servicePort'];
      } else {
        if (b.value.resource !== undefined && b.value.service === undefined) continue; // a non-Service backend
        const svc = rec(b.value.service);
        name = str(svc.name);
        const p = rec(svc.port);
        port = int(p.number) ?? str(p.name);
        namePath = [...b.path, 'service', 'name'];
        portPath = [...b.path, 'service', 'port'];
        if (!name && b.value.serviceName !== undefined) {
          out.push({ path: [...b.path, 'serviceName'], message: `${b.where}: backend uses serviceName/servicePort, which ${resource.apiVersion} does not have, so it names no Service (use backend.service.name and backend.service.port)` });
          continue;
        }
      }
      if (!name) {
        out.push({ path: namePath, message: `${b.where}: backend names no Service` });
        continue;
      }
      const svc = inventory.get('Service', ns, name);
      if (!svc) {
        out.push({ path: namePath, message: `${b.where}: Service "${name}" is not in the input (namespace "${ns}")` });
        continue;
      }
      if (port === undefined) {
        out.push({ path: portPath, message: `${b.where}: backend for Service "${name}" names no port` });
        continue;
      }
      const ports = arr(specOf(svc).ports).map(rec);
      if (ports.length === 0 && serviceType(svc) === 'ExternalName') continue;
      const found = ports.some((p) => (typeof port === 'number' ? p.port === port : p.name === port));
      if (!found) {
        const have = ports.map((p) => (str(p.name) ? `${String(p.name)}/${String(p.port)}` : String(p.port))).join(', ') || 'none';
        out.push({ path: portPath, message: `${b.where}: Service "${name}" in the input has no port ${typeof port === 'number' ? port : `named "${port}"`} (its ports: ${have})` });
      }
    }
    return out;
  },
} satisfies Check;
