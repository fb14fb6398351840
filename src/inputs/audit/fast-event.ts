import { AUDIT_API_VERSIONS, AUDIT_LEVELS, AUDIT_STAGES, type AuditEvent } from '../../model/audit.js';

/**
 * A hand-written check of the audit Event schema (`auditEventSchema`, src/model/audit.ts) for the common case of a
 * well-formed event, about twenty times cheaper than running zod on every event. It checks the value in place and
 * returns it unchanged (a freshly parsed JSON value that the caller owns, so no copy is needed): the same values
 * zod's parse would give, in the input's key order. It returns `undefined` when anything is unusual, in which case
 * the caller runs zod, which decides and words the error. It must never accept what zod rejects; a test compares
 * both on every fixture and on mutations.
 */

type Obj = Record<string, unknown>;

const API_VERSIONS = new Set<unknown>(AUDIT_API_VERSIONS);
const LEVELS = new Set<unknown>(AUDIT_LEVELS);
const STAGES = new Set<unknown>(AUDIT_STAGES);

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const optString = (v: unknown): boolean => v === undefined || typeof v === 'string';
/** An own `__proto__` key (JSON.parse makes one): left to zod, whose copy would otherwise set a prototype. */
const hasProtoKey = (o: Obj): boolean => Object.prototype.hasOwnProperty.call(o, '__proto__');

function stringArray(v: unknown): boolean {
  if (!Array.isArray(v)) return false;
  for (let i = 0; i < v.length; i++) if (typeof v[i] !== 'string') return false;
  return true;
}

function userOk(v: unknown): boolean {
  if (!isObj(v) || hasProtoKey(v)) return false;
  if (!optString(v.username) || !optString(v.uid)) return false;
  if (v.groups !== undefined && !stringArray(v.groups)) return false;
  const extra = v.extra;
  if (extra !== undefined) {
    if (!isObj(extra)) return false;
    for (const k in extra) if (k === '__proto__' || !stringArray(extra[k])) return false;
  }
  return true;
}

function objectRefOk(v: unknown): boolean {
  if (v === undefined || v === null) return true;
  if (!isObj(v) || hasProtoKey(v)) return false;
  // Each optional string field read by its name: a named load is cheap, where a loop over a list of names
  // (`o[keys[i]]`) is a megamorphic keyed load on every event. The test breaks each of these fields in turn.
  return optString(v.resource) && optString(v.namespace) && optString(v.name) && optString(v.uid) && optString(v.apiGroup) && optString(v.apiVersion) && optString(v.resourceVersion) && optString(v.subresource);
}

function responseStatusOk(v: unknown): boolean {
  if (v === undefined || v === null) return true;
  if (!isObj(v) || hasProtoKey(v)) return false;
  return (v.code === undefined || Number.isSafeInteger(v.code)) && optString(v.status) && optString(v.reason) && optString(v.message);
}

function annotationsOk(v: unknown): boolean {
  if (v === undefined || v === null) return true;
  if (!isObj(v)) return false;
  for (const k in v) if (k === '__proto__' || typeof v[k] !== 'string') return false;
  return true;
}

/** The event itself when `v` is a well-formed audit Event, else `undefined` (validate with zod then). */
export function fastAuditEvent(v: unknown): AuditEvent | undefined {
  if (!isObj(v) || hasProtoKey(v)) return undefined;
  // Required fields: stage, verb and user must be present.
  if (!STAGES.has(v.stage) || typeof v.verb !== 'string' || v.verb.length === 0 || !userOk(v.user)) return undefined;
  if (v.apiVersion !== undefined && !API_VERSIONS.has(v.apiVersion)) return undefined;
  if (v.kind !== undefined && v.kind !== 'Event') return undefined;
  if (v.level !== undefined && !LEVELS.has(v.level)) return undefined;
  if (v.impersonatedUser !== undefined && v.impersonatedUser !== null && !userOk(v.impersonatedUser)) return undefined;
  if (v.sourceIPs !== undefined && !stringArray(v.sourceIPs)) return undefined;
  if (!objectRefOk(v.objectRef) || !responseStatusOk(v.responseStatus) || !annotationsOk(v.annotations)) return undefined;
  // Optional string fields by name, as in objectRefOk.
  if (!optString(v.auditID) || !optString(v.requestURI) || !optString(v.userAgent) || !optString(v.requestReceivedTimestamp) || !optString(v.stageTimestamp) || !optString(v.timestamp)) return undefined;
  return v as unknown as AuditEvent;
}
