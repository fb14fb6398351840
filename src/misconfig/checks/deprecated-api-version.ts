import { setField, show, type Check } from '../check.js';

/** A deprecated group/version of one kind. */
interface Deprecation {
  /** The version to use instead; undefined when the API has no successor. */
  replacement?: string;
  /** Kubernetes minor release (1.x) that deprecated it. */
  deprecated: number;
  /** Release that stopped serving it. */
  removed: number;
  /** True when switching only `apiVersion` yields a valid manifest with the same meaning. */
  swap: boolean;
  /** The swap also needs `spec.selector` to be written (older versions defaulted it). */
  needsSelector?: boolean;
  note?: string;
}

const APPS = { replacement: 'apps/v1', deprecated: 9, removed: 16, swap: true, needsSelector: true };
const RBAC = { replacement: 'rbac.authorization.k8s.io/v1', deprecated: 17, removed: 22, swap: true };

/**
 * Deprecated and removed API versions, from the Kubernetes deprecation guide. Deprecation releases follow
 * kube-score where it lists the API (it uses the release the stable version appeared in).
 */
const TABLE: Record<string, Record<string, Deprecation>> = {
  'extensions/v1beta1': {
    Deployment: APPS, DaemonSet: APPS, ReplicaSet: APPS,
    NetworkPolicy: { replacement: 'networking.k8s.io/v1', deprecated: 8, removed: 16, swap: true },
    PodSecurityPolicy: { replacement: 'policy/v1beta1', deprecated: 10, removed: 16, swap: false, note: 'PodSecurityPolicy itself was removed in 1.25; use Pod Security Admission' },
    Ingress: { replacement: 'networking.k8s.io/v1', deprecated: 14, removed: 22, swap: false, note: 'the backend fields changed shape' },
  },
  'apps/v1beta1': { Deployment: APPS, StatefulSet: APPS, ReplicaSet: APPS, ControllerRevision: { ...APPS, needsSelector: false } },
  'apps/v1beta2': { Deployment: APPS, StatefulSet: APPS, DaemonSet: APPS, ReplicaSet: APPS, ControllerRevision: { ...APPS, needsSelector: false } },
  'batch/v2alpha1': { CronJob: { replacement: 'batch/v1', deprecated: 8, removed: 21, swap: true } },
  'batch/v1beta1': { CronJob: { replacement: 'batch/v1', deprecated: 21, removed: 25, swap: true } },
  'policy/v1beta1': {
    PodDisruptionBudget: { replacement: 'policy/v1', deprecated: 21, removed: 25, swap: true, note: 'in policy/v1 an empty selector selects every pod of the namespace' },
    PodSecurityPolicy: { deprecated: 21, removed: 25, swap: false, note: 'there is no successor; use Pod Security Admission' },
  },
  'networking.k8s.io/v1beta1': {
    Ingress: { replacement: 'networking.k8s.io/v1', deprecated: 19, removed: 22, swap: false, note: 'the backend fields and pathType changed' },
    IngressClass: { replacement: 'networking.k8s.io/v1', deprecated: 19, removed: 22, swap: true },
  },
  'autoscaling/v2beta1': { HorizontalPodAutoscaler: { replacement: 'autoscaling/v2', deprecated: 22, removed: 25, swap: false, note: 'the metrics fields changed shape' } },
  'autoscaling/v2beta2': { HorizontalPodAutoscaler: { replacement: 'autoscaling/v2', deprecated: 23, removed: 26, swap: true } },
  'rbac.authorization.k8s.io/v1beta1': { Role: RBAC, ClusterRole: RBAC, RoleBinding: RBAC, ClusterRoleBinding: RBAC },
  'rbac.authorization.k8s.io/v1alpha1': { Role: RBAC, ClusterRole: RBAC, RoleBinding: RBAC, ClusterRoleBinding: RBAC },
  'admissionregistration.k8s.io/v1beta1': {
    MutatingWebhookConfiguration: { replacement: 'admissionregistration.k8s.io/v1', deprecated: 16, removed: 22, swap: false, note: 'v1 requires sideEffects and admissionReviewVersions' },
    ValidatingWebhookConfiguration: { replacement: 'admissionregistration.k8s.io/v1', deprecated: 16, removed: 22, swap: false, note: 'v1 requires sideEffects and admissionReviewVersions' },
  },
  'apiextensions.k8s.io/v1beta1': { CustomResourceDefinition: { replacement: 'apiextensions.k8s.io/v1', deprecated: 16, removed: 22, swap: false, note: 'v1 requires a structural schema per version' } },
  'apiregistration.k8s.io/v1beta1': { APIService: { replacement: 'apiregistration.k8s.io/v1', deprecated: 19, removed: 22, swap: true } },
  'certificates.k8s.io/v1beta1': { CertificateSigningRequest: { replacement: 'certificates.k8s.io/v1', deprecated: 19, removed: 22, swap: false, note: 'v1 requires signerName' } },
  'coordination.k8s.io/v1beta1': { Lease: { replacement: 'coordination.k8s.io/v1', deprecated: 14, removed: 22, swap: true } },
  'scheduling.k8s.io/v1alpha1': { PriorityClass: { replacement: 'scheduling.k8s.io/v1', deprecated: 14, removed: 22, swap: true } },
  'scheduling.k8s.io/v1beta1': { PriorityClass: { replacement: 'scheduling.k8s.io/v1', deprecated: 14, removed: 22, swap: true } },
  'storage.k8s.io/v1beta1': {
    StorageClass: { replacement: 'storage.k8s.io/v1', deprecated: 19, removed: 22, swap: true },
    VolumeAttachment: { replacement: 'storage.k8s.io/v1', deprecated: 19, removed: 22, swap: true },
    CSIDriver: { replacement: 'storage.k8s.io/v1', deprecated: 19, removed: 22, swap: true },
    CSINode: { replacement: 'storage.k8s.io/v1', deprecated: 19, removed: 22, swap: true },
    CSIStorageCapacity: { replacement: 'storage.k8s.io/v1', deprecated: 24, removed: 27, swap: true },
  },
  'discovery.k8s.io/v1beta1': { EndpointSlice: { replacement: 'discovery.k8s.io/v1', deprecated: 21, removed: 25, swap: false, note: 'topology was replaced by zone and nodeName' } },
  'events.k8s.io/v1beta1': { Event: { replacement: 'events.k8s.io/v1', deprecated: 19, removed: 25, swap: false } },
  'node.k8s.io/v1beta1': { RuntimeClass: { replacement: 'node.k8s.io/v1', deprecated: 20, removed: 25, swap: true } },
  'flowcontrol.apiserver.k8s.io/v1beta1': {
    FlowSchema: { replacement: 'flowcontrol.apiserver.k8s.io/v1', deprecated: 23, removed: 26, swap: false },
    PriorityLevelConfiguration: { replacement: 'flowcontrol.apiserver.k8s.io/v1', deprecated: 23, removed: 26, swap: false },
  },
  'flowcontrol.apiserver.k8s.io/v1beta2': {
    FlowSchema: { replacement: 'flowcontrol.apiserver.k8s.io/v1', deprecated: 26, removed: 29, swap: false },
    PriorityLevelConfiguration: { replacement: 'flowcontrol.apiserver.k8s.io/v1', deprecated: 26, removed: 29, swap: false },
  },
  'flowcontrol.apiserver.k8s.io/v1beta3': {
    FlowSchema: { replacement: 'flowcontrol.apiserver.k8s.io/v1', deprecated: 29, removed: 32, swap: true },
    PriorityLevelConfiguration: { replacement: 'flowcontrol.apiserver.k8s.io/v1', deprecated: 29, removed: 32, swap: true },
  },
};

