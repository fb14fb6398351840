/**
 * Facts about workloads that several reliability checks share: whether a Service sends traffic to the
 * pods, whether an autoscaler owns the replica count, whether the pods run to completion.
 */
import type { CheckContext } from '../../check.js';
import { mapSelectorMatches, type Inventory } from '../../inventory.js';
import { effectiveNamespace, type Resource } from '../../../model/resource.js';

/**
 * Which Services select a set of pod labels.
 * - `known: false`: the input holds no Service with a selector at all, so nothing can be said (a single
 *   manifest scanned on its own); checks then behave as if the pods were served.
 * - `known: true` and `services` empty: Services are part of the input and none selects these pods.
 */
export interface ServiceTargeting {
  known: boolean;
  services: string[];
}

/** Services (same namespace, equality selector, not ExternalName) that select `labels`. */
export function servicesSelecting(inventory: Inventory, namespace: string, labels: Record<string, string>): ServiceTargeting {
  // Whether any Service of the input selects pods is the same for every question: computed once per scan.
  const known = inventory.derive('servicesSelecting.known', () => inventory.ofKind('Service').some((s) => podSelectorOf(s) !== undefined));
  const services: string[] = [];
  for (const s of podServicesIn(inventory, namespace)) if (mapSelectorMatches(s.selector, labels)) services.push(s.name);
  return { known, services };
}

/**
 * The Services of a namespace that send traffic to pods, with their selectors, in input order: listed
 * once per namespace and scan rather than once per workload asked about.
 */
function podServicesIn(inventory: Inventory, namespace: string): ReadonlyArray<{ name: string; selector: object }> {
  const byNamespace = inventory.derive('workloads.podServicesIn', () => new Map<string, Array<{ name: string; selector: object }>>());
  let list = byNamespace.get(namespace);
  if (!list) {
    list = [];
    for (const s of inventory.inNamespace('Service', namespace)) {
      const selector = podSelectorOf(s);
      if (selector !== undefined) list.push({ name: s.name, selector });
    }
    byNamespace.set(namespace, list);
  }
  return list;
}

/** The selector of a Service that sends traffic to pods (not ExternalName, non-empty selector). */
function podSelectorOf(s: Resource): object | undefined {
  const spec = s.object.spec as { selector?: unknown; type?: unknown } | undefined;
  if (!spec || spec.type === 'ExternalName') return undefined;
  const sel = spec.selector;
  if (sel === null || typeof sel !== 'object' || Object.keys(sel).length === 0) return undefined;
  return sel;
}

/** Labels of the pods a resource creates (template labels, or a Pod's own), keeping string values only. */
export function podLabelsOf(ctx: CheckContext): Readonly<Record<string, string>> {
  const raw = ctx.pod?.metadata.labels as unknown;
  if (!raw || typeof raw !== 'object') return {};
  // Several checks ask for the same pod's labels.
  let out = podLabels.get(raw);
  if (!out) {
    out = {};
    for (const k in raw) {
      if (!Object.hasOwn(raw, k)) continue;
      const v = (raw as Record<string, unknown>)[k];
      if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out[k] = String(v);
    }
    podLabels.set(raw, out);
  }
  return out;
}

const podLabels = new WeakMap<object, Record<string, string>>();

/** Service targeting for the pods of the resource under check. */
export function targetingOf(ctx: CheckContext): Readonly<ServiceTargeting> {
  // Several reliability checks ask about the same workload: answer once per resource and scan.
  const known = ctx.inventory.derive('workloads.targetingOf', () => new Map<Resource, ServiceTargeting>());
  let t = known.get(ctx.resource);
  if (!t) known.set(ctx.resource, (t = servicesSelecting(ctx.inventory, effectiveNamespace(ctx.resource) ?? 'default', podLabelsOf(ctx))));
  return t;
}

/** `Service "web"` / `Services "web", "web-internal"`, for messages. */
export function describeServices(names: readonly string[]): string {
  return `${names.length === 1 ? 'Service' : 'Services'} ${names.map((n) => JSON.stringify(n)).join(', ')}`;
}

/** The HorizontalPodAutoscaler in the input that scales this resource, if any. */
export function autoscalerOf(inventory: Inventory, r: Resource): Resource | undefined {
  const ns = effectiveNamespace(r);
  return inventory.inNamespace('HorizontalPodAutoscaler', ns).find((h) => {
    if (effectiveNamespace(h) !== ns) return false;
    const ref = (h.object.spec as { scaleTargetRef?: { kind?: unknown; name?: unknown } } | undefined)?.scaleTargetRef;
    return !!ref && ref.kind === r.kind && ref.name === r.name;
  });
}

/**
 * True for pods that run to completion: Jobs, CronJobs, Pods created by a Job, and bare Pods whose
 * restartPolicy is Never or OnFailure. Probes, replica counts and spreading mean little for them.
 */
export function runsToCompletion(ctx: CheckContext): boolean {
  const kind = ctx.resource.kind;
  if (kind === 'Job' || kind === 'CronJob') return true;
  if (kind !== 'Pod') return false;
  const refs = ctx.object.metadata.ownerReferences;
  if (Array.isArray(refs) && refs.some((o: { kind?: unknown }) => o && (o.kind === 'Job' || o.kind === 'CronJob'))) return true;
  const policy = ctx.pod?.spec.restartPolicy;
  return policy === 'Never' || policy === 'OnFailure';
}

/** Kinds whose pods are expected to keep running and serve. */
export const LONG_RUNNING_KINDS: readonly string[] = ['Pod', 'Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'ReplicationController'];

/** Pod-bearing and long-running (see {@link runsToCompletion}). */
export function isLongRunning(ctx: CheckContext): boolean {
  return ctx.pod !== undefined && LONG_RUNNING_KINDS.includes(ctx.resource.kind) && !runsToCompletion(ctx);
}

/**
 * `spec.replicas` of a controller: the number when it is a non-negative integer, `undefined` when unset
 * (Kubernetes then runs one, unless an autoscaler sets it), `NaN` when it has the wrong type.
 */
export function replicasOf(ctx: CheckContext): number | undefined {
  const spec = ctx.object.spec as { replicas?: unknown } | undefined;
  const r = spec?.replicas;
  if (r === undefined || r === null) return undefined;
  return typeof r === 'number' && Number.isInteger(r) && r >= 0 ? r : Number.NaN;
}
