import type { AuditEvent } from '../model/audit.js';

/**
 * The variables a rule condition and an output template see. The raw event fields keep their audit.k8s.io
 * names (verb, objectRef, user, requestObject...) with absent objects and strings defaulted ({} and ""), so a
 * condition reads `objectRef.subresource == "exec"` without guarding every field. A few derived views save every
 * rule from re-deriving them:
 * - `target`: objectRef with the name filled from the response or request object (creates have no name yet),
 *   and `target.ref`, `namespace/name` or just `name` for cluster-scoped objects;
 * - `object`: the resulting object (the response when it is a full object, else the request);
 * - `podSpec` and `containers`: the pod spec of a Pod, a workload template or a CronJob, and all its containers
 *   (init and ephemeral included) with `containerType` and `imageRepository`; `images` lists their images;
 * - `decision`: the authorization decision annotation; `uriParams`: the query parameters of requestURI.
 * The normalised objects (objectRef, user, responseStatus) carry the API's own fields only; anything else the
 * event holds stays readable through `event` (the raw event).
 */
export const CONTEXT_VARIABLES = {
  verb: 'string',
  stage: 'string',
  level: 'string',
  auditID: 'string',
  requestURI: 'string',
  userAgent: 'string',
  decision: 'string',
  objectRef: 'map',
  target: 'map',
  user: 'map',
  impersonatedUser: 'map',
  sourceIPs: 'list',
  requestObject: 'map',
  responseObject: 'map',
  object: 'map',
  responseStatus: 'map',
  annotations: 'map',
  podSpec: 'map',
  containers: 'list',
  images: 'list',
  uriParams: 'map',
  event: 'map',
} as const;
export type ContextVariable = keyof typeof CONTEXT_VARIABLES;

type Obj = Record<string, unknown>;

function obj(v: unknown): Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : {};
}
function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}
function strList(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/** `registry:5000/team/app:1.2@sha256:...` -> `registry:5000/team/app` (tag and digest removed, nothing added). */
export function imageRepository(image: string): string {
  let s = image;
  const at = s.indexOf('@');
  if (at !== -1) s = s.slice(0, at);
  const slash = s.lastIndexOf('/');
  const colon = s.lastIndexOf(':');
  if (colon > slash) s = s.slice(0, colon);
  return s;
}

/** The pod spec a request or response object carries: Pod, pod templates of workloads, CronJob job templates, ephemeral-container updates. */
export function podSpecOf(o: Obj): Obj {
  const kind = str(o.kind);
  const spec = obj(o.spec);
  if (kind === 'Pod' || (kind === '' && Array.isArray(spec.containers))) return spec;
  // Old API servers sent an EphemeralContainers object for the ephemeralcontainers subresource.
  if (kind === 'EphemeralContainers') return { ephemeralContainers: o.ephemeralContainers };
  const template = obj(spec.template);
  if (Object.keys(template).length > 0) return obj(template.spec);
  const jobTemplate = obj(spec.jobTemplate);
  if (Object.keys(jobTemplate).length > 0) return obj(obj(obj(jobTemplate.spec).template).spec);
  return {};
}

const CONTAINER_LISTS = [
  ['containers', 'container'],
  ['initContainers', 'initContainer'],
  ['ephemeralContainers', 'ephemeralContainer'],
] as const;

/** All containers of a pod spec (containers, init, ephemeral), with `containerType` and `imageRepository`. */
export function containersOf(spec: Obj): Obj[] {
  const out: Obj[] = [];
  for (const [key, type] of CONTAINER_LISTS) {
    const list = spec[key];
    if (!Array.isArray(list)) continue;
    for (const c of list) {
      const co = obj(c);
      const image = str(co.image);
      out.push({ ...co, name: str(co.name), image, imageRepository: imageRepository(image), securityContext: obj(co.securityContext), containerType: type });
    }
  }
  return out;
}

/** A full object carries metadata and is not a Status (what delete and connect calls answer). */
function isFullObject(o: Obj): boolean {
  return Object.keys(obj(o.metadata)).length > 0 && o.kind !== 'Status';
}

function queryParams(uri: string): Obj {
  const q = uri.indexOf('?');
  if (q === -1) return {};
  const out: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(uri.slice(q + 1))) out[k] = out[k] === undefined ? v : `${out[k]} ${v}`;
  return out;
}

/** Builds the evaluation context of one event. */
export function buildContext(e: AuditEvent): Record<ContextVariable, unknown> {
  const objectRef = obj(e.objectRef);
  const requestObject = obj(e.requestObject);
  const responseObject = obj(e.responseObject);
  const ref = {
    resource: str(objectRef.resource),
    subresource: str(objectRef.subresource),
    namespace: str(objectRef.namespace),
    name: str(objectRef.name),
    apiGroup: str(objectRef.apiGroup),
    apiVersion: str(objectRef.apiVersion),
  };
  const respMeta = isFullObject(responseObject) ? obj(responseObject.metadata) : {};
  const reqMeta = obj(requestObject.metadata);
  const name = ref.name || str(respMeta.name) || str(reqMeta.name);
  const namespace = ref.namespace || str(respMeta.namespace) || str(reqMeta.namespace);
  // `ns/name` for namespaced objects, `name` for cluster-scoped ones (a Namespace's objectRef names itself twice).
  const refText = namespace && name && namespace !== name ? `${namespace}/${name}` : name || namespace;
  // Objects are built field by field: spreading then overriding keys is several times slower per event.
  const target = { resource: ref.resource, subresource: ref.subresource, namespace, name, apiGroup: ref.apiGroup, apiVersion: ref.apiVersion, ref: refText };
  const user = obj(e.user);
  const imp = obj(e.impersonatedUser);
  const annotations: Record<string, string> = {};
  for (const [k, v] of Object.entries(obj(e.annotations))) if (typeof v === 'string') annotations[k] = v;
  const status = obj(e.responseStatus);
  const object = isFullObject(responseObject) ? responseObject : requestObject;
  // Conditions on pods read the request (what was asked for), as Falco's ka.req.* fields do.
  const podSpec = podSpecOf(Object.keys(requestObject).length > 0 ? requestObject : object);
  const containers = containersOf(podSpec);
  const requestURI = str(e.requestURI);
  return {
    verb: e.verb,
    stage: e.stage,
    level: str(e.level),
    auditID: str(e.auditID),
    requestURI,
    userAgent: str(e.userAgent),
    decision: annotations['authorization.k8s.io/decision'] ?? '',
    objectRef: { resource: ref.resource, subresource: ref.subresource, namespace: ref.namespace, name: ref.name, apiGroup: ref.apiGroup, apiVersion: ref.apiVersion, uid: str(objectRef.uid), resourceVersion: str(objectRef.resourceVersion) },
    target,
    user: { username: str(user.username), groups: strList(user.groups), uid: str(user.uid), extra: obj(user.extra) },
    impersonatedUser: { username: str(imp.username), groups: strList(imp.groups), uid: str(imp.uid), extra: obj(imp.extra) },
    sourceIPs: strList(e.sourceIPs),
    requestObject,
    responseObject,
    object,
    responseStatus: { code: typeof status.code === 'number' ? status.code : 0, reason: str(status.reason), message: str(status.message), status: str(status.status), details: obj(status.details) },
    annotations,
    podSpec,
    containers,
    images: containers.map((c) => c.image as string),
    uriParams: queryParams(requestURI),
    event: e as Obj,
  };
}