/** Minor release number of a `1.x` version parameter; Infinity for `latest` or anything unreadable. */
function targetMinor(v: string): number {
  const m = /^v?1\.(\d+)/.exec(v);
  return m ? Number(m[1]) : Number.POSITIVE_INFINITY;
}

export const deprecatedApiVersion = {
  id: 'PAL-048',
  slug: 'deprecated-api-version',
  title: 'Resource uses a deprecated or removed API version',
  description:
    'API versions are deprecated and then removed: a manifest written against a removed version fails to apply ' +
    'on an upgraded cluster, often in the middle of an incident or an upgrade. Which versions count depends on ' +
    '`parameters.kubernetesVersion` (default `latest`: everything deprecated so far).',
  remediation: 'Change `apiVersion` to the stable version named in the finding and adapt any fields that changed shape.',
  severity: 'medium',
  category: 'configuration',
  kinds: ['*'],
  parameters: ['kubernetesVersion'],
  equivalents: {
    kubeScore: ['stable-version'],
  },
  appliesTo: ({ object }) => typeof object.apiVersion === 'string',
  evaluate({ object, params }) {
    // Own properties only: `constructor` or `__proto__` in a manifest must not reach Object.prototype.
    const byKind = Object.hasOwn(TABLE, object.apiVersion) ? TABLE[object.apiVersion] : undefined;
    const d = byKind && Object.hasOwn(byKind, object.kind) ? byKind[object.kind] : undefined;
    if (!d) return [];
    const target = targetMinor(params.kubernetesVersion);
    if (d.deprecated > target) return [];
    const removed = d.removed <= target;
    const state = removed
      ? `was removed in Kubernetes 1.${d.removed} (deprecated since 1.${d.deprecated})`
      : `is deprecated since Kubernetes 1.${d.deprecated} and removed in 1.${d.removed}`;
    const instead = d.replacement ? `; use ${d.replacement}` : '';
    const note = d.note ? ` (${d.note})` : '';
    const selector = (object.spec as { selector?: unknown } | undefined)?.selector;
    const canSwap = d.replacement !== undefined && d.swap && (!d.needsSelector || (selector !== null && typeof selector === 'object'));
    return [{
      path: ['apiVersion'],
      message: `${object.kind} apiVersion ${show(object.apiVersion)} ${state}${instead}${note}`,
      fix: canSwap ? setField(['apiVersion'], d.replacement, `set apiVersion to ${d.replacement}`) : undefined,
    }];
  },
} satisfies Check;
