import { z } from 'zod';
import { severitySchema, type Severity } from './severity.js';

/**
 * Kubernetes audit events (`audit.k8s.io/v1` and `v1beta1`), as the API server writes them and as the managed
 * clusters' log exports carry them once unwrapped. Validation is deliberately loose where real logs are loose
 * (old traces omit apiVersion and kind; GKE has no requestURI) and strict where a rule would otherwise read
 * garbage (verb and stage must be strings, user must be an object). Unknown fields are kept (passthrough) so
 * rules can read fields this schema does not name.
 */

/** The API versions of the audit Event kind. */
export const AUDIT_API_VERSIONS = ['audit.k8s.io/v1', 'audit.k8s.io/v1beta1'] as const;
export type AuditApiVersion = (typeof AUDIT_API_VERSIONS)[number];

/** Stages of a request; the API server may log one event per stage. */
export const AUDIT_STAGES = ['RequestReceived', 'ResponseStarted', 'ResponseComplete', 'Panic'] as const;
export type AuditStage = (typeof AUDIT_STAGES)[number];

/** Audit levels. */
export const AUDIT_LEVELS = ['None', 'Metadata', 'Request', 'RequestResponse'] as const;

/** `authentication.k8s.io` UserInfo. */
export const auditUserSchema = z
  .object({
    username: z.string().optional(),
    uid: z.string().optional(),
    groups: z.array(z.string()).optional(),
    extra: z.record(z.string(), z.array(z.string())).optional(),
  })
  .passthrough();
export type AuditUser = z.infer<typeof auditUserSchema>;

/** The object a request is about. */
export const objectReferenceSchema = z
  .object({
    resource: z.string().optional(),
    namespace: z.string().optional(),
    name: z.string().optional(),
    uid: z.string().optional(),
    apiGroup: z.string().optional(),
    apiVersion: z.string().optional(),
    resourceVersion: z.string().optional(),
    subresource: z.string().optional(),
  })
  .passthrough();
export type ObjectReference = z.infer<typeof objectReferenceSchema>;

/** `meta/v1` Status, as far as audit events carry it. */
export const responseStatusSchema = z
  .object({
    code: z.number().int().optional(),
    status: z.string().optional(),
    reason: z.string().optional(),
    message: z.string().optional(),
  })
  .passthrough();

/** One audit event. */
export const auditEventSchema = z
  .object({
    apiVersion: z.enum(AUDIT_API_VERSIONS).optional(),
    kind: z.literal('Event').optional(),
    level: z.enum(AUDIT_LEVELS).optional(),
    auditID: z.string().optional(),
    stage: z.enum(AUDIT_STAGES),
    requestURI: z.string().optional(),
    verb: z.string().min(1),
    user: auditUserSchema,
    impersonatedUser: auditUserSchema.optional().nullable(),
    sourceIPs: z.array(z.string()).optional(),
    userAgent: z.string().optional(),
    objectRef: objectReferenceSchema.optional().nullable(),
    responseStatus: responseStatusSchema.optional().nullable(),
    requestObject: z.unknown().optional(),
    responseObject: z.unknown().optional(),
    requestReceivedTimestamp: z.string().optional(),
    stageTimestamp: z.string().optional(),
    /** v1beta1 only. */
    timestamp: z.string().optional(),
    annotations: z.record(z.string(), z.string()).optional().nullable(),
  })
  .passthrough();
export type AuditEvent = z.infer<typeof auditEventSchema>;

/** An `EventList` (what `kubectl get --raw` and some exporters write): the items are validated one by one. */
export const auditEventListSchema = z
  .object({
    apiVersion: z.enum(AUDIT_API_VERSIONS).optional(),
    kind: z.literal('EventList'),
    items: z.array(z.unknown()),
  })
  .passthrough();

/** The log formats an audit event can arrive in. */
export const AUDIT_FORMATS = ['kubernetes', 'gke', 'eks', 'aks'] as const;
export type AuditFormat = (typeof AUDIT_FORMATS)[number];

/** An event with where it was read: file (or `-` for stdin), 1-based line, and the format it was unwrapped from. */
export interface SourcedAuditEvent {
  event: AuditEvent;
  file: string;
  line?: number;
  format: AuditFormat;
}

/** Best time of an event: when the stage was logged, else when the request arrived. */
export function auditEventTime(e: AuditEvent): string | undefined {
  return e.stageTimestamp ?? e.requestReceivedTimestamp ?? e.timestamp;
}

/** MITRE ATT&CK references of a rule: tactic ids (TA0004) and technique ids (T1611, T1552.007). */
export const mitreSchema = z
  .object({
    tactics: z.array(z.string().regex(/^TA\d{4}$/, 'tactic ids look like TA0004')).min(1, 'name at least one tactic'),
    techniques: z.array(z.string().regex(/^T\d{4}(\.\d{3})?$/, 'technique ids look like T1611 or T1552.007')).default([]),
  })
  .strict();
export type MitreRef = z.infer<typeof mitreSchema>;

/** Who did what to which object: the fields an analyst pivots on. */
export interface AlertEntities {
  user: string;
  groups?: string[];
  impersonatedUser?: string;
  verb: string;
  namespace?: string;
  resource?: string;
  subresource?: string;
  name?: string;
  apiGroup?: string;
  sourceIP?: string;
  userAgent?: string;
  /** Container images of the request object, for rules about workloads. */
  images?: string[];
}

/** One detection: a rule that matched one event, or several events of the same rule and entities. */
export interface Alert {
  ruleId: string;
  slug: string;
  title: string;
  severity: Severity;
  mitre: MitreRef;
  /** The rule's output template rendered for the event, naming the entities. */
  output: string;
  entities: AlertEntities;
  /** Time of the (first) matching event. */
  time?: string;
  /** Time of the last matching event, when several were merged. */
  lastTime?: string;
  /** Audit IDs of the matching events (deduplicated). */
  auditIds: string[];
  /** How many events matched (1 unless deduplicated). */
  count: number;
  /** Where the (first) event was read. */
  source: { file: string; line?: number; format: AuditFormat };
  /** Ids of the same detection in other tools. */
  equivalents: Record<string, string[]>;
}

/** JSON shape of an alert, for consumers validating Palisade's output. */
export const alertSchema = z.object({
  ruleId: z.string(),
  slug: z.string(),
  title: z.string(),
  severity: severitySchema,
  mitre: mitreSchema,
  output: z.string(),
  entities: z.object({ user: z.string(), verb: z.string() }).passthrough(),
  time: z.string().optional(),
  lastTime: z.string().optional(),
  auditIds: z.array(z.string()),
  count: z.number().int().min(1),
  source: z.object({ file: z.string(), line: z.number().int().optional(), format: z.enum(AUDIT_FORMATS) }),
  equivalents: z.record(z.string(), z.array(z.string())),
});
