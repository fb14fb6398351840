/**
 * The Store port of the server: every table the server keeps, behind one interface that SQLite
 * (`sqlite/`, the default) and PostgreSQL (`postgres/`, when DATABASE_URL is set) both implement. One
 * contract test suite (`contract.test.ts`) runs against both. Nothing outside `src/storage` writes SQL.
 */

import type { ComplianceHistoryPoint } from '../model/compliance.js';
import type { AlertOccurrence, AlertStatus, JournalInput, NewSuppression, StoredAlert, Suppression } from './audit/types.js';

/** Access levels, lowest first: a Reader reads, a Contributor manages exemptions and scans, an Owner manages users, tokens of others and connectors. */
export type Role = 'reader' | 'contributor' | 'owner';

/** Every role, lowest first. */
export const ROLES: readonly Role[] = ['reader', 'contributor', 'owner'];

/** True when `have` is at least `need`. */
export function roleAtLeast(have: Role, need: Role): boolean {
  return ROLES.indexOf(have) >= ROLES.indexOf(need);
}

/** A local user. `passwordHash` is a self-describing scrypt string (see src/app/users.ts). */
export interface UserRow {
  id: string;
  username: string;
  role: Role;
  passwordHash: string;
  createdAt: string;
  /** False when `role` holds nowhere by itself: the user acts only through its role bindings (per connector). */
  globalAccess: boolean;
}

/** A login session; only the SHA-256 of the cookie value is stored. */
export interface SessionRow {
  tokenHash: string;
  userId: string;
  createdAt: string;
  expiresAt: string;
}

/** An API token; only its SHA-256 is stored, and the prefix identifies it in lists. */
export interface ApiTokenRow {
  id: string;
  name: string;
  /** The first characters of the token, shown in lists so a person can tell tokens apart. */
  prefix: string;
  tokenHash: string;
  role: Role;
  /** The user who created it; the token never has a higher role than this user. */
  userId: string;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
  /** False when the token acts only through its own role bindings (per connector), never with `role` globally. */
  globalAccess: boolean;
}

/** One entry of the audit trail: who did what to which object, when and from where. */
export interface AuditEntry {
  id: number;
  at: string;
  /** `user:<name>`, `token:<prefix>`, `cli:<os user>` or `system`. */
  actor: string;
  /** Dotted verb, e.g. `user.create`, `exemption.delete`, `auth.login`. */
  action: string;
  /** The object acted on, e.g. `user:alice`. */
  target: string;
  /** Remote address, when the change came over HTTP. */
  source: string | null;
  /** Summaries of the object before and after (never secrets). */
  before: unknown;
  after: unknown;
}

/** A new audit entry; the store sets id and time. */
export type NewAuditEntry = Omit<AuditEntry, 'id' | 'at' | 'source' | 'before' | 'after'> & { source?: string | null; before?: unknown; after?: unknown };

/** A connector (cluster or registry). `secrets` is an opaque encrypted blob; the store never sees plaintext. */
export interface ConnectorRow {
  id: string;
  kind: string;
  name: string;
  /** Non-secret settings. */
  config: Record<string, unknown>;
  /** Ciphertext of the secret settings (`v1:` AES-256-GCM envelope of src/app/secrets.ts), or null. */
  secrets: string | null;
  createdAt: string;
  updatedAt: string;
}

/** An inventoried object. `(connectorId, type, key)` is unique. */
export interface AssetRow {
  id: string;
  connectorId: string | null;
  type: string;
  key: string;
  attributes: Record<string, unknown>;
  firstSeen: string;
  lastSeen: string;
}

/** A directed relation between two assets, e.g. `workload runs image`. */
export interface AssetRelationRow {
  fromAsset: string;
  toAsset: string;
  kind: string;
}

/** A finding about an asset. `(assetId, checkId, path)` is unique. */
export interface FindingRow {
  id: string;
  assetId: string;
  checkId: string;
  severity: string;
  path: string;
  message: string;
  firstSeen: string;
  lastSeen: string;
  /** The suggested fix as the live resource needs it (a JSON Patch), when the check has one. */
  fix?: StoredFix | null;
}

