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
  if (!Array.isArray(v)) return [];
  // Validated events hold string lists already: share them (rules never change a value) rather than copy.
  for (let i = 0; i < v.length; i++) if (typeof v[i] !== 'string') return v.filter((x): x is string => typeof x === 'string');
  return v as string[];
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
  if (hasKeys(template)) return obj(template.spec);
  const jobTemplate = obj(spec.jobTemplate);
  if (hasKeys(jobTemplate)) return obj(obj(obj(jobTemplate.spec).template).spec);
  return {};
}

const CONTAINER_LISTS = [
  ['containers', 'container'],
  ['initContainers', 'initContainer'],
  ['ephemeralContainers', 'ephemeralContainer'],
] as const;

/** A container with the derived fields, keys in the order `{ ...co, name, image, imageRepository, securityContext, containerType }` gives. */
function containerView(co: Obj, image: string, type: string): Obj {
  // A plain copy loop is several times cheaper than spreading and then overriding keys; `__proto__` (an own key
  // only JSON can create) must be defined, not assigned, so it takes the spread.
  if (Object.prototype.hasOwnProperty.call(co, '__proto__')) return { ...co, name: str(co.name), image, imageRepository: imageRepository(image), securityContext: obj(co.securityContext), containerType: type };
  const out: Obj = {};
  for (const k in co) out[k] = co[k];
  out.name = str(co.name);
  out.image = image;
  out.imageRepository = imageRepository(image);
  out.securityContext = obj(co.securityContext);
  out.containerType = type;
  return out;
}

/** All containers of a pod spec (containers, init, ephemeral), with `containerType` and `imageRepository`. */
export function containersOf(spec: Obj): Obj[] {
  const out: Obj[] = [];
  for (const [key, type] of CONTAINER_LISTS) {
    const list = spec[key];
    if (!Array.isArray(list)) continue;
    for (const c of list) {
      const co = obj(c);
      const image = str(co.image);
      out.push(containerView(co, image, type));
    }
  }
  return out;
}

/** True when the object has an own enumerable key (what `Object.keys(o).length > 0` says, without the array). */
function hasKeys(o: Obj): boolean {
  for (const k in o) if (Object.prototype.hasOwnProperty.call(o, k)) return true;
  return false;
}

/** A full object carries metadata and is not a Status (what delete and connect calls answer). */
function isFullObject(o: Obj): boolean {
  return hasKeys(obj(o.metadata)) && o.kind !== 'Status';
}

function queryParams(uri: string): Obj {
  const q = uri.indexOf('?');
  if (q === -1) return {};
  const out: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(uri.slice(q + 1))) out[k] = out[k] === undefined ? v : `${out[k]} ${v}`;
  return out;
}

