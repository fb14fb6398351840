/**
 * Helpers shared by the network-exposure and cross-resource checks (PAL-080..099): label selector
 * semantics per kind, NetworkPolicy policy types, PodDisruptionBudget and HorizontalPodAutoscaler
 * resolution, int-or-percent values. Everything here judges only what is in the input and tolerates
 * malformed manifests (wrong types read as "unset", never throw).
 */
import { effectiveNamespace, type Resource } from '../../../model/resource.js';
import { mapSelectorMatches, selectorMatches, type Inventory, type Workload } from '../../inventory.js';
import { POD_KINDS } from '../../pod-view.js';

/** A plain mapping (not null, not an array). */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** The value as a record, or an empty one. */
export function rec(v: unknown): Record<string, unknown> {
  return isRecord(v) ? v : {};
}

/** The value as an array, or an empty one. */
export function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

/** A non-empty string, or undefined. */
export function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** An integer, or undefined (YAML `"3"` is not a number for the API server either). */
export function int(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isInteger(v) ? v : undefined;
}

/** `spec` of a resource as a record. */
export function specOf(r: Resource): Record<string, unknown> {
  return rec(r.object.spec);
}

/** Namespace the API server would use (`default` when unset). */
export function nsOf(r: Resource): string {
  return effectiveNamespace(r) ?? 'default';
}

/** Pod-bearing kinds that actually create pods (a PodTemplate is only a template). */
export const POD_CREATING_KINDS: readonly string[] = POD_KINDS.filter((k) => k !== 'PodTemplate');

/** Kinds an HPA can scale that the checks know. */
export const SCALABLE_KINDS: readonly string[] = ['Deployment', 'StatefulSet', 'ReplicaSet', 'ReplicationController'];

/**
 * Labels as the API server would hold them: a string map. Scalars written unquoted in YAML
 * (`version: 2`) are compared as their string form; anything else is dropped.
 */
export function labelsOf(v: unknown): Readonly<Record<string, string>> {
  if (!isRecord(v)) return NO_LABELS;
  // Cross-resource checks read the labels of every workload of a namespace for each resource they judge.
  let out = stringLabels.get(v);
  if (!out) {
    out = {};
    for (const k in v) {
      if (!Object.hasOwn(v, k)) continue;
      const val = v[k];
      if (typeof val === 'string' || typeof val === 'number' || typeof val === 'boolean') out[k] = String(val);
    }
    stringLabels.set(v, out);
  }
  return out;
}

const NO_LABELS: Readonly<Record<string, string>> = Object.freeze({});
const stringLabels = new WeakMap<object, Record<string, string>>();

/** Workloads in the input that create pods in a namespace. */
export function podWorkloadsIn(inventory: Inventory, namespace: string): Workload[] {
  return inventory.workloadsIn(namespace).filter((w) => w.namespace === namespace && POD_CREATING_KINDS.includes(w.resource.kind));
}

/**
 * The pod labels (as {@link labelsOf} reads them) of the workloads {@link podWorkloadsIn} lists, in the
 * same order, listed once per namespace and scan: the checks that ask whether anything matches a
 * selector ask it for every Service or NetworkPolicy of the namespace.
 */
export function podLabelsIn(inventory: Inventory, namespace: string): ReadonlyArray<Readonly<Record<string, string>>> {
  const byNamespace = inventory.derive('cross-resource.podLabelsIn', () => new Map<string, Array<Readonly<Record<string, string>>>>());
  let list = byNamespace.get(namespace);
  if (!list) byNamespace.set(namespace, (list = podWorkloadsIn(inventory, namespace).map((w) => labelsOf(w.podLabels))));
  return list;
}

/**
 * True when some workload of the namespace creates pods that an equality-only selector (a Service's)
 * selects, as `podLabelsIn(...).some((l) => mapSelectorMatches(selector, l))` answers. Only the workloads
 * carrying the selector's first label are compared, through an index built once per namespace and scan.
 */