/** A suggested fix kept with a finding: what it does, and the RFC 6902 JSON Patch that does it. */
export interface StoredFix {
  description: string;
  patch: Array<{ op: 'add' | 'replace'; path: string; value: unknown } | { op: 'remove'; path: string }>;
}

/** An accepted risk: a check (or `*`) on a scope, with a reason, an owner and an optional expiry. */
export interface ExemptionRow {
  id: string;
  /** What it covers: `*`, `connector:<id>`, `namespace:<cluster>/<ns>`, `asset:<id>`, ... */
  scope: string;
  checkId: string;
  reason: string;
  owner: string;
  expiresAt: string | null;
  createdBy: string;
  createdAt: string;
}

/** Findings of one check, counted across assets: a line of the recommendations view. */
export interface FindingSummary {
  checkId: string;
  severity: string;
  /** Distinct assets with at least one finding of the check. */
  assets: number;
  findings: number;
  lastSeen: string;
}

/** One point of the secure-score time series. */
export interface ScorePoint {
  /** `overall`, `connector:<id>` or `cluster:<id>`. */
  scope: string;
  at: string;
  score: number;
}

/** One point of a connector's compliance history for one framework. */
export interface CompliancePoint extends ComplianceHistoryPoint {
  connectorId: string;
  framework: string;
}

// Image scans and vulnerabilities

/** What one image (by manifest digest) contains: kept so a new vulnerability database can be matched again without a pull. */
export interface ImageScanRow {
  /** Manifest digest of the platform image that was read (`sha256:...`). */
  digest: string;
  /** The reference it was first read from. */
  reference: string;
  platform: string | null;
  /** The OS the analyzers recognised (`OsInfo`), or null. */
  os: unknown;
  /** The installed packages (`Package[]`), as the analyzers found them. */
  packages: unknown[];
  /** The image's layers (`LayerRef[]`). */
  layers: unknown[];
  packageCount: number;
  /** When the layers were read. */
  scannedAt: string;
  /** When the packages were last matched. */
  matchedAt: string;
  /** The update time of the vulnerability database they were matched against. */
  dbUpdatedAt: string | null;
}

/** One vulnerability of one package in one image. */
export interface ImageVulnerabilityRow {
  digest: string;
  vulnId: string;
  package: string;
  installedVersion: string;
  /** The file the package was read from (`/var/lib/dpkg/status`, a `package.json`), or `''`. */
  packagePath: string;
  ecosystem: string;
  fixedVersion: string | null;
  /** `fixed` (a fix exists), or the unfixed status (`affected`, `will-not-fix`, ...). */
  status: string;
  severity: string;
  title: string | null;
  aliases: string[];
  primaryUrl: string | null;
  /** The layer that added the package. */
  layer: { digest: string; index: number; createdBy: string | null } | null;
}

/** What an image reference (as a pod or a registry names it) resolved to, and how the latest attempt went. */
export interface ImageReferenceRow {
  reference: string;
  /** The digest it resolved to (kept from an earlier success when the latest attempt failed). */
  digest: string | null;
  status: 'pending' | 'ok' | 'error';
  errorCode: string | null;
  error: string | null;
  attemptedAt: string;
  succeededAt: string | null;
}

/** Vulnerabilities by severity. */
export interface SeverityCounts {
  critical: number;
  high: number;
  medium: number;
  low: number;
  info: number;
}

/** Filters of the vulnerability views. */
export interface VulnerabilityQuery {
  /** A digest or a reference. */
  image?: string;
  /** A vulnerability id (or one of its aliases, in the rows view). */
  vulnId?: string;
  /** At least this severity. */
  severity?: 'critical' | 'high' | 'medium' | 'low' | 'info';
  /** Only images some asset of this connector names. */
  connectorId?: string;
  /** Only images some asset of one of these connectors names (a caller's role bindings); empty: none. */
  connectorIds?: readonly string[];
  /** Only images some workload runs. */
  running?: boolean;
  /** Only images a workload exposed outside the cluster runs. */
  exposed?: boolean;
  /** Only vulnerabilities with a fixed version. */
  fixable?: boolean;
  limit?: number;
  cursor?: string;
}

