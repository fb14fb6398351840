import jsYaml from 'js-yaml';
import type { FieldPath } from '../../model/path.js';
import { resourceId, type K8sObject, type Location, type Resource } from '../../model/resource.js';
import { DocumentLocator } from '../manifests/locate.js';
import { apiVersionOf, type ClusterKind } from './kinds.js';

/**
 * The annotation `kubectl apply` writes: a full copy of the object as last applied. On a Secret it holds the
 * secret's values in clear, even in a metadata-only read, so it is always dropped; on other objects it only
 * repeats the object.
 */
export const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/** Node status fields worth keeping (the kubelet version and addresses); the rest changes every few seconds. */
const NODE_STATUS_KEPT = ['nodeInfo', 'addresses'] as const;

/**
 * Turns an object as the API server sends it into what the posture engine reads: `apiVersion` and `kind` set
 * (items of a list carry neither, and metadata-only answers say `PartialObjectMetadata`), and the server's
 * bookkeeping removed (`managedFields`, `resourceVersion`, `selfLink`, the last-applied annotation, and
 * `status`, which describes the present state rather than the configuration; Nodes keep their version and
 * addresses). With `metadataOnly`, only `metadata` is kept, whatever the server sent.
 */
export function normalizeObject(raw: Record<string, unknown>, kind: ClusterKind, metadataOnly: boolean): K8sObject {
  const meta = { ...((raw.metadata ?? {}) as Record<string, unknown>) };
  delete meta.managedFields;
  delete meta.resourceVersion;
  delete meta.selfLink;
  const annotations = meta.annotations as Record<string, string> | undefined;
  if (annotations && LAST_APPLIED in annotations) {
    const rest = { ...annotations };
    delete rest[LAST_APPLIED];
    if (Object.keys(rest).length > 0) meta.annotations = rest;
    else delete meta.annotations;
  }
  const out: K8sObject = { apiVersion: apiVersionOf(kind), kind: kind.kind, metadata: meta };
  if (metadataOnly) return out;
  for (const [k, v] of Object.entries(raw)) {
    if (k === 'apiVersion' || k === 'kind' || k === 'metadata') continue;
    if (k === 'status') {
      if (kind.kind === 'Node' && v && typeof v === 'object') {
        const st = v as Record<string, unknown>;
        const kept = Object.fromEntries(NODE_STATUS_KEPT.filter((f) => st[f] !== undefined).map((f) => [f, st[f]]));
        if (Object.keys(kept).length > 0) out.status = kept;
      }
      continue;
    }
    out[k] = v;
  }
  return out;
}

/** `cluster://<context>/namespaces/<ns>/<resource>/<name>`, or `cluster://<context>/<resource>/<name>` for cluster-scoped kinds. */
export function clusterSource(context: string, kind: ClusterKind, name: string, namespace?: string): string {
  const ctx = encodeURIComponent(context);
  return kind.namespaced && namespace
    ? `cluster://${ctx}/namespaces/${namespace}/${kind.resource}/${name}`
    : `cluster://${ctx}/${kind.resource}/${name}`;
}

/** The YAML Palisade shows for a cluster object (and in which finding lines are counted). */
export function objectYaml(object: K8sObject): string {
  return jsYaml.dump(object, { lineWidth: -1, noRefs: true, sortKeys: false });
}

/**
 * A normalised cluster object as a posture-engine resource. It has no file, so field lines are counted in
 * the object's YAML (as `kubectl get -o yaml` would print it, minus the stripped fields), produced only
 * when a finding asks for a line.
 */
export function toResource(object: K8sObject, kind: ClusterKind, context: string): Resource {
  const name = String(object.metadata.name ?? '');
  const namespace = kind.namespaced ? (object.metadata.namespace as string | undefined) : undefined;
  const file = clusterSource(context, kind, name, namespace);
  let locator: DocumentLocator | undefined;
  return {
    id: resourceId(kind.kind, name, namespace),
    apiVersion: object.apiVersion,
    kind: kind.kind,
    name,
    namespace,
    object,
    source: {
      file,
      documentIndex: 0,
      pathPrefix: [],
      line: 1,
      locate(path: FieldPath): Location {
        locator ??= new DocumentLocator(objectYaml(object));
        const p = locator.locate(path);
        return { file, line: p.line, column: p.column };
      },
    },
  };
}
