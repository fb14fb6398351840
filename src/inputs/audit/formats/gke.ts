import type { AuditLogFormat, Unwrapped } from './format.js';
import { isObject } from './format.js';

const AUDIT_LOG_TYPE = 'type.googleapis.com/google.cloud.audit.AuditLog';

/** google.rpc.Code -> HTTP status, for entries whose response is not a Kubernetes Status. */
const RPC_TO_HTTP: Record<number, number> = { 1: 499, 2: 500, 3: 400, 4: 504, 5: 404, 6: 409, 7: 403, 8: 429, 9: 400, 10: 409, 11: 400, 12: 501, 13: 500, 14: 503, 15: 500, 16: 401 };

/** Subresources that upgrade the connection (the API server answers 101 and logs ResponseStarted). */
const STREAMING_SUBRESOURCES = new Set(['exec', 'attach', 'portforward', 'proxy']);

/** Groups whose GKE method names are the bare group (no `.k8s.io` suffix to restore). */
const BARE_GROUPS = new Set(['apps', 'batch', 'autoscaling', 'policy', 'extensions']);

const VERSION = /^v\d+((alpha|beta)\d+)?$/;

interface Target {
  apiGroup: string;
  apiVersion?: string;
  resource?: string;
  namespace?: string;
  name?: string;
  subresource?: string;
}

/**
 * `resourceName` is `group/version/[namespaces/ns/]resource[/name[/subresource]]` with `core` for the core group
 * (`core/v1/namespaces/default/pods/web/exec`, `rbac.authorization.k8s.io/v1/clusterrolebindings/admins`).
 */
export function parseResourceName(resourceName: string): Target | undefined {
  const segs = resourceName.split('/').filter((s) => s !== '');
  if (segs.length < 3 || !VERSION.test(segs[1]!)) return undefined;
  const apiGroup = segs[0] === 'core' ? '' : segs[0]!;
  const rest = segs.slice(2);
  // `namespaces/<ns>/<resource>...` is a namespaced object; `namespaces/<name>` alone is the Namespace itself.
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    return { apiGroup, apiVersion: segs[1], namespace: rest[1], resource: rest[2], name: rest[3], subresource: rest[4] };
  }
  return { apiGroup, apiVersion: segs[1], resource: rest[0], name: rest[1], subresource: rest[2] };
}

/**
 * `methodName` is `io.k8s.<reversed group>.<version>.<resource>[.<subresource>].<verb>`
 * (`io.k8s.core.v1.pods.exec.create`, `io.k8s.authorization.rbac.v1.clusterrolebindings.create`); custom
 * resources reverse their whole group (`io.istio.networking.v1beta1.gateways.create`).
 */
export function parseMethodName(methodName: string): (Target & { verb: string }) | undefined {
  const segs = methodName.split('.');
  const v = segs.findIndex((s) => VERSION.test(s));
  if (v < 1 || segs.length < v + 3) return undefined;
  const groupSegs = segs.slice(0, v);
  let apiGroup: string;
  if (groupSegs[0] === 'io' && groupSegs[1] === 'k8s') {
    const inner = groupSegs.slice(2);
    if (inner.length === 1 && inner[0] === 'core') apiGroup = '';
    else if (inner.length === 1 && BARE_GROUPS.has(inner[0]!)) apiGroup = inner[0]!;
    else apiGroup = [...inner].reverse().concat('k8s', 'io').join('.');
  } else apiGroup = [...groupSegs].reverse().join('.');
  const after = segs.slice(v + 1);
  const verb = after[after.length - 1]!;
  return { apiGroup, apiVersion: segs[v], resource: after[0], subresource: after.length > 2 ? after[1] : undefined, verb };
}

function withoutType(v: unknown): unknown {
  if (!isObject(v)) return v;
  const { ['@type']: _type, ...rest } = v;
  return rest;
}

/**
 * GKE control-plane audit logs from Cloud Logging: LogEntry objects whose `protoPayload` is an AuditLog with
 * `serviceName: k8s.io` (`gcloud logging read --format=json` arrays, and one entry per line as log sinks write
 * to Cloud Storage). Each entry becomes an audit.k8s.io/v1 Event:
 * - verb from the last segment of `methodName`; group, namespace, resource, name and subresource from
 *   `resourceName` (falling back to `methodName`);
 * - user from `authenticationInfo.principalEmail`, source IP and user agent from `requestMetadata`;
 * - requestObject/responseObject from `request`/`response` (without their `@type`);
 * - the HTTP code from a Kubernetes Status in `response`, else from `status` (a google.rpc code);
 * - authorization annotations from the entry `labels`, else from `authorizationInfo[].granted`;
 * - stage ResponseStarted for a streaming request that succeeded (exec, attach, port-forward) or an entry that
 *   is not the last of its operation, ResponseComplete otherwise; auditID from `operation.id` or `insertId`.
 */
