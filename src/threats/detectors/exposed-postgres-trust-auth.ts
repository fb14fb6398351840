import { containersOf, podSpecOf } from '../context.js';
import { LruMap } from '../lru.js';
import { NO_FINDINGS, type Detector, type DetectorFinding, type EventContext } from './detector.js';

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : {});
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** A pg_hba.conf host line with the trust method for an address other than loopback. */
const HBA_TRUST = /^\s*host\w*\s+\S+\s+\S+\s+(?!127\.|::1\/|::1\s|localhost\s)\S+(\s+\S+)?\s+trust\b/m;
const WORKLOADS = new Set(['pods', 'deployments', 'statefulsets', 'daemonsets', 'replicasets', 'replicationcontrollers']);
const POSTGRES_PORTS = new Set([5432, 5433]);

/**
 * Memory caps: namespaces, trusting Postgres workloads and LoadBalancer Services per namespace, ConfigMaps whose
 * pg_hba.conf trusts, and pairs already reported (least recently used forgotten first). A long-running receiver
 * sees every LoadBalancer Service ever created; without caps that memory would grow with the log.
 */
export const EXPOSED_POSTGRES_LIMITS = { namespaces: 10_000, perNamespace: 1_000, trustConfigMaps: 10_000, reported: 10_000 };

interface TrustWorkload {
  ref: string;
  labels: Record<string, string>;
  /** Why it trusts everyone: an env variable, or the ConfigMaps whose pg_hba.conf it mounts. */
  env: string | undefined;
  configMaps: string[];
}

interface LoadBalancer {
  ref: string;
  selector: Record<string, string>;
  ports: number[];
}

function labelsOf(o: Obj, kind: string): Record<string, string> {
  const meta = kind === 'pods' ? obj(o.metadata) : obj(obj(obj(o.spec).template).metadata);
  return Object.fromEntries(Object.entries(obj(meta.labels)).filter(([, v]) => typeof v === 'string')) as Record<string, string>;
}

function selects(selector: Record<string, string>, labels: Record<string, string>): boolean {
  const keys = Object.keys(selector);
  return keys.length > 0 && keys.every((k) => labels[k] === selector[k]);
}

/** POSTGRES_HOST_AUTH_METHOD=trust (official image) or ALLOW_EMPTY_PASSWORD=yes on a Postgres image (Bitnami). */
function trustEnv(containers: Obj[]): string | undefined {
  for (const c of containers) {
    for (const e of Array.isArray(c.env) ? c.env.map(obj) : []) {
      if (e.name === 'POSTGRES_HOST_AUTH_METHOD' && e.value === 'trust') return 'POSTGRES_HOST_AUTH_METHOD=trust';
      if (e.name === 'ALLOW_EMPTY_PASSWORD' && str(e.value).toLowerCase() === 'yes' && str(c.image).includes('postgres')) return 'ALLOW_EMPTY_PASSWORD=yes';
    }
  }
  return undefined;
}

function mountedConfigMaps(podSpec: Obj): string[] {
  const volumes = Array.isArray(podSpec.volumes) ? podSpec.volumes.map(obj) : [];
  return volumes.map((v) => str(obj(v.configMap).name)).filter((n) => n !== '');
}

/**
 * Correlates, within one scan (or the life of a receiver: the memory is not saved), Postgres workloads that accept
 * passwordless remote logins with the LoadBalancer Services that select them, whichever comes first in the log:
 * - a workload (Pod or pod template) with POSTGRES_HOST_AUTH_METHOD=trust, Bitnami's ALLOW_EMPTY_PASSWORD=yes,
 *   or a mounted ConfigMap whose pg_hba.conf trusts a non-loopback address;
 * - a LoadBalancer Service in the same namespace whose selector matches the workload's pod labels.
 * Each (Service, workload) pair is reported once, on the event that completes it. Deletions forget objects.
 */
