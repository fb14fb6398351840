import { effectiveNamespace, type Resource } from '../model/resource.js';
import { podViewOf, type PodView } from './pod-view.js';

/** A pod-bearing resource with its pod view. */
export interface Workload {
  resource: Resource;
  pod: PodView;
  namespace: string;
  /** Labels the pods get (template labels, or the Pod's own). */
  podLabels: Record<string, string>;
}

/** The whole input, indexed for cross-resource checks. Built once per scan. */
export class Inventory {
  readonly all: readonly Resource[];
  private readonly byKindIndex = new Map<string, Resource[]>();
  private readonly byKey = new Map<string, Resource>();
  private workloadList: Workload[] | undefined;
  private readonly podViews = new Map<Resource, PodView | undefined>();

  constructor(resources: readonly Resource[]) {
    this.all = resources;
    for (const r of resources) {
      let list = this.byKindIndex.get(r.kind);
      if (!list) this.byKindIndex.set(r.kind, (list = []));
      list.push(r);
      this.byKey.set(key(r.kind, effectiveNamespace(r), r.name), r);
    }
  }

  /** All resources of a kind. */
  ofKind(kind: string): readonly Resource[] {
    return this.byKindIndex.get(kind) ?? [];
  }

  /** Resources of a kind in a namespace (effective namespace: unset means `default`). */
  inNamespace(kind: string, namespace: string | undefined): Resource[] {
    return this.ofKind(kind).filter((r) => effectiveNamespace(r) === namespace);
  }

  /** One resource by kind, namespace and name. */
  get(kind: string, namespace: string | undefined, name: string): Resource | undefined {
    return this.byKey.get(key(kind, namespace, name));
  }

  /** Cached pod view of a resource. */
  podView(r: Resource): PodView | undefined {
    if (!this.podViews.has(r)) this.podViews.set(r, podViewOf(r.object));
    return this.podViews.get(r);
  }

  /** Every pod-bearing resource, with its pod view. */
  workloads(): readonly Workload[] {
    if (!this.workloadList) {
      this.workloadList = [];
      for (const r of this.all) {
        const pod = this.podView(r);
        if (!pod) continue;
        const labels = (pod.metadata.labels ?? {}) as Record<string, string>;
        this.workloadList.push({ resource: r, pod, namespace: effectiveNamespace(r) ?? 'default', podLabels: labels });
      }
    }
    return this.workloadList;
  }

  /**
   * True when the resource is managed by a controller that is also in the input (a ReplicaSet owned by
   * a Deployment, a Pod owned by a ReplicaSet): pod checks then report once, on the owner.
   */
  hasOwnerInInput(r: Resource): boolean {
    const refs = r.object.metadata.ownerReferences;
    if (!Array.isArray(refs)) return false;
    return refs.some((o: { kind?: string; name?: string; controller?: boolean }) =>
      o && o.controller !== false && typeof o.kind === 'string' && typeof o.name === 'string' && this.get(o.kind, effectiveNamespace(r), o.name) !== undefined,
    );
  }
}

function key(kind: string, ns: string | undefined, name: string): string {
  return `${kind}\u0000${ns ?? ''}\u0000${name}`;
}

/** Label selector matching (matchLabels + matchExpressions), as the API server does it. */
export function selectorMatches(selector: unknown, labels: Record<string, string>): boolean {
  if (selector === null || typeof selector !== 'object') return false;
  const sel = selector as { matchLabels?: Record<string, string>; matchExpressions?: Array<{ key?: string; operator?: string; values?: string[] }> };
  if (sel.matchLabels && typeof sel.matchLabels === 'object') {
    for (const [k, v] of Object.entries(sel.matchLabels)) if (labels[k] !== String(v)) return false;
  }
  if (Array.isArray(sel.matchExpressions)) {
    for (const e of sel.matchExpressions) {
      if (!e || typeof e.key !== 'string') return false;
      const has = Object.prototype.hasOwnProperty.call(labels, e.key);
      const vals = Array.isArray(e.values) ? e.values.map(String) : [];
      switch (e.operator) {
        case 'In': if (!has || !vals.includes(labels[e.key]!)) return false; break;
        case 'NotIn': if (has && vals.includes(labels[e.key]!)) return false; break;
        case 'Exists': if (!has) return false; break;
        case 'DoesNotExist': if (has) return false; break;
        default: return false;
      }
    }
  }
  return true;
}

/** Equality-only selectors (Service.spec.selector): empty or absent selects nothing here. */
export function mapSelectorMatches(selector: unknown, labels: Record<string, string>): boolean {
  if (selector === null || typeof selector !== 'object') return false;
  const entries = Object.entries(selector as Record<string, unknown>);
  if (entries.length === 0) return false;
  return entries.every(([k, v]) => labels[k] === String(v));
}