/** An image in the by-image view: its vulnerability counts, where it runs, and the state of its scans. */
export interface VulnerableImage {
  /** The digest, or the reference when it never resolved to one. */
  image: string;
  digest: string | null;
  references: ImageReferenceRow[];
  /** Workloads and pods (asset ids) that run it. */
  workloads: number;
  running: boolean;
  /** Some workload that runs it is behind a LoadBalancer or NodePort Service, or an Ingress. */
  exposed: boolean;
  counts: SeverityCounts;
  total: number;
  fixable: number;
  packageCount: number | null;
  scannedAt: string | null;
  matchedAt: string | null;
}

/** A vulnerability in the by-CVE view: in how many images, how many of them running and exposed. */
export interface VulnerabilitySummary {
  vulnId: string;
  severity: string;
  title: string | null;
  images: number;
  runningImages: number;
  exposedImages: number;
  packages: string[];
  fixedVersions: string[];
}

/** Who a role binding is for: a user, or one API token. */
export interface Subject {
  kind: 'user' | 'token';
  id: string;
}

/** A role on one connector, held by a user or a token. `(subject, connectorId)` is unique. */
export interface RoleBindingRow {
  id: string;
  subjectKind: Subject['kind'];
  subjectId: string;
  connectorId: string;
  role: Role;
  createdBy: string;
  createdAt: string;
}

/** A page of results and the cursor of the next page (absent at the end). */
export interface Page<T> {
  items: T[];
  next?: string;
}

/** State of the schema, for /readyz and `palisade serve`. */
export interface MigrationStatus {
  applied: number[];
  pending: number[];
}

// Audit ingest: tokens, event journal, alerts, suppressions, detector state

/** A token that authenticates one connector's audit webhook (kube-apiserver); only its SHA-256 is stored. */
export interface IngestTokenRow {
  id: string;
  connectorId: string;
  name: string;
  /** The first characters of the token, shown in lists. */
  prefix: string;
  tokenHash: string;
  createdBy: string;
  createdAt: string;
  revokedAt: string | null;
  lastUsedAt: string | null;
}

/** One journaled audit event of a connector (its JSON text as received, after validation). */
export interface AuditEventRow {
  seq: number;
  connectorId: string;
  receivedAt: string;
  format: string;
  body: string;
}

/** A stored alert of a connector. */
export type AlertRow = StoredAlert & { connectorId: string };

/** Filter and page of `listAlerts`: newest raised first; `cursor` is the `next` of the previous page. */
export interface AlertListQuery {
  connectorId?: string;
  /** Only alerts of these connectors (a caller whose roles are on single connectors). */
  connectorIds?: readonly string[];
  statuses?: readonly AlertStatus[];
  severities?: readonly string[];
  /** Rule id (any case) or slug. */
  ruleId?: string;
  /** Only alerts last seen at or after. */
  since?: string;
  /** Only alerts first seen before. */
  until?: string;
  limit?: number;
  cursor?: string;
}

/** Alerts raised in one time bucket (`2026-01-02T13` for hours, `2026-01-02` for days) with one severity. */
export interface AlertCount {
  bucket: string;
  severity: string;
  count: number;
}

/** A suppression rule of the server: the audit store's fields, optionally limited to one connector. */
export type SuppressionRow = Suppression & { connectorId?: string };

/** A new suppression rule. */
export type NewSuppressionRow = NewSuppression & { connectorId?: string; createdBy: string };

