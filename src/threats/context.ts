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

/**
 * The evaluation context of one event. Every variable is computed on first read and kept: most events meet only a
 * few rules through the index, and those read a few variables (a `get pods` event never needs its containers or
 * query parameters), so building everything up front was most of the cost of an event. The values are the same
 * plain objects a rule always saw; CEL and templates read them as properties.
 */
class LazyContext {
  readonly verb: string;
  readonly stage: string;
  private readonly e: AuditEvent;
  private _objectRef?: Obj;
  private _target?: Obj;
  private _user?: Obj;
  private _imp?: Obj;
  private _annotations?: Record<string, string>;
  private _responseStatus?: Obj;
  private _object?: Obj;
  private _podSpec?: Obj;
  private _containers?: Obj[];
  private _images?: string[];
  private _uriParams?: Obj;
  private _sourceIPs?: string[];

  constructor(e: AuditEvent) {
    this.e = e;
    this.verb = e.verb;
    this.stage = e.stage;
  }

  get level(): string {
    return str(this.e.level);
  }
  get auditID(): string {
    return str(this.e.auditID);
  }
  get requestURI(): string {
    return str(this.e.requestURI);
  }
  get userAgent(): string {
    return str(this.e.userAgent);
  }
  get decision(): string {
    return this.annotations['authorization.k8s.io/decision'] ?? '';
  }
  get objectRef(): Obj {
    if (this._objectRef) return this._objectRef;
    const r = obj(this.e.objectRef);
    return (this._objectRef = { resource: str(r.resource), subresource: str(r.subresource), namespace: str(r.namespace), name: str(r.name), apiGroup: str(r.apiGroup), apiVersion: str(r.apiVersion), uid: str(r.uid), resourceVersion: str(r.resourceVersion) });
  }
  get target(): Obj {
    if (this._target) return this._target;
    const ref = this.objectRef as Record<string, string>;
    const responseObject = this.responseObject;
    const respMeta = isFullObject(responseObject) ? obj(responseObject.metadata) : {};
    const reqMeta = obj(this.requestObject.metadata);
    const name = ref.name || str(respMeta.name) || str(reqMeta.name);
    const namespace = ref.namespace || str(respMeta.namespace) || str(reqMeta.namespace);
    // `ns/name` for namespaced objects, `name` for cluster-scoped ones (a Namespace's objectRef names itself twice).
    const refText = namespace && name && namespace !== name ? `${namespace}/${name}` : name || namespace;
    return (this._target = { resource: ref.resource, subresource: ref.subresource, namespace, name, apiGroup: ref.apiGroup, apiVersion: ref.apiVersion, ref: refText });
  }
  get user(): Obj {
    if (this._user) return this._user;
    const u = obj(this.e.user);
    return (this._user = { username: str(u.username), groups: strList(u.groups), uid: str(u.uid), extra: obj(u.extra) });
  }
  get impersonatedUser(): Obj {
    if (this._imp) return this._imp;
    const u = obj(this.e.impersonatedUser);
    return (this._imp = { username: str(u.username), groups: strList(u.groups), uid: str(u.uid), extra: obj(u.extra) });
  }
  get sourceIPs(): string[] {
    return (this._sourceIPs ??= strList(this.e.sourceIPs));
  }
  get requestObject(): Obj {
    return obj(this.e.requestObject);
  }
  get responseObject(): Obj {
    return obj(this.e.responseObject);
  }
  get object(): Obj {
    if (this._object) return this._object;
    const responseObject = this.responseObject;
    return (this._object = isFullObject(responseObject) ? responseObject : this.requestObject);
  }
  get responseStatus(): Obj {
    if (this._responseStatus) return this._responseStatus;
    const status = obj(this.e.responseStatus);
    return (this._responseStatus = { code: typeof status.code === 'number' ? status.code : 0, reason: str(status.reason), message: str(status.message), status: str(status.status), details: obj(status.details) });
  }
  get annotations(): Record<string, string> {
    if (this._annotations) return this._annotations;
    const annotations: Record<string, string> = {};
    const a = obj(this.e.annotations);
    for (const k in a) if (typeof a[k] === 'string') annotations[k] = a[k];
    return (this._annotations = annotations);
  }
  get podSpec(): Obj {
    if (this._podSpec) return this._podSpec;
    // Conditions on pods read the request (what was asked for), as Falco's ka.req.* fields do.
    const requestObject = this.requestObject;
    return (this._podSpec = podSpecOf(Object.keys(requestObject).length > 0 ? requestObject : this.object));
  }
  get containers(): Obj[] {
    return (this._containers ??= containersOf(this.podSpec));
  }
  get images(): string[] {
    return (this._images ??= this.containers.map((c) => c.image as string));
  }
  get uriParams(): Obj {
    return (this._uriParams ??= queryParams(this.requestURI));
  }
  get event(): Obj {
    return this.e as Obj;
  }
  private _timeMs?: number | null;
  /** Milliseconds of the event's time (stage, else request received, else v1beta1 timestamp); not a rule variable. */
  get timeMs(): number | undefined {
    if (this._timeMs === undefined) {
      const t = this.e.stageTimestamp ?? this.e.requestReceivedTimestamp ?? this.e.timestamp;
      const n = typeof t === 'string' ? Date.parse(t) : Number.NaN;
      this._timeMs = Number.isNaN(n) ? null : n;
    }
    return this._timeMs ?? undefined;
  }
}

/** Builds the evaluation context of one event (its variables are computed when first read). */
export function buildContext(e: AuditEvent): Record<ContextVariable, unknown> {
  return new LazyContext(e) satisfies Record<ContextVariable, unknown>;
}
