/**
 * The Kubernetes resources Palisade reads from a cluster, and the access each one needs. This list is the
 * single source of the connector's listing plan, of the permission preflight, of the ClusterRole it prints
 * and of the permissions table in docs/clusters.md (a test keeps that table in sync).
 */

/** Optional reading a user turns on; `core` is always on. */
export type ClusterFeature = 'core' | 'secrets-metadata' | 'configmap-data' | 'secret-data';

/** One resource the connector lists and watches. */
export interface ClusterKind {
  kind: string;
  /** API group ('' for the core group). */
  group: string;
  version: string;
  /** Plural resource name, as in URLs and RBAC rules. */
  resource: string;
  namespaced: boolean;
  /**
   * The feature that needs this resource. ConfigMaps are listed as metadata only by default (`core`); their
   * data with `configmap-data`. Secrets are read only with `secrets-metadata` (names, types, labels) or
   * `secret-data`: Kubernetes RBAC cannot grant metadata without data, so even a metadata-only read needs a
   * grant that would allow reading values, and the default grant leaves Secrets out.
   */
  feature: ClusterFeature;
  /** When true, only object metadata is requested (PartialObjectMetadata) unless a data feature is on. */
  metadataOnly?: boolean;
  /** Why Palisade reads it (for the permissions table). */
  purpose: string;
}

/** The verbs the connector uses on every resource: `list` (snapshots, pages), `watch` (changes), `get` (re-reading one object). */
export const CLUSTER_VERBS = ['get', 'list', 'watch'] as const;
export type ClusterVerb = (typeof CLUSTER_VERBS)[number];

/** Every resource Palisade reads, in listing order (namespaces first, so exclusions by label apply to the rest). */
export const CLUSTER_KINDS: readonly ClusterKind[] = [
  { kind: 'Namespace', group: '', version: 'v1', resource: 'namespaces', namespaced: false, feature: 'core', purpose: 'namespace labels (Pod Security admission, exclusions)' },
  { kind: 'Node', group: '', version: 'v1', resource: 'nodes', namespaced: false, feature: 'core', purpose: 'node inventory' },
  { kind: 'Pod', group: '', version: 'v1', resource: 'pods', namespaced: true, feature: 'core', purpose: 'pod security checks on running pods' },
  { kind: 'ReplicationController', group: '', version: 'v1', resource: 'replicationcontrollers', namespaced: true, feature: 'core', purpose: 'workload checks' },
  { kind: 'Service', group: '', version: 'v1', resource: 'services', namespaced: true, feature: 'core', purpose: 'exposure checks' },
  { kind: 'ServiceAccount', group: '', version: 'v1', resource: 'serviceaccounts', namespaced: true, feature: 'core', purpose: 'token automounting, RBAC subjects' },
  { kind: 'ConfigMap', group: '', version: 'v1', resource: 'configmaps', namespaced: true, feature: 'core', metadataOnly: true, purpose: 'metadata by default; data (secrets in ConfigMaps) with configmap-data' },
  { kind: 'Secret', group: '', version: 'v1', resource: 'secrets', namespaced: true, feature: 'secrets-metadata', metadataOnly: true, purpose: 'names, types and labels; values only with secret-data' },
  { kind: 'Deployment', group: 'apps', version: 'v1', resource: 'deployments', namespaced: true, feature: 'core', purpose: 'workload checks' },
  { kind: 'ReplicaSet', group: 'apps', version: 'v1', resource: 'replicasets', namespaced: true, feature: 'core', purpose: 'workload checks, owners of pods' },
  { kind: 'StatefulSet', group: 'apps', version: 'v1', resource: 'statefulsets', namespaced: true, feature: 'core', purpose: 'workload checks' },
  { kind: 'DaemonSet', group: 'apps', version: 'v1', resource: 'daemonsets', namespaced: true, feature: 'core', purpose: 'workload checks' },
  { kind: 'Job', group: 'batch', version: 'v1', resource: 'jobs', namespaced: true, feature: 'core', purpose: 'workload checks' },
  { kind: 'CronJob', group: 'batch', version: 'v1', resource: 'cronjobs', namespaced: true, feature: 'core', purpose: 'workload checks' },
  { kind: 'Ingress', group: 'networking.k8s.io', version: 'v1', resource: 'ingresses', namespaced: true, feature: 'core', purpose: 'TLS and exposure checks' },
  { kind: 'NetworkPolicy', group: 'networking.k8s.io', version: 'v1', resource: 'networkpolicies', namespaced: true, feature: 'core', purpose: 'pods selected by no policy' },
  { kind: 'PodDisruptionBudget', group: 'policy', version: 'v1', resource: 'poddisruptionbudgets', namespaced: true, feature: 'core', purpose: 'availability checks' },
  { kind: 'HorizontalPodAutoscaler', group: 'autoscaling', version: 'v2', resource: 'horizontalpodautoscalers', namespaced: true, feature: 'core', purpose: 'availability checks' },
  { kind: 'Role', group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'roles', namespaced: true, feature: 'core', purpose: 'RBAC risk checks' },
  { kind: 'RoleBinding', group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'rolebindings', namespaced: true, feature: 'core', purpose: 'RBAC risk checks' },
  { kind: 'ClusterRole', group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'clusterroles', namespaced: false, feature: 'core', purpose: 'RBAC risk checks' },
  { kind: 'ClusterRoleBinding', group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'clusterrolebindings', namespaced: false, feature: 'core', purpose: 'RBAC risk checks' },
  { kind: 'ValidatingWebhookConfiguration', group: 'admissionregistration.k8s.io', version: 'v1', resource: 'validatingwebhookconfigurations', namespaced: false, feature: 'core', purpose: 'admission control inventory' },
  { kind: 'MutatingWebhookConfiguration', group: 'admissionregistration.k8s.io', version: 'v1', resource: 'mutatingwebhookconfigurations', namespaced: false, feature: 'core', purpose: 'admission control inventory' },
];