/** What one detection step commits with the events it processed. */
export interface AlertProcessing {
  /** Journal sequence numbers processed by this step (claimed: a step whose events another process took commits nothing). */
  seqs: readonly number[];
  occurrences: ReadonlyArray<AlertOccurrence & { connectorId: string }>;
  /** Suppression hits: suppression id -> latest time matched and count. */
  suppressed?: ReadonlyMap<number, { at: string; count: number }>;
  /** Detector states to save, per connector. */
  detectorStates?: ReadonlyArray<{ connectorId: string; states: Readonly<Record<string, unknown>> }>;
  /** Deduplication window in ms from an alert's first occurrence. */
  windowMs: number;
}

// Offboarding: the workflow state per connector, and every kind of data kept about a connector

/** The kinds of data kept about a connector, one NDJSON file each in an offboarding export bundle. */
export const CONNECTOR_DATA_KINDS = ['connector', 'assets', 'relations', 'findings', 'scores', 'compliance-history', 'exemptions', 'alerts', 'alert-suppressions', 'audit-events', 'detector-state', 'ingest-tokens', 'role-bindings', 'audit-trail'] as const;

/** One kind of data kept about a connector. */
export type ConnectorDataKind = (typeof CONNECTOR_DATA_KINDS)[number];

/** A connector as its data is found: by id, and by name for the exemptions scoped `namespace:<name>/...`. */
export interface ConnectorRef {
  id: string;
  name: string;
}

/** The offboarding of one connector: who asked, when and why, the state of each step, and the report. */
export interface OffboardingRow {
  connectorId: string;
  connectorName: string;
  connectorKind: string;
  /** `running` until the connector is offboarded (every step up to validation done), `purged` once its data is gone. */
  state: 'running' | 'offboarded' | 'purged';
  reason: string;
  requestedBy: string;
  startedAt: string;
  updatedAt: string;
  /** Set when its monitoring stopped: no scheduler syncs or watches the connector from then on. */
  monitoringStoppedAt: string | null;
  offboardedAt: string | null;
  offboardedBy: string | null;
  /** When its data is due to be purged (retention), or null before it is offboarded. */
  purgeAfter: string | null;
  purgedAt: string | null;
  /** Per-step state and results (JSON, owned by src/app/offboarding.ts). */
  steps: Record<string, unknown>;
  /** The report (JSON, owned by src/app/offboarding.ts). */
  report: Record<string, unknown>;
}

/** When a connector last showed signs of life in the store. */
export interface ConnectorActivityRow {
  connectorId: string;
  /** The newest `last_seen` of its assets. */
  lastAssetSeen: string | null;
  /** The newest audit event received for it. */
  lastEventAt: string | null;
  /** The newest use of one of its ingest tokens. */
  lastIngestAt: string | null;
}

/**
 * The persistence port of the server. All methods are async; SQLite serialises writes on its one
 * connection, PostgreSQL uses a pool. Times are ISO-8601 UTC strings in and out.
 */
export interface Store {
  readonly dialect: 'sqlite' | 'postgres';
  /** Applies pending numbered migrations; safe when several processes start at once. */
  migrate(): Promise<MigrationStatus>;
  migrationStatus(): Promise<MigrationStatus>;
  /** Cheap round trip to the database, for /readyz. */
  ping(): Promise<void>;
  /** Runs `fn` in one transaction: everything or nothing (a write and its audit entry go together). */
  transaction<T>(fn: (tx: Store) => Promise<T>): Promise<T>;
  close(): Promise<void>;

  createUser(u: Omit<UserRow, 'id' | 'createdAt' | 'globalAccess'> & { globalAccess?: boolean }): Promise<UserRow>;
  getUser(id: string): Promise<UserRow | undefined>;
  getUserByName(username: string): Promise<UserRow | undefined>;
  listUsers(): Promise<UserRow[]>;
  countUsers(): Promise<number>;
  setUserPassword(id: string, passwordHash: string): Promise<void>;
  /** Deletes the user with their sessions and tokens; false when there was none. */
  deleteUser(id: string): Promise<boolean>;