export const exposedPostgresTrustAuth = {
  id: 'PAL-RT-063',
  slug: 'exposed-postgres-trust-auth',
  title: 'Postgres with trust authentication exposed by a load balancer',
  description:
    'A LoadBalancer Service selects a Postgres workload that accepts remote logins without a password (trust ' +
    'authentication in pg_hba.conf, POSTGRES_HOST_AUTH_METHOD=trust, or ALLOW_EMPTY_PASSWORD=yes). Anyone who ' +
    'reaches the load balancer can log in as any database user. The configuration and the Service are separate ' +
    'requests: this detector joins them in either order, within one scan or the life of a receiver.',
  severity: 'high',
  mitre: { tactics: ['TA0001'], techniques: ['T1133', 'T1078'] },
  nextSteps: [
    'Restrict the Service (internal load balancer, loadBalancerSourceRanges) at once, then replace trust with scram-sha-256.',
    'Check the database logs for connections from outside your networks since the Service was exposed.',
  ],
  enabled: true,
  tags: ['correlation'],
  equivalents: { defender: ['K8S_ExposedPostgresTrustAuth'] },
  match: { verbs: ['create', 'update', 'patch', 'delete'], resources: ['services', 'configmaps', ...WORKLOADS] },
  skips: (k) => k.stage !== 'ResponseComplete' || k.code < 200 || k.code >= 300 || k.subresource !== '',
  start() {
    const caps = EXPOSED_POSTGRES_LIMITS;
    const trustConfigMaps = new LruMap<string, true>(caps.trustConfigMaps);
    // Per namespace: a Service only ever selects pods of its own namespace.
    const workloadsIn = new LruMap<string, LruMap<string, TrustWorkload>>(caps.namespaces);
    const balancersIn = new LruMap<string, LruMap<string, LoadBalancer>>(caps.namespaces);
    const inNs = <T>(m: LruMap<string, LruMap<string, T>>, ns: string): LruMap<string, T> => {
      let inner = m.get(ns);
      if (!inner) m.set(ns, (inner = new LruMap(caps.perNamespace)));
      return inner;
    };
    const reported = new LruMap<string, true>(caps.reported);

    const isTrusted = (w: TrustWorkload, ns: string) => w.env !== undefined || w.configMaps.some((cm) => trustConfigMaps.has(`${ns}/${cm}`));
    const why = (w: TrustWorkload, ns: string) => w.env ?? `pg_hba.conf trust in configmap ${w.configMaps.filter((cm) => trustConfigMaps.has(`${ns}/${cm}`)).join(', ')}`;
    const pair = (lb: LoadBalancer, w: TrustWorkload, ns: string): DetectorFinding[] => {
      const key = `${lb.ref}|${w.ref}`;
      if (reported.has(key) || !isTrusted(w, ns) || !selects(lb.selector, w.labels)) return NO_FINDINGS;
      reported.set(key, true);
      return [{ output: `LoadBalancer service ${lb.ref} (ports ${lb.ports.join(', ') || '<none>'}) exposes Postgres ${w.ref}, which trusts remote logins (${why(w, ns)})` }];
    };

    return {
      observe(ctx: EventContext): DetectorFinding[] {
        if (ctx.stage !== 'ResponseComplete') return NO_FINDINGS;
        const code = (ctx.responseStatus as { code: number }).code;
        if (code < 200 || code >= 300) return NO_FINDINGS;
        const t = ctx.target as { resource: string; subresource: string; namespace: string; name: string; ref: string };
        if (t.subresource !== '' || t.namespace === '') return NO_FINDINGS;
        const key = `${t.namespace}/${t.resource}/${t.name}`;
        const workloads = inNs(workloadsIn, t.namespace);
        const balancers = inNs(balancersIn, t.namespace);
        if (ctx.verb === 'delete') {
          workloads.delete(key);
          balancers.delete(key);
          trustConfigMaps.delete(`${t.namespace}/${t.name}`);
          return NO_FINDINGS;
        }
        const o = ctx.object as Obj;
        const out: DetectorFinding[] = [];
        if (t.resource === 'configmaps') {
          const data = obj(o.data);
          const trusts = Object.values(data).some((v) => typeof v === 'string' && HBA_TRUST.test(v));
          // A patch without data says nothing about pg_hba.conf: keep what we knew.
          if (Object.keys(data).length === 0 && ctx.verb === 'patch') return NO_FINDINGS;
          if (trusts) trustConfigMaps.set(`${t.namespace}/${t.name}`, true);
          else trustConfigMaps.delete(`${t.namespace}/${t.name}`);
          if (trusts) for (const w of workloads.values()) if (w.configMaps.includes(t.name)) for (const lb of balancers.values()) out.push(...pair(lb, w, t.namespace));
          return out;
        }
        if (t.resource === 'services') {
          const spec = obj(o.spec);
          if (spec.type !== 'LoadBalancer') {
            balancers.delete(key);
            return NO_FINDINGS;
          }
          const ports = (Array.isArray(spec.ports) ? spec.ports.map(obj) : []).map((p) => Number(p.port)).filter((p) => Number.isFinite(p));
          const selector = Object.fromEntries(Object.entries(obj(spec.selector)).filter(([, v]) => typeof v === 'string')) as Record<string, string>;
          // A patch body (logged without the response) may carry only the changed fields: keep the rest.
          const before = balancers.get(key);
          const lb = { ref: t.ref, selector: Object.keys(selector).length > 0 ? selector : (before?.selector ?? {}), ports: ports.length > 0 ? ports : (before?.ports ?? []) };
          balancers.set(key, lb);
          for (const w of workloads.values()) out.push(...pair(lb, w, t.namespace));
          return out;
        }
        if (!WORKLOADS.has(t.resource)) return NO_FINDINGS;
        // The resulting object, not the request: a patch body holds only what changed. When the resulting object is
        // the request (no full response logged), the context's pod spec and containers are the same ones.
        const sameAsContext = o === ctx.requestObject;
        const podSpec = sameAsContext ? (ctx.podSpec as Obj) : podSpecOf(o);
        const containers = sameAsContext ? (ctx.containers as Obj[]) : containersOf(podSpec);
        if (containers.length === 0) return NO_FINDINGS;
        const isPostgres = containers.some((c) => str(c.image).includes('postgres')) || containers.some((c) => (Array.isArray(c.ports) ? c.ports.map(obj) : []).some((p) => POSTGRES_PORTS.has(Number(p.containerPort))));
        if (!isPostgres) {
          workloads.delete(key);
          return NO_FINDINGS;
        }
        const w: TrustWorkload = { ref: `${t.resource} ${t.ref}`, labels: labelsOf(o, t.resource), env: trustEnv(containers), configMaps: mountedConfigMaps(podSpec) };
        workloads.set(key, w);
        for (const lb of balancers.values()) out.push(...pair(lb, w, t.namespace));
        return out;
      },
    };
  },
} satisfies Detector;