export function somePodMatchesMap(inventory: Inventory, namespace: string, selector: Record<string, unknown>): boolean {
  let first: string | undefined;
  for (const k in selector) {
    if (Object.hasOwn(selector, k)) {
      first = k;
      break;
    }
  }
  // An empty selector matches nothing (see mapSelectorMatches).
  if (first === undefined) return false;
  const byNamespace = inventory.derive('cross-resource.podsByLabel', () => new Map<string, Map<string, Array<Readonly<Record<string, string>>>>>());
  let index = byNamespace.get(namespace);
  if (!index) {
    index = new Map();
    for (const labels of podLabelsIn(inventory, namespace)) {
      for (const k in labels) {
        const key = `${k}\u0000${labels[k]!}`;
        let list = index.get(key);
        if (!list) index.set(key, (list = []));
        list.push(labels);
      }
    }
    byNamespace.set(namespace, index);
  }
  const candidates = index.get(`${first}\u0000${String(selector[first])}`);
  return candidates !== undefined && candidates.some((labels) => mapSelectorMatches(selector, labels));
}

/** `Deployment "web"`, for messages. */
export function describeResource(r: Resource): string {
  return `${r.kind} "${r.name}"`;
}

/** `app=web,tier=front`, or `<no labels>`. */
export function describeLabels(labels: Record<string, string>): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}=${v}`);
  return parts.length > 0 ? parts.join(',') : '<no labels>';
}

/** A label selector (matchLabels + matchExpressions) in kubectl's notation: `app=web,tier in (a,b)`. */
export function describeSelector(selector: unknown): string {
  const sel = rec(selector);
  const parts = Object.entries(rec(sel.matchLabels)).map(([k, v]) => `${k}=${String(v)}`);
  for (const e of arr(sel.matchExpressions)) {
    const x = rec(e);
    const key = String(x.key ?? '?');
    const vals = arr(x.values).map(String).join(',');
    switch (x.operator) {
      case 'In': parts.push(`${key} in (${vals})`); break;
      case 'NotIn': parts.push(`${key} notin (${vals})`); break;
      case 'Exists': parts.push(key); break;
      case 'DoesNotExist': parts.push(`!${key}`); break;
      default: parts.push(`${key} ${String(x.operator ?? '?')} (${vals})`);
    }
  }
  return parts.length > 0 ? parts.join(',') : '<everything>';
}

/** True when a label selector has no requirement at all (it then selects every pod of the namespace). */
export function isEmptySelector(selector: unknown): boolean {
  const sel = rec(selector);
  return Object.keys(rec(sel.matchLabels)).length === 0 && arr(sel.matchExpressions).length === 0;
}

/**
 * The pod selector of a NetworkPolicy. An absent podSelector decodes to the empty selector, which
 * selects every pod of the namespace; a non-object (or a policy without spec) selects nothing.
 */
export function networkPolicySelector(np: Resource): Record<string, unknown> | undefined {
  // Without a spec the object is not a valid policy: it isolates nothing.
  if (!isRecord(np.object.spec)) return undefined;
  const spec = specOf(np);
  if (spec.podSelector === undefined || spec.podSelector === null) return {};
  return isRecord(spec.podSelector) ? spec.podSelector : undefined;
}

/** Directions a NetworkPolicy isolates. */
export interface PolicyDirections {
  ingress: boolean;
  egress: boolean;
}

/**
 * The directions a NetworkPolicy applies to, with the API server's defaulting: without policyTypes,
 * every policy affects Ingress, and Egress only when it has an egress section.
 */
export function policyDirections(np: Resource): PolicyDirections {
  const spec = specOf(np);
  const types = arr(spec.policyTypes).filter((t): t is string => typeof t === 'string');
  if (types.length === 0) return { ingress: true, egress: arr(spec.egress).length > 0 };
  const lower = types.map((t) => t.toLowerCase());
  return { ingress: lower.includes('ingress'), egress: lower.includes('egress') };
}

/** NetworkPolicies of a namespace that select pods with these labels. */
export function networkPoliciesSelecting(inventory: Inventory, namespace: string, labels: Record<string, string>): Resource[] {
  return inventory.inNamespace('NetworkPolicy', namespace).filter((np) => {
    const sel = networkPolicySelector(np);
    return sel !== undefined && selectorMatches(sel, labels);
  });
}

/**
 * The selector of a PodDisruptionBudget, or undefined when it selects nothing. In policy/v1 an empty
 * selector selects every pod of the namespace; in policy/v1beta1 it selects none; a null one never selects.
 */
export function pdbSelector(pdb: Resource): Record<string, unknown> | undefined {
  const sel = specOf(pdb).selector;
  if (!isRecord(sel)) return undefined;
  if (isEmptySelector(sel) && pdb.apiVersion === 'policy/v1beta1') return undefined;
  return sel;
}

/** True when the PDB selects pods with these labels. */
export function pdbSelects(pdb: Resource, labels: Record<string, string>): boolean {
  const sel = pdbSelector(pdb);
  return sel !== undefined && selectorMatches(sel, labels);
}

/** PodDisruptionBudgets of a namespace that select pods with these labels. */
export function pdbsSelecting(inventory: Inventory, namespace: string, labels: Record<string, string>): Resource[] {
  return inventory.inNamespace('PodDisruptionBudget', namespace).filter((p) => pdbSelects(p, labels));
}

/** An IntOrString value: an absolute count or a percentage. */
export type IntOrPercent = { kind: 'int'; value: number } | { kind: 'percent'; value: number };

/**
 * Parses an IntOrString the way the API server does for PDBs and rollouts: an integer, or a string of
 * digits ending in `%`. Anything else (including `"5"`) is invalid and yields undefined.
 */
export function parseIntOrPercent(v: unknown): IntOrPercent | undefined {
  if (typeof v === 'number') return Number.isInteger(v) && v >= 0 ? { kind: 'int', value: v } : undefined;
  if (typeof v === 'string') {
    const m = /^(\d+)%$/.exec(v.trim());
    if (m) return { kind: 'percent', value: Number(m[1]) };
  }
  return undefined;
}

/** Absolute value of an IntOrPercent against a pod count, rounding percentages up (as PDB minAvailable does). */
export function scaleUp(v: IntOrPercent, total: number): number {
  return v.kind === 'int' ? v.value : Math.ceil((v.value * total) / 100);
}

/** `5`, `"50%"`: the written form, for messages. */
export function showIntOrPercent(v: IntOrPercent): string {
  return v.kind === 'int' ? String(v.value) : `"${v.value}%"`;
}

/** API group of an apiVersion (`apps/v1` -> `apps`, `v1` -> ``). */
export function apiGroup(apiVersion: string): string {
  const i = apiVersion.indexOf('/');
  return i === -1 ? '' : apiVersion.slice(0, i);
}

/** The scaleTargetRef of an HPA, when it names a kind and a name. */
export function hpaTarget(hpa: Resource): { kind: string; name: string; apiVersion?: string } | undefined {
  const ref = rec(specOf(hpa).scaleTargetRef);
  const kind = str(ref.kind);
  const name = str(ref.name);
  if (!kind || !name) return undefined;
  return { kind, name, apiVersion: str(ref.apiVersion) };
}

/** True when the HPA's scaleTargetRef names this resource (same namespace, kind, name and API group). */
export function hpaTargets(hpa: Resource, r: Resource): boolean {
  const t = hpaTarget(hpa);
  if (!t || t.kind !== r.kind || t.name !== r.name || nsOf(hpa) !== nsOf(r)) return false;
  return t.apiVersion === undefined || apiGroup(t.apiVersion) === apiGroup(r.apiVersion);
}

/** HPAs in the input that scale this resource. */
export function hpasTargeting(inventory: Inventory, r: Resource): Resource[] {
  return inventory.inNamespace('HorizontalPodAutoscaler', nsOf(r)).filter((h) => hpaTargets(h, r));
}

/** spec.minReplicas of an HPA with the API default (1); undefined when malformed. */
export function hpaMinReplicas(hpa: Resource): number | undefined {
  const v = specOf(hpa).minReplicas;
  if (v === undefined || v === null) return 1;
  return int(v);
}

/** spec.replicas when written as an integer. */
export function explicitReplicas(r: Resource): number | undefined {
  return int(specOf(r).replicas);
}

/** spec.type of a Service with the API default. */
export function serviceType(svc: Resource): string {
  return str(specOf(svc).type) ?? 'ClusterIP';
}