  createSession(s: SessionRow): Promise<void>;
  getSession(tokenHash: string): Promise<SessionRow | undefined>;
  deleteSession(tokenHash: string): Promise<void>;
  deleteExpiredSessions(now: string): Promise<number>;

  createApiToken(t: Omit<ApiTokenRow, 'createdAt' | 'lastUsedAt' | 'revokedAt' | 'globalAccess'> & { globalAccess?: boolean }): Promise<ApiTokenRow>;
  getApiTokenByHash(tokenHash: string): Promise<ApiTokenRow | undefined>;
  getApiToken(id: string): Promise<ApiTokenRow | undefined>;
  listApiTokens(filter?: { userId?: string }): Promise<ApiTokenRow[]>;
  /** Records a use of the token, unless one at or after `unlessSince` is already recorded (throttles writes). */
  touchApiToken(id: string, at: string, unlessSince?: string): Promise<void>;
  /** Marks the token revoked; false when there was none or it was already revoked. */
  revokeApiToken(id: string, at: string): Promise<boolean>;

  appendAudit(e: NewAuditEntry): Promise<AuditEntry>;
  /** Newest first; `cursor` is the `next` of the previous page. */
  listAudit(q?: { limit?: number; cursor?: string; action?: string }): Promise<Page<AuditEntry>>;

  createConnector(c: Omit<ConnectorRow, 'id' | 'createdAt' | 'updatedAt'>): Promise<ConnectorRow>;
  getConnector(id: string): Promise<ConnectorRow | undefined>;
  listConnectors(): Promise<ConnectorRow[]>;
  updateConnector(id: string, patch: Partial<Pick<ConnectorRow, 'name' | 'config' | 'secrets'>>): Promise<ConnectorRow | undefined>;
  deleteConnector(id: string): Promise<boolean>;

  /** Inserts or refreshes assets by `(connectorId, type, key)`: first_seen kept, last_seen and attributes updated. */
  upsertAssets(assets: Array<Omit<AssetRow, 'id' | 'firstSeen' | 'lastSeen'>>, seenAt: string): Promise<AssetRow[]>;
  /**
   * Pages assets by id. `namespace` matches keys starting `<namespace>/` (namespaced objects are keyed
   * `<namespace>/<Kind>/<name>`); `q` is a case-insensitive substring of the key.
   */
  listAssets(q?: { type?: string; connectorId?: string; connectorIds?: readonly string[]; namespace?: string; q?: string; limit?: number; cursor?: string }): Promise<Page<AssetRow>>;
  getAsset(id: string): Promise<AssetRow | undefined>;
  /** The assets of these ids that exist, in no particular order: a page's worth in one query rather than one each. */
  getAssets(ids: readonly string[]): Promise<AssetRow[]>;
  /**
   * Assets counted by `type`, or by Kubernetes `kind` (the `kind` attribute of cluster objects; assets without one,
   * such as clusters, containers and images, are left out), most first, then by name.
   */
  countAssets(q: { by: 'type' | 'kind'; connectorId?: string; connectorIds?: readonly string[] }): Promise<Array<{ value: string; count: number }>>;
  putRelations(relations: AssetRelationRow[]): Promise<void>;
  listRelations(assetId: string): Promise<AssetRelationRow[]>;

  upsertFindings(findings: Array<Omit<FindingRow, 'id' | 'firstSeen' | 'lastSeen'>>, seenAt: string): Promise<FindingRow[]>;
  listFindings(q?: { assetId?: string; checkId?: string; connectorId?: string; connectorIds?: readonly string[]; limit?: number; cursor?: string }): Promise<Page<FindingRow>>;
  /** Which assets fail which checks: the distinct (check, asset) pairs of the findings, optionally of some checks only. */
  listFindingAssets(q?: { checkIds?: readonly string[]; connectorId?: string; connectorIds?: readonly string[] }): Promise<Array<{ checkId: string; assetId: string }>>;
  /** Deletes the findings on the connector's assets last seen before `before` (gone since the last assessment); returns how many. */
  pruneFindings(connectorId: string, before: string): Promise<number>;
  /** Findings grouped by check and severity, optionally of one connector's assets (or of a set: `connectorIds`). */
  summarizeFindings(q?: { connectorId?: string; connectorIds?: readonly string[] }): Promise<FindingSummary[]>;
  /**
   * One line per check, at its highest severity (an unknown one reads `unknown`), ordered by check id: read from
   * the per-connector totals the store keeps as findings are written and pruned, so as cheap as a short list.
   */
  summarizeChecks(q?: { connectorId?: string; connectorIds?: readonly string[]; checkId?: string }): Promise<FindingSummary[]>;