const DIGIT0 = 48;
/** Days before each month in a common year. */
const MONTH_DAYS = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];
const MONTH_LENGTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** The `n` digits of `s` at `at` as a number, or -1 when one is not a digit. */
function digits(s: string, at: number, n: number): number {
  let v = 0;
  for (let i = at; i < at + n; i++) {
    const d = s.charCodeAt(i) - DIGIT0;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}

/**
 * `Date.parse` of a timestamp, with a fast path for the form audit logs use (`2024-05-14T10:00:00Z`, with up to nine
 * fraction digits, which Date.parse truncates to milliseconds); anything else, or an out-of-range field, goes to
 * Date.parse itself, so the result is always Date.parse's.
 */
export function parseTimeMs(t: string): number {
  const len = t.length;
  if (len >= 20 && len <= 30 && t.charCodeAt(len - 1) === 90 /* Z */ && t.charCodeAt(4) === 45 && t.charCodeAt(7) === 45 && t.charCodeAt(10) === 84 && t.charCodeAt(13) === 58 && t.charCodeAt(16) === 58) {
    const y = digits(t, 0, 4);
    const mo = digits(t, 5, 2);
    const d = digits(t, 8, 2);
    const h = digits(t, 11, 2);
    const mi = digits(t, 14, 2);
    const sec = digits(t, 17, 2);
    let ms = 0;
    const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
    let ok = y >= 1970 && mo >= 1 && mo <= 12 && d >= 1 && d <= MONTH_LENGTH[mo - 1]! + (leap && mo === 2 ? 1 : 0) && h >= 0 && h <= 23 && mi >= 0 && mi <= 59 && sec >= 0 && sec <= 59;
    if (ok && len > 20) {
      const frac = len - 21;
      ok = t.charCodeAt(19) === 46 /* . */ && frac >= 1 && frac <= 9 && digits(t, 20, frac) >= 0;
      if (ok) ms = digits(t, 20, Math.min(3, frac)) * (frac === 1 ? 100 : frac === 2 ? 10 : 1);
    } else if (ok) ok = len === 20;
    if (ok) {
      const yd = y - 1970;
      // Days from 1970-01-01 to January 1st of year y.
      const days = yd * 365 + Math.floor((y - 1969) / 4) - Math.floor((y - 1901) / 100) + Math.floor((y - 1601) / 400) + MONTH_DAYS[mo - 1]! + (leap && mo > 2 ? 1 : 0) + d - 1;
      return ((days * 24 + h) * 60 + mi) * 60000 + sec * 1000 + ms;
    }
  }
  return Date.parse(t);
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
  private _requestObject?: Obj;
  private _responseObject?: Obj;

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
    return (this._requestObject ??= obj(this.e.requestObject));
  }
  get responseObject(): Obj {
    return (this._responseObject ??= obj(this.e.responseObject));
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
    return (this._podSpec = podSpecOf(hasKeys(requestObject) ? requestObject : this.object));
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
      const n = typeof t === 'string' ? parseTimeMs(t) : Number.NaN;
      this._timeMs = Number.isNaN(n) ? null : n;
    }
    return this._timeMs ?? undefined;
  }
}

/**
 * One reader per context variable, each its own function: a property read with a fixed name stays monomorphic on the
 * context class (and is inlined), where `ctx[name]` with the name in a variable would be one megamorphic lookup
 * shared by every rule. Compiled conditions, guards and memo keys read variables through these.
 */
export const CONTEXT_READERS: Readonly<Record<ContextVariable, (ctx: Record<ContextVariable, unknown>) => unknown>> = {
  verb: (c) => c.verb,
  stage: (c) => c.stage,
  level: (c) => c.level,
  auditID: (c) => c.auditID,
  requestURI: (c) => c.requestURI,
  userAgent: (c) => c.userAgent,
  decision: (c) => c.decision,
  objectRef: (c) => c.objectRef,
  target: (c) => c.target,
  user: (c) => c.user,
  impersonatedUser: (c) => c.impersonatedUser,
  sourceIPs: (c) => c.sourceIPs,
  requestObject: (c) => c.requestObject,
  responseObject: (c) => c.responseObject,
  object: (c) => c.object,
  responseStatus: (c) => c.responseStatus,
  annotations: (c) => c.annotations,
  podSpec: (c) => c.podSpec,
  containers: (c) => c.containers,
  images: (c) => c.images,
  uriParams: (c) => c.uriParams,
  event: (c) => c.event,
};

/** The reader of a variable (see CONTEXT_READERS), or a plain lookup for another name. */
export function contextReader(name: string): (ctx: Record<string, unknown>) => unknown {
  const r = (CONTEXT_READERS as Record<string, ((ctx: Record<string, unknown>) => unknown) | undefined>)[name];
  return r && Object.prototype.hasOwnProperty.call(CONTEXT_READERS, name) ? r : (ctx) => ctx[name];
}

/** Builds the evaluation context of one event (its variables are computed when first read). */
export function buildContext(e: AuditEvent): Record<ContextVariable, unknown> {
  return new LazyContext(e) satisfies Record<ContextVariable, unknown>;
}
