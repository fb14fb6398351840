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
  private workloadsByNamespace: Map<string, Workload[]> | undefined;
  private readonly byNamespaceIndex = new Map<string, Map<string | undefined, Resource[]>>();
  private readonly podViews: Map<Resource, PodView | undefined>;
  private readonly derived = new Map<string, unknown>();

  /** `podViews`: pod views already built for some of the resources (the engine builds them as it goes). */
  constructor(resources: readonly Resource[], podViews?: Map<Resource, PodView | undefined>) {
    this.all = resources;
    this.podViews = podViews ?? new Map();
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

  /** Resources of a kind in a namespace (effective namespace: unset means `default`), in input order. */
  inNamespace(kind: string, namespace: string | undefined): Resource[] {
    // Indexed on first use per kind: cross-resource checks ask once per resource, so a scan of the whole
    // kind per question would make them quadratic.
    let index = this.byNamespaceIndex.get(kind);
    if (!index) {
      index = new Map();
      for (const r of this.ofKind(kind)) {
        const ns = effectiveNamespace(r);
        let list = index.get(ns);
        if (!list) index.set(ns, (list = []));
        list.push(r);
      }
      this.byNamespaceIndex.set(kind, index);
    }
    return index.get(namespace)?.slice() ?? [];
  }

  /** One resource by kind, namespace and name. */
  get(kind: string, namespace: string | undefined, name: string): Resource | undefined {
    return this.byKey.get(key(kind, namespace, name));
  }

  /** Cached pod view of a resource. */
  podView(r: Resource): PodView | undefined {
    let v = this.podViews.get(r);
    if (v === undefined && !this.podViews.has(r)) this.podViews.set(r, (v = podViewOf(r.object)));
    return v;
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

  /** The pod-bearing resources of one namespace (`default` when unset), in input order. */
  workloadsIn(namespace: string): readonly Workload[] {
    if (!this.workloadsByNamespace) {
      this.workloadsByNamespace = new Map();
      for (const w of this.workloads()) {
        let list = this.workloadsByNamespace.get(w.namespace);
        if (!list) this.workloadsByNamespace.set(w.namespace, (list = []));
        list.push(w);
      }
    }
    return this.workloadsByNamespace.get(namespace) ?? [];
  }

  /**
   * A value derived from the whole input, computed once per inventory (per scan) and then shared: for
   * helpers of cross-resource checks that would otherwise recompute it for every resource they judge.
   * `key` names the value; use one key per kind of value.
   */
  derive<T>(key: string, compute: () => T): T {
    if (this.derived.has(key)) return this.derived.get(key) as T;
    const v = compute();
    this.derived.set(key, v);
    return v;
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
  const ml = sel.matchLabels;
  if (ml && typeof ml === 'object') {
    for (const k in ml) if (Object.hasOwn(ml, k) && labels[k] !== String(ml[k])) return false;
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
  const sel = selector as Record<string, unknown>;
  let any = false;
  for (const k in sel) {
    if (!Object.hasOwn(sel, k)) continue;
    if (labels[k] !== String(sel[k])) return false;
    any = true;
  }
  return any;
}