  createExemption(e: Omit<ExemptionRow, 'id' | 'createdAt'>): Promise<ExemptionRow>;
  getExemption(id: string): Promise<ExemptionRow | undefined>;
  listExemptions(q?: { scope?: string; activeAt?: string }): Promise<ExemptionRow[]>;
  deleteExemption(id: string): Promise<boolean>;

  appendScore(p: ScorePoint): Promise<void>;
  /** Oldest first. */
  listScores(q: { scope?: string; since?: string; limit?: number }): Promise<ScorePoint[]>;
  /** The last point of each UTC day of each scope since `since`, oldest first: a trend that reads days, not every sync. */
  dailyScores(q: { scopes: readonly string[]; since: string }): Promise<ScorePoint[]>;
  /** The newest point of every scope, ordered by scope. */
  latestScores(): Promise<ScorePoint[]>;

  /**
   * Records compliance points; a point replaces the one of its connector and framework in the same UTC hour
   * (the history keeps one point per connector, framework and hour).
   */
  appendCompliancePoints(points: readonly CompliancePoint[]): Promise<void>;
  /**
   * A framework's compliance history since `since`, oldest first (at most `limit` points, the newest ones).
   * Of one connector (`connectorId`): its points. Otherwise, over `connectorIds` (every connector without it):
   * one point per UTC day, summing each connector's latest point by the end of that day (carried forward from
   * before `since` too), at the time of the day's newest point, with the score of the sums.
   */
  listCompliancePoints(q: { framework: string; connectorId?: string; connectorIds?: readonly string[]; since?: string; limit?: number }): Promise<ComplianceHistoryPoint[]>;

  // Image scans and vulnerabilities
  /** Stores an image's scan (packages kept for re-matching) and replaces its vulnerabilities. */
  putImageScan(scan: ImageScanRow, vulnerabilities: ImageVulnerabilityRow[]): Promise<void>;
  /** The scan of a digest, with its packages. */
  getImageScan(digest: string): Promise<ImageScanRow | undefined>;
  /** Digests whose vulnerabilities were matched against another database than `dbUpdatedAt` (all with no argument), oldest match first. */
  listImageScanDigests(q?: { notMatchedAt?: string; limit?: number }): Promise<string[]>;
  /** Replaces the vulnerabilities of a scanned image after matching its stored packages again; false when there is no scan. */
  rematchImage(digest: string, vulnerabilities: ImageVulnerabilityRow[], matchedAt: string, dbUpdatedAt: string | null): Promise<boolean>;
  /** Records the outcome of resolving and scanning a reference (an error keeps the digest of the last success). */
  putImageReference(r: ImageReferenceRow): Promise<void>;
  getImageReference(reference: string): Promise<ImageReferenceRow | undefined>;
  /** References by digest or status, ordered by reference. */
  listImageReferences(q?: { digest?: string; status?: ImageReferenceRow['status'] }): Promise<ImageReferenceRow[]>;
  /**
   * Recomputes which image references the connector's workloads and pods run (`runs` relations) and whether one
   * of them is exposed (a LoadBalancer or NodePort Service, or a Service an Ingress routes to, `exposes` it), from
   * its assets and relations; call after each sync. Returns how many references it runs.
   */
  refreshImageExposure(connectorId: string): Promise<number>;
  /**
   * Forgets images no connector claims any more (after a connector's data is purged): references that are neither
   * an image asset of a connector nor run by one, unless they resolve to a digest a claimed reference has (a tag of
   * an image still in use), then scans (with their vulnerabilities) whose digest no reference has.
   */
  pruneUnclaimedImages(): Promise<{ references: number; scans: number }>;
  /** By image: images whose workloads are exposed first, then running ones, then by severity counts. */
  listVulnerableImages(q?: VulnerabilityQuery): Promise<Page<VulnerableImage>>;
  /** By vulnerability: those in exposed images first, then in running images, then most severe. */
  summarizeVulnerabilities(q?: VulnerabilityQuery): Promise<Page<VulnerabilitySummary>>;
  /** Single rows (package, versions, layer) in images, most severe first. */
  listImageVulnerabilities(q?: VulnerabilityQuery): Promise<Page<ImageVulnerabilityRow>>;