/** `apps/v1`, or `v1` for the core group. */
export function apiVersionOf(k: Pick<ClusterKind, 'group' | 'version'>): string {
  return k.group ? `${k.group}/${k.version}` : k.version;
}

/** The data features a feature set implies (`secret-data` implies reading Secrets at all). */
export function kindsFor(features: ReadonlySet<ClusterFeature>): ClusterKind[] {
  return CLUSTER_KINDS.filter((k) => k.feature === 'core' || features.has(k.feature) || (k.kind === 'Secret' && features.has('secret-data')));
}

/** True when the connector asks for this kind's full objects rather than metadata only. */
export function readsData(k: ClusterKind, features: ReadonlySet<ClusterFeature>): boolean {
  if (!k.metadataOnly) return true;
  if (k.kind === 'ConfigMap') return features.has('configmap-data');
  if (k.kind === 'Secret') return features.has('secret-data');
  return false;
}

/** The permissions table of docs/clusters.md (Markdown), generated from {@link CLUSTER_KINDS}. */
export function permissionsTable(): string {
  const feature: Record<ClusterFeature, string> = { core: 'required', 'secrets-metadata': '`--secrets metadata` or `data`', 'configmap-data': '`--configmaps data`', 'secret-data': '`--secrets data`' };
  const rows = CLUSTER_KINDS.map((k) => {
    const read = k.kind === 'ConfigMap' ? 'metadata (data with `--configmaps data`)' : k.kind === 'Secret' ? 'metadata (values with `--secrets data`)' : 'whole object';
    return `| ${k.kind} | \`${k.group || '""'}\` | \`${k.resource}\` | ${k.namespaced ? 'namespaced' : 'cluster'} | ${CLUSTER_VERBS.join(', ')} | ${feature[k.feature]} | ${read} | ${k.purpose} |`;
  });
  return ['| Kind | API group | Resource | Scope | Verbs | When | Read as | Why |', '|---|---|---|---|---|---|---|---|', ...rows].join('\n');
}