export const gkeFormat = {
  id: 'gke',
  description: 'GKE audit logs from Cloud Logging: LogEntry JSON (arrays from gcloud logging read, or one entry per line from a sink) with an AuditLog protoPayload',
  detect(value: unknown): boolean {
    const probe = Array.isArray(value) ? value[0] : value;
    return isObject(probe) && isObject(probe.protoPayload) && (probe.protoPayload['@type'] === AUDIT_LOG_TYPE || 'methodName' in probe.protoPayload);
  },
  unwrap(value: unknown): Unwrapped[] {
    if (Array.isArray(value)) return value.map((entry, i) => ({ ...toEvent(entry), field: `[${i}]` }));
    return [toEvent(value)];
  },
} satisfies AuditLogFormat;

function toEvent(entry: unknown): Unwrapped {
  if (!isObject(entry) || !isObject(entry.protoPayload)) return { error: 'log entry without a protoPayload' };
  const p = entry.protoPayload;
  if (p.serviceName !== undefined && p.serviceName !== 'k8s.io') return { skipped: true };
  if (typeof p.methodName !== 'string') return { error: 'protoPayload.methodName is missing', field: 'protoPayload.methodName' };
  const method = parseMethodName(p.methodName);
  if (!method) return { error: `protoPayload.methodName "${p.methodName}" is not a Kubernetes API method`, field: 'protoPayload.methodName' };
  const fromName = typeof p.resourceName === 'string' ? parseResourceName(p.resourceName) : undefined;
  const target: Target = fromName ? { ...fromName, subresource: fromName.subresource ?? method.subresource } : method;

  const auth = isObject(p.authenticationInfo) ? p.authenticationInfo : {};
  const meta = isObject(p.requestMetadata) ? p.requestMetadata : {};
  const status = isObject(p.status) ? p.status : {};
  const response = p.response;
  const rpcCode = typeof status.code === 'number' ? status.code : 0;
  const ok = rpcCode === 0;
  const streaming = target.subresource !== undefined && STREAMING_SUBRESOURCES.has(target.subresource);
  let code: number;
  if (isObject(response) && typeof response['@type'] === 'string' && response['@type'].endsWith('.Status') && typeof response.code === 'number') code = response.code;
  else if (!ok) code = RPC_TO_HTTP[rpcCode] ?? 500;
  else code = streaming ? 101 : method.verb === 'create' ? 201 : 200;

  const annotations: Record<string, string> = {};
  if (isObject(entry.labels)) for (const [k, v] of Object.entries(entry.labels)) if (k.includes('/') && typeof v === 'string') annotations[k] = v;
  if (annotations['authorization.k8s.io/decision'] === undefined && Array.isArray(p.authorizationInfo) && p.authorizationInfo.length > 0) {
    annotations['authorization.k8s.io/decision'] = p.authorizationInfo.every((a) => isObject(a) && a.granted === true) ? 'allow' : 'forbid';
  }
  const operation = isObject(entry.operation) ? entry.operation : {};
  const stage = (ok && streaming) || operation.last === false ? 'ResponseStarted' : 'ResponseComplete';
  const time = typeof entry.timestamp === 'string' ? entry.timestamp : undefined;
  const objectRef: Record<string, string> = {};
  for (const k of ['resource', 'namespace', 'name', 'subresource', 'apiGroup', 'apiVersion'] as const) if (target[k] !== undefined) objectRef[k] = target[k]!;

  return {
    event: {
      apiVersion: 'audit.k8s.io/v1',
      kind: 'Event',
      level: p.request !== undefined || p.response !== undefined ? 'RequestResponse' : 'Metadata',
      auditID: typeof operation.id === 'string' ? operation.id : typeof entry.insertId === 'string' ? entry.insertId : undefined,
      stage,
      verb: method.verb,
      user: typeof auth.principalEmail === 'string' ? { username: auth.principalEmail } : {},
      sourceIPs: typeof meta.callerIp === 'string' ? [meta.callerIp] : undefined,
      userAgent: typeof meta.callerSuppliedUserAgent === 'string' ? meta.callerSuppliedUserAgent : undefined,
      objectRef,
      responseStatus: { code, ...(typeof status.message === 'string' && status.message !== '' ? { message: status.message } : {}) },
      requestObject: withoutType(p.request),
      responseObject: withoutType(response),
      requestReceivedTimestamp: time,
      stageTimestamp: time,
      annotations,
    },
  };
}