  // Audit ingest: tokens, event journal, alerts, suppressions, detector state
  createIngestToken(t: { connectorId: string; name: string; prefix: string; tokenHash: string; createdBy: string }): Promise<IngestTokenRow>;
  getIngestTokenByHash(hash: string): Promise<IngestTokenRow | undefined>;
  getIngestToken(id: string): Promise<IngestTokenRow | undefined>;
  /** Oldest first; revoked tokens only with `includeRevoked`. */
  listIngestTokens(q: { connectorId?: string; includeRevoked?: boolean }): Promise<IngestTokenRow[]>;
  /** Revokes every active token of a connector; returns how many. */
  revokeIngestTokens(connectorId: string, at: string): Promise<number>;
  /** Revokes one token; false when there was none or it was already revoked. */
  revokeIngestToken(id: string, at: string): Promise<boolean>;
  touchIngestToken(id: string, at: string): Promise<void>;
  /**
   * Journals a connector's events in one transaction, skipping those already stored (same audit ID and stage).
   * `seqs` has the sequence number of each input event, undefined for duplicates.
   */
  journalAuditEvents(connectorId: string, events: readonly JournalInput[], receivedAt: string): Promise<{ accepted: number; duplicates: number; seqs: Array<number | undefined> }>;
  /** Journaled events not yet processed, oldest first. */
  pendingAuditEvents(limit: number): Promise<AuditEventRow[]>;
  auditEvents(seqs: readonly number[]): Promise<AuditEventRow[]>;
  /**
   * Commits one detection step atomically: marks its events processed, merges each occurrence into a new or
   * acknowledged alert of the same connector and key whose window is open (or raises a new one), links evidence,
   * counts suppression hits and saves detector states. Undefined, with nothing written, when another process
   * processed any of the events first.
   */
  commitAlertProcessing(p: AlertProcessing): Promise<{ created: AlertRow[]; merged: number } | undefined>;
  /** Deletes processed events received before `before` that no alert keeps as evidence; returns how many. */
  pruneAuditEvents(before: string): Promise<number>;
  loadDetectorStates(connectorId: string): Promise<Record<string, unknown>>;
  saveDetectorStates(connectorId: string, states: Readonly<Record<string, unknown>>): Promise<void>;
  listAlerts(q?: AlertListQuery): Promise<Page<AlertRow>>;
  getAlert(id: number): Promise<AlertRow | undefined>;
  /** Sequence numbers of the events kept as an alert's evidence (the first ones). */
  alertEventSeqs(id: number): Promise<number[]>;
  updateAlertStatus(id: number, s: { status: AlertStatus; by: string; at: string; reason: string | null }): Promise<AlertRow | undefined>;
  /** Alerts raised (first seen) since `since`, counted per hour or day and severity, oldest bucket first. */
  countAlerts(q: { since: string; until?: string; bucket: 'hour' | 'day'; connectorId?: string; connectorIds?: readonly string[] }): Promise<AlertCount[]>;
  /** Alerts counted by status and severity (the open ones of the dashboard), ordered by status and severity. */
  countAlertsByStatus(q?: { connectorId?: string; connectorIds?: readonly string[] }): Promise<Array<{ status: AlertStatus; severity: string; count: number }>>;
  createSuppression(s: NewSuppressionRow): Promise<SuppressionRow>;
  getSuppression(id: number): Promise<SuppressionRow | undefined>;
  /** Suppressions not removed (expired included), or all; those of a connector include the global ones. */
  listSuppressions(q?: { includeRemoved?: boolean; connectorId?: string }): Promise<SuppressionRow[]>;
  /** Suppressions in force at `at`: not removed, not expired. */
  activeSuppressions(at: string): Promise<SuppressionRow[]>;
  updateSuppression(id: number, patch: { reason?: string; owner?: string; expiresAt?: string | null }): Promise<SuppressionRow | undefined>;
  /** Marks a suppression removed (kept for the record); undefined when there is none in force. */
  removeSuppression(id: number, by: string, at: string): Promise<SuppressionRow | undefined>;

