import { flatString } from './text.js';
import type { FieldPath } from './path.js';

/** Standard object metadata, loosely typed: manifests in the wild are not always valid. */
export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  [key: string]: unknown;
}

/** Any Kubernetes object as parsed from YAML/JSON or read from a cluster. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [key: string]: unknown;
}

/** A position inside a source file. 1-based. */
export interface Location {
  file: string;
  line: number;
  column: number;
}

/** Where a resource came from, and how to find the line of any of its fields. */
export interface ResourceSource {
  /** File path as given on the command line, `-` for stdin, or a `cluster://` URI. */
  file: string;
  /** Index of the YAML document inside the file (0-based). */
  documentIndex: number;
  /** Path from the document root to this object (non-empty for items of a `List`). */
  pathPrefix: FieldPath;
  /** Line where the object starts. */
  line: number;
  /**
   * Locates a field. When the field itself does not exist, returns the deepest ancestor that does,
   * so a "missing securityContext" finding points at the container that lacks it.
   */
  locate(path: FieldPath): Location;
}

/** A Kubernetes object plus its provenance. */
export interface Resource {
  /** `Kind/namespace/name`, or `Kind/name` when cluster-scoped or namespace unset. */
  id: string;
  apiVersion: string;
  kind: string;
  name: string;
  /** Namespace as written; undefined when unset. */
  namespace?: string;
  object: K8sObject;
  source: ResourceSource;
}

/** Identity of a resource as printed in reports. */
export interface ResourceRef {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
}

/** Kinds that are cluster-scoped: they never get the `default` namespace. */
export const CLUSTER_SCOPED_KINDS: ReadonlySet<string> = new Set([
  'Namespace', 'Node', 'PersistentVolume', 'ClusterRole', 'ClusterRoleBinding', 'StorageClass',
  'CustomResourceDefinition', 'PriorityClass', 'PodSecurityPolicy', 'ValidatingWebhookConfiguration',
  'MutatingWebhookConfiguration', 'ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding',
  'APIService', 'CSIDriver', 'CSINode', 'IngressClass', 'RuntimeClass', 'VolumeAttachment',
  'CertificateSigningRequest', 'ClusterIssuer',
]);

/** The namespace the API server would use: the written one, else `default` for namespaced kinds. */
export function effectiveNamespace(r: Pick<Resource, 'kind' | 'namespace'>): string | undefined {
  if (CLUSTER_SCOPED_KINDS.has(r.kind)) return undefined;
  return r.namespace ?? 'default';
}

/** Builds the id used across the project (`Kind/namespace/name`). */
export function resourceId(kind: string, name: string, namespace?: string): string {
  // Flat: every resource keeps its id for as long as a scan runs.
  return flatString(namespace ? `${kind}/${namespace}/${name}` : `${kind}/${name}`);
}

/** Ref without provenance, for reports. */
export function toRef(r: Resource): ResourceRef {
  const ref: ResourceRef = { apiVersion: r.apiVersion, kind: r.kind, name: r.name };
  if (r.namespace !== undefined) ref.namespace = r.namespace;
  return ref;
}
