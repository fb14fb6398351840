import type { FieldPath, Segment } from '../model/path.js';
import type { K8sObject, ObjectMeta } from '../model/resource.js';

/** Where the pod spec sits in each pod-bearing kind. */
const POD_SPEC_PATHS: Record<string, { spec: FieldPath; meta: FieldPath }> = {
  Pod: { spec: ['spec'], meta: ['metadata'] },
  PodTemplate: { spec: ['template', 'spec'], meta: ['template', 'metadata'] },
  Deployment: { spec: ['spec', 'template', 'spec'], meta: ['spec', 'template', 'metadata'] },
  StatefulSet: { spec: ['spec', 'template', 'spec'], meta: ['spec', 'template', 'metadata'] },
  DaemonSet: { spec: ['spec', 'template', 'spec'], meta: ['spec', 'template', 'metadata'] },
  ReplicaSet: { spec: ['spec', 'template', 'spec'], meta: ['spec', 'template', 'metadata'] },
  ReplicationController: { spec: ['spec', 'template', 'spec'], meta: ['spec', 'template', 'metadata'] },
  Job: { spec: ['spec', 'template', 'spec'], meta: ['spec', 'template', 'metadata'] },
  CronJob: { spec: ['spec', 'jobTemplate', 'spec', 'template', 'spec'], meta: ['spec', 'jobTemplate', 'spec', 'template', 'metadata'] },
  // OpenShift's apps.openshift.io/v1 DeploymentConfig carries a pod template like a Deployment.
  DeploymentConfig: { spec: ['spec', 'template', 'spec'], meta: ['spec', 'template', 'metadata'] },
};

/** Every kind that carries a pod template. */
export const POD_KINDS: readonly string[] = Object.keys(POD_SPEC_PATHS);

/** Kinds whose pods are long-running services (not run-to-completion). */
export const SERVICE_WORKLOAD_KINDS: readonly string[] = ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'ReplicationController'];

export type ContainerType = 'container' | 'initContainer' | 'ephemeralContainer';

/** Loose shape of the pod spec fields checks read. Real manifests may hold anything, so every field is optional. */
export interface PodSpec {
  containers?: Container[];
  initContainers?: Container[];
  ephemeralContainers?: Container[];
  securityContext?: PodSecurityContext;
  hostNetwork?: boolean;
  hostPID?: boolean;
  hostIPC?: boolean;
  hostUsers?: boolean;
  volumes?: Volume[];
  serviceAccountName?: string;
  serviceAccount?: string;
  automountServiceAccountToken?: boolean;
  [k: string]: unknown;
}

export interface SecurityContext {
  privileged?: boolean;
  allowPrivilegeEscalation?: boolean;
  readOnlyRootFilesystem?: boolean;
  runAsNonRoot?: boolean;
  runAsUser?: number;
  runAsGroup?: number;
  procMount?: string;
  capabilities?: { add?: string[]; drop?: string[] };
  seccompProfile?: { type?: string; localhostProfile?: string };
  appArmorProfile?: { type?: string; localhostProfile?: string };
  seLinuxOptions?: { type?: string; user?: string; role?: string; level?: string };
  windowsOptions?: { hostProcess?: boolean; [k: string]: unknown };
  [k: string]: unknown;
}

export interface PodSecurityContext extends SecurityContext {
  fsGroup?: number;
  supplementalGroups?: number[];
  sysctls?: Array<{ name?: string; value?: string }>;
}

export interface Container {
  name?: string;
  image?: string;
  imagePullPolicy?: string;
  securityContext?: SecurityContext;
  resources?: { limits?: Record<string, unknown>; requests?: Record<string, unknown> };
  ports?: Array<{ containerPort?: number; hostPort?: number; hostIP?: string; protocol?: string; name?: string }>;
  env?: Array<{ name?: string; value?: unknown; valueFrom?: Record<string, unknown> }>;
  envFrom?: Array<Record<string, unknown>>;
  livenessProbe?: Record<string, unknown>;
  readinessProbe?: Record<string, unknown>;
  startupProbe?: Record<string, unknown>;
  volumeMounts?: Array<{ name?: string; mountPath?: string; readOnly?: boolean; subPath?: string }>;
  command?: unknown[];
  args?: unknown[];
  [k: string]: unknown;
}

export interface Volume {
  name?: string;
  hostPath?: { path?: string; type?: string };
  [k: string]: unknown;
}

/** One container with the path to it and its kind of slot. */
export interface ContainerView {
  name: string;
  type: ContainerType;
  container: Container;
  path: FieldPath;
}

/** A normalised view of the pod inside any pod-bearing resource. Written once, used by every pod check. */
export interface PodView {
  spec: PodSpec;
  specPath: FieldPath;
  /** Pod (template) metadata: annotations such as AppArmor profiles live here. */
  metadata: ObjectMeta;
  metadataPath: FieldPath;
  /** Containers, init containers and ephemeral containers, in that order. */
  allContainers: ContainerView[];
  /** Regular containers only (the ones that serve traffic; probes and resources apply to them). */
  containers: ContainerView[];
}

function getPath(obj: unknown, path: FieldPath): unknown {
  let cur = obj;
  for (const s of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[s];
  }
  return cur;
}

const SLOTS: Array<[ContainerType, 'containers' | 'initContainers' | 'ephemeralContainers']> = [
  ['container', 'containers'],
  ['initContainer', 'initContainers'],
  ['ephemeralContainer', 'ephemeralContainers'],
];

/** Builds the pod view of a resource, or undefined when the kind carries no pod or the spec is absent. */
export function podViewOf(obj: K8sObject): PodView | undefined {
  // Own properties only: `kind: constructor` must not reach Object.prototype.
  if (typeof obj.kind !== 'string' || !Object.hasOwn(POD_SPEC_PATHS, obj.kind)) return undefined;
  const where = POD_SPEC_PATHS[obj.kind]!;
  const spec = getPath(obj, where.spec);
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) return undefined;
  const meta = getPath(obj, where.meta);
  const metadata = (meta !== null && typeof meta === 'object' ? meta : {}) as ObjectMeta;
  const allContainers: ContainerView[] = [];
  const containers: ContainerView[] = [];
  const specPath = where.spec;
  for (let s = 0; s < SLOTS.length; s++) {
    const [type, field] = SLOTS[s]!;
    const list = (spec as PodSpec)[field];
    if (!Array.isArray(list)) continue;
    for (let i = 0; i < list.length; i++) {
      const c = list[i] as Container | null;
      if (c === null || typeof c !== 'object') continue;
      const path: Segment[] = specPath.slice();
      path.push(field, i);
      const view: ContainerView = { name: typeof c.name === 'string' ? c.name : `#${i}`, type, container: c, path };
      allContainers.push(view);
      if (type === 'container') containers.push(view);
    }
  }
  return { spec: spec as PodSpec, specPath: where.spec, metadata, metadataPath: where.meta, allContainers, containers };
}