  // Role bindings: roles per connector (the `connectorIds` filters above take the connectors a caller may read)
  /** Grants `role` on the connector to the subject, replacing the role it had there. */
  putRoleBinding(b: Omit<RoleBindingRow, 'id' | 'createdAt'>): Promise<RoleBindingRow>;
  getRoleBinding(id: string): Promise<RoleBindingRow | undefined>;
  /** Ordered by connector, subject kind and subject id. */
  listRoleBindings(q?: { subjects?: readonly Subject[]; connectorId?: string }): Promise<RoleBindingRow[]>;
  deleteRoleBinding(id: string): Promise<boolean>;
  /** Sets whether a user or token holds its role globally (and, when given, the role); false when there is none. */
  setGlobalAccess(subject: Subject, globalAccess: boolean, role?: Role): Promise<boolean>;

  // Offboarding: the workflow state per connector, and every kind of data kept about a connector
  /** Starts the record of an offboarding; undefined when the connector already has one. */
  createOffboarding(o: Pick<OffboardingRow, 'connectorId' | 'connectorName' | 'connectorKind' | 'reason' | 'requestedBy' | 'steps' | 'report'>): Promise<OffboardingRow | undefined>;
  getOffboarding(connectorId: string): Promise<OffboardingRow | undefined>;
  /** Oldest first; `purgeDueAt`: only offboarded ones whose purge is due at that time. */
  listOffboardings(q?: { state?: OffboardingRow['state']; purgeDueAt?: string }): Promise<OffboardingRow[]>;
  updateOffboarding(connectorId: string, patch: Partial<Pick<OffboardingRow, 'state' | 'monitoringStoppedAt' | 'offboardedAt' | 'offboardedBy' | 'purgeAfter' | 'purgedAt' | 'steps' | 'report'>>): Promise<OffboardingRow | undefined>;
  /** Takes the offboarding's lease for `owner` until `until` unless another owner holds an unexpired one; true when taken. */
  claimOffboarding(connectorId: string, owner: string, until: string, now: string): Promise<boolean>;
  releaseOffboarding(connectorId: string, owner: string): Promise<void>;
  /** Latest asset, audit event and ingest activity of every connector that has any. */
  connectorActivity(): Promise<ConnectorActivityRow[]>;
  /** How many rows of each kind the store keeps about the connector. */
  countConnectorData(c: ConnectorRef): Promise<Record<ConnectorDataKind, number>>;
  /** One page of one kind of the connector's data, in a stable order (secrets and token hashes left out). */
  exportConnectorData(c: ConnectorRef, kind: ConnectorDataKind, q?: { limit?: number; cursor?: string }): Promise<Page<Record<string, unknown>>>;
  /**
   * Deletes, in one transaction, the connector and everything kept about it except its (revoked) ingest
   * tokens, which make ingest answer 410 Gone, and the audit trail; returns how many rows of each kind went.
   */
  purgeConnectorData(c: ConnectorRef): Promise<Record<ConnectorDataKind, number>>;
}
