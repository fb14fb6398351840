import { randomUUID } from 'node:crypto';
import { MIGRATIONS, type Migration } from '../migrations/index.js';
import type { AlertStatus, JournalInput } from '../audit/types.js';
import { MAX_ALERT_AUDIT_IDS, MAX_ALERT_EVENTS } from '../audit/store.js';
import type {
  AlertCount,
  AlertListQuery,
  AlertProcessing,
  AlertRow,
  ApiTokenRow,
  AuditEventRow,
  RoleBindingRow,
  Subject,
  AssetRelationRow,
  AssetRow,
  AuditEntry,
  ConnectorRow,
  ExemptionRow,
  FindingRow,
  StoredFix,
  FindingSummary,
  ImageReferenceRow,
  ImageScanRow,
  ImageVulnerabilityRow,
  IngestTokenRow,
  MigrationStatus,
  NewSuppressionRow,
  NewAuditEntry,
  Page,
  Role,
  ScorePoint,
  CompliancePoint,
  SessionRow,
  Store,
  SuppressionRow,
  UserRow,
  VulnerabilityQuery,
  VulnerabilitySummary,
  VulnerableImage,
} from '../store.js';
import type { SqlDriver } from './driver.js';
import { complianceScore, type ComplianceHistoryPoint } from '../../model/compliance.js';
import { CONNECTOR_DATA_KINDS, type ConnectorActivityRow, type ConnectorDataKind, type ConnectorRef, type OffboardingRow } from '../store.js';

type Row = Record<string, unknown>;

const DEFAULT_LIMIT = 100;
/** Rows per multi-row upsert: 500 rows of 8 columns stay far below both databases' parameter limits. */
const UPSERT_BATCH = 500;
const MAX_LIMIT = 1000;

/** ISO-8601 UTC with milliseconds: one spelling, so SQLite's text comparisons order times correctly. */
function iso(v: string | Date): string {
  return (v instanceof Date ? v : new Date(v)).toISOString();
}

function isoOrNull(v: unknown): string | null {
  return v === null || v === undefined ? null : iso(v as string | Date);
}

/** SQLite hands back JSON as text, PostgreSQL's jsonb as a value. */
function json(v: unknown): unknown {
  return typeof v === 'string' ? JSON.parse(v) : (v ?? null);
}

function limitOf(n: number | undefined): number {
  return Math.min(Math.max(1, Math.trunc(n ?? DEFAULT_LIMIT)), MAX_LIMIT);
}

/** SQLite keeps booleans as 0/1, PostgreSQL as booleans; a row from before migration 5 has none (true). */
function bool(v: unknown): boolean {
  return v === undefined || v === null ? true : v === true || v === 1 || v === '1';
}

function toUser(r: Row): UserRow {
  return { id: r.id as string, username: r.username as string, role: r.role as Role, passwordHash: r.password_hash as string, createdAt: iso(r.created_at as string), globalAccess: bool(r.global_access) };
}

function toToken(r: Row): ApiTokenRow {
  return {
    id: r.id as string,
    name: r.name as string,
    prefix: r.prefix as string,
    tokenHash: r.token_hash as string,
    role: r.role as Role,
    userId: r.user_id as string,
    createdAt: iso(r.created_at as string),
    expiresAt: isoOrNull(r.expires_at),
    lastUsedAt: isoOrNull(r.last_used_at),
    revokedAt: isoOrNull(r.revoked_at),
    globalAccess: bool(r.global_access),
  };
}

function toAudit(r: Row): AuditEntry {
  return {
    id: Number(r.id),
    at: iso(r.at as string),
    actor: r.actor as string,
    action: r.action as string,
    target: r.target as string,
    source: (r.source as string | null) ?? null,
    before: json(r.before_summary),
    after: json(r.after_summary),
  };
}

function toConnector(r: Row): ConnectorRow {
  return {
    id: r.id as string,
    kind: r.kind as string,
    name: r.name as string,
    config: json(r.config) as Record<string, unknown>,
    secrets: (r.secrets as string | null) ?? null,
    createdAt: iso(r.created_at as string),
    updatedAt: iso(r.updated_at as string),
  };
}

function toAsset(r: Row): AssetRow {
  return {
    id: r.id as string,
    connectorId: (r.connector_id as string | null) ?? null,
    type: r.type as string,
    key: r.key as string,
    attributes: json(r.attributes) as Record<string, unknown>,
    firstSeen: iso(r.first_seen as string),
    lastSeen: iso(r.last_seen as string),
  };
}

function toFinding(r: Row): FindingRow {
  return {
    id: r.id as string,
    assetId: r.asset_id as string,
    checkId: r.check_id as string,
    severity: r.severity as string,
    path: r.path as string,
    message: r.message as string,
    firstSeen: iso(r.first_seen as string),
    lastSeen: iso(r.last_seen as string),
    fix: typeof r.fix === 'string' ? (JSON.parse(r.fix) as StoredFix) : null,
  };
}

function toExemption(r: Row): ExemptionRow {
  return {
    id: r.id as string,
    scope: r.scope as string,
    checkId: r.check_id as string,
    reason: r.reason as string,
    owner: r.owner as string,
    expiresAt: isoOrNull(r.expires_at),
    createdBy: r.created_by as string,
    createdAt: iso(r.created_at as string),
  };
}

function toIngestToken(r: Row): IngestTokenRow {
  return {
    id: r.id as string,
    connectorId: r.connector_id as string,
    name: r.name as string,
    prefix: r.prefix as string,
    tokenHash: r.token_hash as string,
    createdBy: r.created_by as string,
    createdAt: iso(r.created_at as string),
    revokedAt: isoOrNull(r.revoked_at),
    lastUsedAt: isoOrNull(r.last_used_at),
  };
}

function toAuditEvent(r: Row): AuditEventRow {
  return { seq: Number(r.seq), connectorId: r.connector_id as string, receivedAt: iso(r.received_at as string), format: r.format as string, body: r.body as string };
}

function toAlert(r: Row): AlertRow {
  const a: AlertRow = {
    id: Number(r.id),
    connectorId: r.connector_id as string,
    status: r.status as AlertStatus,
    ruleId: r.rule_id as string,
    slug: r.slug as string,
    title: r.title as string,
    severity: r.severity as AlertRow['severity'],
    output: r.output as string,
    entities: json(r.entities) as AlertRow['entities'],
    mitre: json(r.mitre) as AlertRow['mitre'],
    equivalents: json(r.equivalents) as AlertRow['equivalents'],
    source: json(r.source) as AlertRow['source'],
    auditIds: json(r.audit_ids) as string[],
    count: Number(r.count),
    firstSeen: iso(r.first_seen as string),
    lastSeen: iso(r.last_seen as string),
    createdAt: iso(r.created_at as string),
    updatedAt: iso(r.updated_at as string),
  };
  if (r.status_by != null) a.statusBy = r.status_by as string;
  if (r.status_at != null) a.statusAt = iso(r.status_at as string);
  if (r.status_reason != null) a.statusReason = r.status_reason as string;
  return a;
}

function toSuppressionRow(r: Row): SuppressionRow {
  const s: SuppressionRow = {
    id: Number(r.id),
    reason: r.reason as string,
    owner: r.owner as string,
    createdBy: r.created_by as string,
    createdAt: iso(r.created_at as string),
    matchCount: Number(r.match_count),
  };
  // Absent fields stay absent (not null): matching treats a present field as a condition.
  const text: Array<[keyof SuppressionRow, string]> = [
    ['connectorId', 'connector_id'],
    ['rule', 'rule'],
    ['user', 'user_name'],
    ['namespace', 'namespace'],
    ['resource', 'resource'],
    ['sourceIp', 'source_ip'],
    ['removedBy', 'removed_by'],
  ];
  const times: Array<[keyof SuppressionRow, string]> = [
    ['expiresAt', 'expires_at'],
    ['removedAt', 'removed_at'],
    ['lastMatchedAt', 'last_matched_at'],
  ];
  const out = s as unknown as Record<string, unknown>;
  for (const [k, col] of text) if (r[col] != null) out[k] = r[col];
  for (const [k, col] of times) if (r[col] != null) out[k] = iso(r[col] as string);
  return s;
}

/** Hour (`2026-01-02T13`) of an ISO time: the bucket alerts are counted in. */
function hourOf(t: string): string {
  return iso(t).slice(0, 13);
}

/** Thrown inside a detection step's transaction when another process processed its events first. */
class ClaimLost extends Error {}

/** An alert a detection step may grow: a stored open one (with its id), or one the step creates. */
interface OpenAlert {
  id?: number;
  firstSeen: string;
  windowEnd: string;
  lastSeen: string;
  auditIds: string[];
  /** Events added by this step. */
  count: number;
  /** Journal sequence numbers of this step's events, for evidence. */
  links: number[];
}

/** `?, ?, ?` for an IN list. */
function marks(n: number): string {
  return Array(n).fill('?').join(', ');
}

/** Severities, most severe first, and their rank (larger is more severe), as the vulnerability tables store it. */
const SEVERITY_ORDER = ['critical', 'high', 'medium', 'low', 'info'];

function severityRankOf(s: string): number {
  const i = SEVERITY_ORDER.indexOf(s);
  return i < 0 ? 0 : SEVERITY_ORDER.length - i;
}

function severityOfRank(rank: number): string {
  return SEVERITY_ORDER[SEVERITY_ORDER.length - rank] ?? 'unknown';
}

/** {@link severityRankOf} of `f.severity` in SQL, for totals computed in the database. */
const SEVERITY_RANK_SQL = `CASE f.severity ${SEVERITY_ORDER.map((s) => `WHEN '${s}' THEN ${severityRankOf(s)}`).join(' ')} ELSE 0 END`;

/** The by-CVE totals over `image_vulnerabilities v` joined to `image_flags g` (see exposureCtes), before `WHERE` and `GROUP BY v.vuln_id`. */
const VULNERABILITY_TOTALS = `SELECT v.vuln_id, MAX(v.severity_rank) AS severity_rank, MAX(v.title) AS title, COUNT(DISTINCT v.digest) AS images,
    COUNT(DISTINCT CASE WHEN g.running = 1 THEN v.digest END) AS running_images, COUNT(DISTINCT CASE WHEN g.exposed = 1 THEN v.digest END) AS exposed_images
  FROM image_vulnerabilities v JOIN image_flags g ON g.digest = v.digest`;

/** The order of the `(vuln_id, package, fixed_version)` rows {@link packagesByVulnerability} reads. */
const VULNERABILITY_DETAIL_ORDER = 'ORDER BY vuln_id, package, fixed_version';

/** Each vulnerability's packages and fixed versions, once each, in the order of {@link VULNERABILITY_DETAIL_ORDER}. */
function packagesByVulnerability(rows: Row[]): Map<string, { packages: string[]; fixedVersions: string[] }> {
  const out = new Map<string, { packages: string[]; fixedVersions: string[] }>();
  for (const r of rows) {
    let d = out.get(r.vuln_id as string);
    if (!d) out.set(r.vuln_id as string, (d = { packages: [], fixedVersions: [] }));
    if (!d.packages.includes(r.package as string)) d.packages.push(r.package as string);
    const fixed = r.fixed_version as string | null;
    if (fixed !== null && !d.fixedVersions.includes(fixed)) d.fixedVersions.push(fixed);
  }
  return out;
}

/** A row of the by-CVE totals (live, or kept in `vulnerability_summary`) with its packages and fixed versions. */
function toVulnerabilitySummary(r: Row, d: { packages: string[]; fixedVersions: string[] } = { packages: [], fixedVersions: [] }): VulnerabilitySummary {
  return {
    vulnId: r.vuln_id as string,
    severity: severityOfRank(Number(r.severity_rank)),
    title: (r.title as string | null) ?? null,
    images: Number(r.images),
    runningImages: Number(r.running_images),
    exposedImages: Number(r.exposed_images),
    packages: d.packages,
    fixedVersions: d.fixedVersions,
  };
}

/** Views ordered by computed columns page by offset: the cursor is the offset of the next page. */
function offsetOf(cursor: string | undefined): number {
  const n = Number(cursor ?? 0);
  return Number.isInteger(n) && n > 0 ? n : 0;
}

function toImageScan(r: Row): ImageScanRow {
  return {
    digest: r.digest as string,
    reference: r.reference as string,
    platform: (r.platform as string | null) ?? null,
    os: json(r.os),
    packages: json(r.packages) as unknown[],
    layers: json(r.layers) as unknown[],
    packageCount: Number(r.package_count),
    scannedAt: iso(r.scanned_at as string),
    matchedAt: iso(r.matched_at as string),
    dbUpdatedAt: (r.db_updated_at as string | null) ?? null,
  };
}

function toImageVulnerability(r: Row): ImageVulnerabilityRow {
  return {
    digest: r.digest as string,
    vulnId: r.vuln_id as string,
    package: r.package as string,
    installedVersion: r.installed_version as string,
    packagePath: r.package_path as string,
    ecosystem: r.ecosystem as string,
    fixedVersion: (r.fixed_version as string | null) ?? null,
    status: r.status as string,
    severity: r.severity as string,
    title: (r.title as string | null) ?? null,
    aliases: json(r.aliases) as string[],
    primaryUrl: (r.primary_url as string | null) ?? null,
    layer: r.layer_digest ? { digest: r.layer_digest as string, index: Number(r.layer_index), createdBy: (r.layer_created_by as string | null) ?? null } : null,
  };
}

function toImageReference(r: Row): ImageReferenceRow {
  return {
    reference: r.reference as string,
    digest: (r.digest as string | null) ?? null,
    status: r.status as ImageReferenceRow['status'],
    errorCode: (r.error_code as string | null) ?? null,
    error: (r.error as string | null) ?? null,
    attemptedAt: iso(r.attempted_at as string),
    succeededAt: isoOrNull(r.succeeded_at),
  };
}

function toOffboarding(r: Row): OffboardingRow {
  return {
    connectorId: r.connector_id as string,
    connectorName: r.connector_name as string,
    connectorKind: r.connector_kind as string,
    state: r.state as OffboardingRow['state'],
    reason: r.reason as string,
    requestedBy: r.requested_by as string,
    startedAt: iso(r.started_at as string),
    updatedAt: iso(r.updated_at as string),
    monitoringStoppedAt: isoOrNull(r.monitoring_stopped_at),
    offboardedAt: isoOrNull(r.offboarded_at),
    offboardedBy: (r.offboarded_by as string | null) ?? null,
    purgeAfter: isoOrNull(r.purge_after),
    purgedAt: isoOrNull(r.purged_at),
    steps: json(r.steps) as Record<string, unknown>,
    report: json(r.report) as Record<string, unknown>,
  };
}

/**
 * Where each kind of a connector's data lives: its table, the condition that selects the connector's rows, a
 * unique key to page by, and the row as exported (secrets and token hashes never leave the store this way).
 */
function connectorData(c: ConnectorRef, kind: ConnectorDataKind): { table: string; cond: string; params: unknown[]; key: string; numeric?: boolean; map: (r: Row) => Record<string, unknown> } {
  const ofAssets = 'SELECT id FROM assets WHERE connector_id = ?';
  switch (kind) {
    case 'connector':
      return {
        table: 'connectors',
        cond: 'id = ?',
        params: [c.id],
        key: 'id',
        map: (r) => {
          const { secrets, ...rest } = toConnector(r);
          return { ...rest, hasCredentials: secrets !== null };
        },
      };
    case 'assets':
      return { table: 'assets', cond: 'connector_id = ?', params: [c.id], key: 'id', map: (r) => ({ ...toAsset(r) }) };
    case 'relations':
      return {
        table: 'asset_relations',
        cond: `from_asset IN (${ofAssets}) OR to_asset IN (${ofAssets})`,
        params: [c.id, c.id],
        key: "(from_asset || '|' || to_asset || '|' || kind)",
        map: (r) => ({ fromAsset: r.from_asset as string, toAsset: r.to_asset as string, kind: r.kind as string }),
      };
    case 'findings':
      return { table: 'findings', cond: `asset_id IN (${ofAssets})`, params: [c.id], key: 'id', map: (r) => ({ ...toFinding(r) }) };
    case 'scores':
      return { table: 'score_history', cond: 'scope IN (?, ?)', params: [`connector:${c.id}`, `cluster:${c.id}`], key: 'id', numeric: true, map: (r) => ({ scope: r.scope as string, at: iso(r.at as string), score: Number(r.score) }) };
    case 'compliance-history':
      return { table: 'compliance_history', cond: 'connector_id = ?', params: [c.id], key: "(framework || '|' || hour)", map: (r) => ({ connectorId: r.connector_id as string, framework: r.framework as string, ...toCompliancePoint(r) }) };
    case 'exemptions':
      return {
        table: 'exemptions',
        cond: `scope = ? OR scope LIKE ? ESCAPE '\\' OR scope LIKE ? ESCAPE '\\' OR scope IN (SELECT 'asset:' || id FROM assets WHERE connector_id = ?)`,
        params: [`connector:${c.id}`, `namespace:${likeEscape(c.name)}/%`, `namespace:${likeEscape(c.id)}/%`, c.id],
        key: 'id',
        map: (r) => ({ ...toExemption(r) }),
      };
    case 'alerts':
      return { table: 'audit_alerts', cond: 'connector_id = ?', params: [c.id], key: 'id', numeric: true, map: (r) => ({ ...toAlert(r) }) };
    case 'alert-suppressions':
      return { table: 'alert_suppressions', cond: 'connector_id = ?', params: [c.id], key: 'id', numeric: true, map: (r) => ({ ...toSuppressionRow(r) }) };
    case 'audit-events':
      return {
        table: 'audit_events',
        cond: 'connector_id = ?',
        params: [c.id],
        key: 'seq',
        numeric: true,
        map: (r) => ({ ...toAuditEvent(r), eventTime: isoOrNull(r.event_time), auditId: (r.audit_id as string | null) ?? null, stage: r.stage as string, processedAt: isoOrNull(r.processed_at) }),
      };
    case 'detector-state':
      return { table: 'audit_detector_state', cond: 'connector_id = ?', params: [c.id], key: 'key', map: (r) => ({ connectorId: r.connector_id as string, key: r.key as string, value: json(r.value), updatedAt: iso(r.updated_at as string) }) };
    case 'ingest-tokens':
      return {
        table: 'ingest_tokens',
        cond: 'connector_id = ?',
        params: [c.id],
        key: 'id',
        map: (r) => {
          const { tokenHash: _hash, ...rest } = toIngestToken(r);
          return rest;
        },
      };
    case 'role-bindings':
      return { table: 'role_bindings', cond: 'connector_id = ?', params: [c.id], key: 'id', map: (r) => ({ ...toRoleBinding(r) }) };
    case 'audit-trail':
      return { table: 'audit_log', cond: 'target = ?', params: [`connector:${c.id}`], key: 'id', numeric: true, map: (r) => ({ ...toAudit(r) }) };
  }
}

/** `WHERE a = ? AND b = ?` and its parameters, from the conditions that apply (falsy entries are left out). */
function where(conds: Array<readonly [string, ...unknown[]] | false | undefined | '' | 0>): { sql: string; params: unknown[] } {
  const on = conds.filter((c): c is readonly [string, ...unknown[]] => Boolean(c));
  return { sql: on.length ? ` WHERE ${on.map((c) => c[0]).join(' AND ')}` : '', params: on.flatMap((c) => c.slice(1)) };
}

function toRoleBinding(r: Row): RoleBindingRow {
  return {
    id: r.id as string,
    subjectKind: r.subject_kind as Subject['kind'],
    subjectId: r.subject_id as string,
    connectorId: r.connector_id as string,
    role: r.role as Role,
    createdBy: r.created_by as string,
    createdAt: iso(r.created_at as string),
  };
}

/** `column IN (?, ...)` and its parameters for {@link where}; an empty list matches nothing. */
function inList(column: string, values: readonly unknown[]): readonly [string, ...unknown[]] {
  return values.length ? [`${column} IN (${values.map(() => '?').join(', ')})`, ...values] : ['1 = 0'];
}

/** `asset_id` of an asset of one of the connectors, for {@link where}. */
function assetsOfConnectors(ids: readonly string[]): readonly [string, ...unknown[]] {
  const [sql, ...params] = inList('connector_id', ids);
  return [`asset_id IN (SELECT id FROM assets WHERE ${sql})`, ...params];
}

/** A compliance history row as the store answers it. */
function toCompliancePoint(r: Row): ComplianceHistoryPoint {
  return { at: iso(r.at as string), passed: Number(r.passed), failed: Number(r.failed), notApplicable: Number(r.not_applicable), manual: Number(r.manual), score: r.score === null || r.score === undefined ? null : Number(r.score) };
}

/** Escapes the wildcards of LIKE (with `ESCAPE '\\'`), so user text matches literally. */
function likeEscape(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** The last of each identity, in first-seen order: the rows one upsert statement may touch once each. */
function dedupe<T>(items: T[], identity: (item: T) => string): T[] {
  return [...new Map(items.map((i) => [identity(i), i])).values()];
}

/** A page of rows ordered by a unique key: one row more than asked tells whether a next page exists. */
function page<T>(rows: Row[], limit: number, map: (r: Row) => T, key: (r: Row) => string): Page<T> {
  const more = rows.length > limit;
  const items = rows.slice(0, limit);
  return more ? { items: items.map(map), next: key(items[items.length - 1]) } : { items: items.map(map) };
}

/**
 * The one implementation of {@link Store} in SQL, shared by both dialects through {@link SqlDriver}.
 * Statements are written once in the common subset of SQLite and PostgreSQL (`ON CONFLICT`, `RETURNING`);
 * the schema differences live in the migrations.
 */
export class SqlStore implements Store {
  readonly dialect: 'sqlite' | 'postgres';

  constructor(
    private readonly db: SqlDriver,
    private readonly migrations: readonly Migration[] = MIGRATIONS,
  ) {
    this.dialect = db.dialect;
  }

  async migrate(): Promise<MigrationStatus> {
    await this.db.transaction(
      async (tx) => {
        await tx.exec('CREATE TABLE IF NOT EXISTS schema_migrations (id INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
        const done = new Set((await tx.all<{ id: number }>('SELECT id FROM schema_migrations')).map((r) => Number(r.id)));
        for (const m of [...this.migrations].sort((a, b) => a.id - b.id)) {
          if (done.has(m.id)) continue;
          await tx.exec(this.dialect === 'sqlite' ? m.sqlite : m.postgres);
          await tx.run('INSERT INTO schema_migrations (id, name, applied_at) VALUES (?, ?, ?)', [m.id, m.name, iso(new Date())]);
        }
      },
      { migrationLock: true },
    );
    return this.migrationStatus();
  }

  async migrationStatus(): Promise<MigrationStatus> {
    let applied: number[] = [];
    try {
      applied = (await this.db.all<{ id: number }>('SELECT id FROM schema_migrations ORDER BY id')).map((r) => Number(r.id));
    } catch {
      // No schema_migrations table yet: nothing applied.
    }
    const have = new Set(applied);
    return { applied, pending: this.migrations.map((m) => m.id).filter((id) => !have.has(id)) };
  }

  async ping(): Promise<void> {
    await this.db.all('SELECT 1 AS ok');
  }

  transaction<T>(fn: (tx: Store) => Promise<T>): Promise<T> {
    return this.db.transaction((tx) => fn(new SqlStore(tx, this.migrations)));
  }

  close(): Promise<void> {
    return this.db.close();
  }

  // Users, sessions, tokens

  async createUser(u: Omit<UserRow, 'id' | 'createdAt' | 'globalAccess'> & { globalAccess?: boolean }): Promise<UserRow> {
    const rows =
      u.globalAccess === false
        ? await this.db.all('INSERT INTO users (id, username, role, password_hash, created_at, global_access) VALUES (?, ?, ?, ?, ?, ?) RETURNING *', [randomUUID(), u.username, u.role, u.passwordHash, iso(new Date()), this.boolValue(false)])
        : await this.db.all('INSERT INTO users (id, username, role, password_hash, created_at) VALUES (?, ?, ?, ?, ?) RETURNING *', [randomUUID(), u.username, u.role, u.passwordHash, iso(new Date())]);
    return toUser(rows[0]);
  }

  async getUser(id: string): Promise<UserRow | undefined> {
    const [r] = await this.db.all('SELECT * FROM users WHERE id = ?', [id]);
    return r && toUser(r);
  }

  async getUserByName(username: string): Promise<UserRow | undefined> {
    const [r] = await this.db.all('SELECT * FROM users WHERE username = ?', [username]);
    return r && toUser(r);
  }

  async listUsers(): Promise<UserRow[]> {
    return (await this.db.all('SELECT * FROM users ORDER BY username')).map(toUser);
  }

  async countUsers(): Promise<number> {
    const [r] = await this.db.all<{ n: number | string }>('SELECT COUNT(*) AS n FROM users');
    return Number(r.n);
  }

  async setUserPassword(id: string, passwordHash: string): Promise<void> {
    await this.db.run('UPDATE users SET password_hash = ? WHERE id = ?', [passwordHash, id]);
  }

  async deleteUser(id: string): Promise<boolean> {
    return (await this.db.run('DELETE FROM users WHERE id = ?', [id])) > 0;
  }

  async createSession(s: SessionRow): Promise<void> {
    await this.db.run('INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)', [s.tokenHash, s.userId, iso(s.createdAt), iso(s.expiresAt)]);
  }

  async getSession(tokenHash: string): Promise<SessionRow | undefined> {
    const [r] = await this.db.all('SELECT * FROM sessions WHERE token_hash = ?', [tokenHash]);
    return r && { tokenHash: r.token_hash as string, userId: r.user_id as string, createdAt: iso(r.created_at as string), expiresAt: iso(r.expires_at as string) };
  }

  async deleteSession(tokenHash: string): Promise<void> {
    await this.db.run('DELETE FROM sessions WHERE token_hash = ?', [tokenHash]);
  }

  deleteExpiredSessions(now: string): Promise<number> {
    return this.db.run('DELETE FROM sessions WHERE expires_at <= ?', [iso(now)]);
  }

  async createApiToken(t: Omit<ApiTokenRow, 'createdAt' | 'lastUsedAt' | 'revokedAt' | 'globalAccess'> & { globalAccess?: boolean }): Promise<ApiTokenRow> {
    const rows =
      t.globalAccess === false
        ? await this.db.all(
            'INSERT INTO api_tokens (id, name, prefix, token_hash, role, user_id, created_at, expires_at, global_access) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *',
            [t.id, t.name, t.prefix, t.tokenHash, t.role, t.userId, iso(new Date()), isoOrNull(t.expiresAt), this.boolValue(false)],
          )
        : await this.db.all(
            'INSERT INTO api_tokens (id, name, prefix, token_hash, role, user_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING *',
            [t.id, t.name, t.prefix, t.tokenHash, t.role, t.userId, iso(new Date()), isoOrNull(t.expiresAt)],
          );
    return toToken(rows[0]);
  }

  async getApiTokenByHash(tokenHash: string): Promise<ApiTokenRow | undefined> {
    const [r] = await this.db.all('SELECT * FROM api_tokens WHERE token_hash = ?', [tokenHash]);
    return r && toToken(r);
  }

  async getApiToken(id: string): Promise<ApiTokenRow | undefined> {
    const [r] = await this.db.all('SELECT * FROM api_tokens WHERE id = ?', [id]);
    return r && toToken(r);
  }

  async listApiTokens(filter: { userId?: string } = {}): Promise<ApiTokenRow[]> {
    const rows = filter.userId
      ? await this.db.all('SELECT * FROM api_tokens WHERE user_id = ? ORDER BY created_at, id', [filter.userId])
      : await this.db.all('SELECT * FROM api_tokens ORDER BY created_at, id');
    return rows.map(toToken);
  }

  async touchApiToken(id: string, at: string, unlessSince?: string): Promise<void> {
    if (unlessSince) await this.db.run('UPDATE api_tokens SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)', [iso(at), id, iso(unlessSince)]);
    else await this.db.run('UPDATE api_tokens SET last_used_at = ? WHERE id = ?', [iso(at), id]);
  }

  async revokeApiToken(id: string, at: string): Promise<boolean> {
    return (await this.db.run('UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL', [iso(at), id])) > 0;
  }

  // Audit trail

  async appendAudit(e: NewAuditEntry): Promise<AuditEntry> {
    const rows = await this.db.all(
      'INSERT INTO audit_log (at, actor, action, target, source, before_summary, after_summary) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING *',
      [iso(new Date()), e.actor, e.action, e.target, e.source ?? null, e.before === undefined ? null : JSON.stringify(e.before), e.after === undefined ? null : JSON.stringify(e.after)],
    );
    return toAudit(rows[0]);
  }

  async listAudit(q: { limit?: number; cursor?: string; action?: string } = {}): Promise<Page<AuditEntry>> {
    const limit = limitOf(q.limit);
    const w = where([q.cursor && ['id < ?', Number(q.cursor)], q.action && ['action = ?', q.action]]);
    const rows = await this.db.all(`SELECT * FROM audit_log${w.sql} ORDER BY id DESC LIMIT ?`, [...w.params, limit + 1]);
    return page(rows, limit, toAudit, (r) => String(r.id));
  }

  // Connectors

  async createConnector(c: Omit<ConnectorRow, 'id' | 'createdAt' | 'updatedAt'>): Promise<ConnectorRow> {
    const now = iso(new Date());
    const rows = await this.db.all('INSERT INTO connectors (id, kind, name, config, secrets, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING *', [
      randomUUID(),
      c.kind,
      c.name,
      JSON.stringify(c.config),
      c.secrets,
      now,
      now,
    ]);
    return toConnector(rows[0]);
  }

  async getConnector(id: string): Promise<ConnectorRow | undefined> {
    const [r] = await this.db.all('SELECT * FROM connectors WHERE id = ?', [id]);
    return r && toConnector(r);
  }

  async listConnectors(): Promise<ConnectorRow[]> {
    return (await this.db.all('SELECT * FROM connectors ORDER BY name')).map(toConnector);
  }

  async updateConnector(id: string, patch: Partial<Pick<ConnectorRow, 'name' | 'config' | 'secrets'>>): Promise<ConnectorRow | undefined> {
    const cur = await this.getConnector(id);
    if (!cur) return undefined;
    const next = { ...cur, ...patch };
    const rows = await this.db.all('UPDATE connectors SET name = ?, config = ?, secrets = ?, updated_at = ? WHERE id = ? RETURNING *', [next.name, JSON.stringify(next.config), next.secrets, iso(new Date()), id]);
    return toConnector(rows[0]);
  }

  async deleteConnector(id: string): Promise<boolean> {
    return (await this.db.run('DELETE FROM connectors WHERE id = ?', [id])) > 0;
  }

  // Inventory

  async upsertAssets(assets: Array<Omit<AssetRow, 'id' | 'firstSeen' | 'lastSeen'>>, seenAt: string): Promise<AssetRow[]> {
    const at = iso(seenAt);
    const identity = (a: { connectorId: string | null; type: string; key: string }) => JSON.stringify([a.connectorId ?? '', a.type, a.key]);
    const rows = await this.upsertBatches(
      dedupe(assets, identity),
      7,
      (values) => `INSERT INTO assets (id, connector_id, type, key, attributes, first_seen, last_seen) VALUES ${values}
         ON CONFLICT ((COALESCE(connector_id, '')), type, key) DO UPDATE SET attributes = excluded.attributes, last_seen = excluded.last_seen
         RETURNING *`,
      (a) => [randomUUID(), a.connectorId, a.type, a.key, JSON.stringify(a.attributes), at, at],
    );
    const byIdentity = new Map(rows.map((r) => [identity({ connectorId: r.connector_id as string | null, type: r.type as string, key: r.key as string }), toAsset(r)]));
    return assets.map((a) => byIdentity.get(identity(a))!);
  }

  async listAssets(q: { type?: string; connectorId?: string; connectorIds?: readonly string[]; namespace?: string; q?: string; limit?: number; cursor?: string } = {}): Promise<Page<AssetRow>> {
    const limit = limitOf(q.limit);
    const w = where([
      q.type && ['type = ?', q.type],
      q.connectorId && ['connector_id = ?', q.connectorId],
      q.connectorIds && inList('connector_id', q.connectorIds),
      q.namespace && ["key LIKE ? ESCAPE '\\'", `${likeEscape(q.namespace)}/%`],
      // The same prefix as a range, which the key index serves: SQLite compares text bytewise (BINARY), so the
      // range holds exactly the keys with the prefix; PostgreSQL's text_pattern_ops index serves the LIKE itself.
      q.namespace && this.dialect === 'sqlite' && ['key >= ? AND key < ?', `${q.namespace}/`, `${q.namespace}/\u{10FFFF}`],
      q.q && ["LOWER(key) LIKE ? ESCAPE '\\'", `%${likeEscape(q.q.toLowerCase())}%`],
      q.cursor && ['id > ?', q.cursor],
    ]);
    const rows = await this.db.all(`SELECT * FROM assets${w.sql} ORDER BY id LIMIT ?`, [...w.params, limit + 1]);
    return page(rows, limit, toAsset, (r) => r.id as string);
  }

  async getAsset(id: string): Promise<AssetRow | undefined> {
    const [r] = await this.db.all('SELECT * FROM assets WHERE id = ?', [id]);
    return r && toAsset(r);
  }

  async getAssets(ids: readonly string[]): Promise<AssetRow[]> {
    const unique = [...new Set(ids)];
    const out: AssetRow[] = [];
    for (let i = 0; i < unique.length; i += UPSERT_BATCH) {
      const [sql, ...params] = inList('id', unique.slice(i, i + UPSERT_BATCH));
      out.push(...(await this.db.all(`SELECT * FROM assets WHERE ${sql}`, params)).map(toAsset));
    }
    return out;
  }

  async countAssets(q: { by: 'type' | 'kind'; connectorId?: string; connectorIds?: readonly string[] }): Promise<Array<{ value: string; count: number }>> {
    const column = q.by === 'type' ? 'type' : this.dialect === 'postgres' ? "attributes->>'kind'" : "json_extract(attributes, '$.kind')";
    const w = where([q.by === 'kind' && [`${column} IS NOT NULL`], q.connectorId && ['connector_id = ?', q.connectorId], q.connectorIds && inList('connector_id', q.connectorIds)]);
    const rows = await this.db.all(`SELECT ${column} AS value, COUNT(*) AS n FROM assets${w.sql} GROUP BY ${column} ORDER BY n DESC, value`, w.params);
    return rows.map((r) => ({ value: String(r.value), count: Number(r.n) }));
  }

  async putRelations(relations: AssetRelationRow[]): Promise<void> {
    // Multi-row inserts, as upsertBatches: one round trip per 500 relations rather than per relation.
    await this.db.transaction(async (tx) => {
      for (let i = 0; i < relations.length; i += UPSERT_BATCH) {
        const batch = relations.slice(i, i + UPSERT_BATCH);
        await tx.run(`INSERT INTO asset_relations (from_asset, to_asset, kind) VALUES ${batch.map(() => '(?, ?, ?)').join(', ')} ON CONFLICT DO NOTHING`, batch.flatMap((r) => [r.fromAsset, r.toAsset, r.kind]));
      }
    });
  }

  async listRelations(assetId: string): Promise<AssetRelationRow[]> {
    const rows = await this.db.all('SELECT * FROM asset_relations WHERE from_asset = ? OR to_asset = ? ORDER BY kind, from_asset, to_asset', [assetId, assetId]);
    return rows.map((r) => ({ fromAsset: r.from_asset as string, toAsset: r.to_asset as string, kind: r.kind as string }));
  }

  // Findings

  async upsertFindings(findings: Array<Omit<FindingRow, 'id' | 'firstSeen' | 'lastSeen'>>, seenAt: string): Promise<FindingRow[]> {
    const at = iso(seenAt);
    const identity = (f: { assetId: string; checkId: string; path: string }) => JSON.stringify([f.assetId, f.checkId, f.path]);
    // The findings and the totals of their connectors change together, or not at all.
    const rows = await this.db.transaction(async (tx) => {
      const store = new SqlStore(tx, this.migrations);
      const written = await store.upsertBatches(
        dedupe(findings, identity),
        9,
        (values) => `INSERT INTO findings (id, asset_id, check_id, severity, path, message, first_seen, last_seen, fix) VALUES ${values}
           ON CONFLICT (asset_id, check_id, path) DO UPDATE SET severity = excluded.severity, message = excluded.message, last_seen = excluded.last_seen, fix = excluded.fix
           RETURNING *`,
        (f) => [randomUUID(), f.assetId, f.checkId, f.severity, f.path, f.message, at, at, f.fix ? JSON.stringify(f.fix) : null],
      );
      const assetIds = [...new Set(written.map((r) => r.asset_id as string))];
      const connectors = new Set<string | null>();
      for (let i = 0; i < assetIds.length; i += UPSERT_BATCH) {
        const batch = assetIds.slice(i, i + UPSERT_BATCH);
        for (const r of await tx.all(`SELECT DISTINCT connector_id FROM assets WHERE id IN (${marks(batch.length)})`, batch)) connectors.add(r.connector_id as string | null);
      }
      for (const c of connectors) await store.refreshFindingSummary(c);
      return written;
    });
    const byIdentity = new Map(rows.map((r) => [identity({ assetId: r.asset_id as string, checkId: r.check_id as string, path: r.path as string }), toFinding(r)]));
    return findings.map((f) => byIdentity.get(identity(f))!);
  }

  /**
   * Multi-row `INSERT ... ON CONFLICT ... RETURNING` in batches, in one transaction: one round trip per
   * batch instead of per row (about ten times faster on PostgreSQL). Rows must be unique by the conflict
   * key within the call (PostgreSQL refuses to update one row twice in a statement).
   */
  private async upsertBatches<T>(items: T[], columns: number, sql: (values: string) => string, params: (item: T) => unknown[]): Promise<Row[]> {
    const out: Row[] = [];
    const tuple = `(${Array(columns).fill('?').join(', ')})`;
    await this.db.transaction(async (tx) => {
      for (let i = 0; i < items.length; i += UPSERT_BATCH) {
        const batch = items.slice(i, i + UPSERT_BATCH);
        out.push(...(await tx.all(sql(batch.map(() => tuple).join(', ')), batch.flatMap(params))));
      }
    });
    return out;
  }

  async listFindings(q: { assetId?: string; checkId?: string; connectorId?: string; connectorIds?: readonly string[]; limit?: number; cursor?: string } = {}): Promise<Page<FindingRow>> {
    const limit = limitOf(q.limit);
    // The findings of a check are read in id order from `findings_check_page`, except for one connector's: its
    // assets are a small share, so SQLite (which keeps no statistics) reads them through its assets instead of
    // walking the whole check (the unary `+` keeps it off that index). PostgreSQL chooses by its statistics.
    const checkColumn = q.connectorId && this.dialect === 'sqlite' ? '+check_id' : 'check_id';
    const w = where([
      q.assetId && ['asset_id = ?', q.assetId],
      q.checkId && [`${checkColumn} = ?`, q.checkId],
      q.connectorId && ['asset_id IN (SELECT id FROM assets WHERE connector_id = ?)', q.connectorId],
      q.connectorIds && assetsOfConnectors(q.connectorIds),
      q.cursor && ['id > ?', q.cursor],
    ]);
    const rows = await this.db.all(`SELECT * FROM findings${w.sql} ORDER BY id LIMIT ?`, [...w.params, limit + 1]);
    return page(rows, limit, toFinding, (r) => r.id as string);
  }

  async listFindingAssets(q: { checkIds?: readonly string[]; connectorId?: string; connectorIds?: readonly string[] } = {}): Promise<Array<{ checkId: string; assetId: string }>> {
    const w = where([
      q.checkIds && inList('check_id', q.checkIds),
      q.connectorId && ['asset_id IN (SELECT id FROM assets WHERE connector_id = ?)', q.connectorId],
      q.connectorIds && assetsOfConnectors(q.connectorIds),
    ]);
    const rows = await this.db.all(`SELECT DISTINCT check_id, asset_id FROM findings${w.sql} ORDER BY check_id, asset_id`, w.params);
    return rows.map((r) => ({ checkId: r.check_id as string, assetId: r.asset_id as string }));
  }

  async pruneFindings(connectorId: string, before: string): Promise<number> {
    return this.db.transaction(async (tx) => {
      const gone = await tx.run('DELETE FROM findings WHERE last_seen < ? AND asset_id IN (SELECT id FROM assets WHERE connector_id = ?)', [iso(before), connectorId]);
      if (gone > 0) await new SqlStore(tx, this.migrations).refreshFindingSummary(connectorId);
      return gone;
    });
  }

  /**
   * Recomputes the per-check totals of one connector's findings (`null`: of assets outside any connector) from
   * its findings: a few thousand rows found through `assets_connector` and the findings' unique index, in
   * the caller's transaction. Totals of checks it no longer has go.
   */
  private async refreshFindingSummary(connectorId: string | null): Promise<void> {
    const of = connectorId === null ? 'connector_id IS NULL' : 'connector_id = ?';
    const params = connectorId === null ? [] : [connectorId];
    await this.db.run(`DELETE FROM finding_summary WHERE ${of}`, params);
    // ON CONFLICT: a concurrent writer of the same connector's findings (syncs of one connector are serialised,
    // other writers are not) refreshes the rows it inserted first rather than failing on the unique index.
    await this.db.run(
      `INSERT INTO finding_summary (connector_id, check_id, assets, findings, severity_rank, last_seen)
       SELECT a.connector_id, f.check_id, COUNT(DISTINCT f.asset_id), COUNT(*), MAX(${SEVERITY_RANK_SQL}), MAX(f.last_seen)
       FROM assets a JOIN findings f ON f.asset_id = a.id
       WHERE a.${of}
       GROUP BY a.connector_id, f.check_id
       ON CONFLICT ((COALESCE(connector_id, '')), check_id) DO UPDATE SET assets = excluded.assets, findings = excluded.findings, severity_rank = excluded.severity_rank, last_seen = excluded.last_seen`,
      params,
    );
  }

  async summarizeFindings(q: { connectorId?: string; connectorIds?: readonly string[] } = {}): Promise<FindingSummary[]> {
    const w = where([q.connectorId && ['asset_id IN (SELECT id FROM assets WHERE connector_id = ?)', q.connectorId], q.connectorIds && assetsOfConnectors(q.connectorIds)]);
    const rows = await this.db.all(
      `SELECT check_id, severity, COUNT(DISTINCT asset_id) AS assets, COUNT(*) AS findings, MAX(last_seen) AS last_seen FROM findings${w.sql} GROUP BY check_id, severity ORDER BY check_id, severity`,
      w.params,
    );
    return rows.map((r) => ({ checkId: r.check_id as string, severity: r.severity as string, assets: Number(r.assets), findings: Number(r.findings), lastSeen: iso(r.last_seen as string) }));
  }

  async summarizeChecks(q: { connectorId?: string; connectorIds?: readonly string[]; checkId?: string } = {}): Promise<FindingSummary[]> {
    const w = where([q.connectorId && ['connector_id = ?', q.connectorId], q.connectorIds && inList('connector_id', q.connectorIds), q.checkId && ['check_id = ?', q.checkId]]);
    // An asset belongs to one connector, so the distinct assets of a check add up across connectors.
    const rows = await this.db.all(
      `SELECT check_id, MAX(severity_rank) AS severity_rank, SUM(assets) AS assets, SUM(findings) AS findings, MAX(last_seen) AS last_seen FROM finding_summary${w.sql} GROUP BY check_id ORDER BY check_id`,
      w.params,
    );
    return rows.map((r) => ({ checkId: r.check_id as string, severity: severityOfRank(Number(r.severity_rank)), assets: Number(r.assets), findings: Number(r.findings), lastSeen: iso(r.last_seen as string) }));
  }

  // Exemptions

  async createExemption(e: Omit<ExemptionRow, 'id' | 'createdAt'>): Promise<ExemptionRow> {
    const rows = await this.db.all(
      'INSERT INTO exemptions (id, scope, check_id, reason, owner, expires_at, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING *',
      [randomUUID(), e.scope, e.checkId, e.reason, e.owner, isoOrNull(e.expiresAt), e.createdBy, iso(new Date())],
    );
    return toExemption(rows[0]);
  }

  async getExemption(id: string): Promise<ExemptionRow | undefined> {
    const [r] = await this.db.all('SELECT * FROM exemptions WHERE id = ?', [id]);
    return r && toExemption(r);
  }

  async listExemptions(q: { scope?: string; activeAt?: string } = {}): Promise<ExemptionRow[]> {
    const w = where([q.scope && ['scope = ?', q.scope], q.activeAt && ['(expires_at IS NULL OR expires_at > ?)', iso(q.activeAt)]]);
    const rows = await this.db.all(`SELECT * FROM exemptions${w.sql} ORDER BY created_at, id`, w.params);
    return rows.map(toExemption);
  }

  async deleteExemption(id: string): Promise<boolean> {
    return (await this.db.run('DELETE FROM exemptions WHERE id = ?', [id])) > 0;
  }

  // Score

  async appendScore(p: ScorePoint): Promise<void> {
    await this.db.run('INSERT INTO score_history (scope, at, score) VALUES (?, ?, ?)', [p.scope, iso(p.at), p.score]);
  }

  async listScores(q: { scope?: string; since?: string; limit?: number }): Promise<ScorePoint[]> {
    const w = where([q.scope && ['scope = ?', q.scope], q.since && ['at >= ?', iso(q.since)]]);
    const rows = await this.db.all(`SELECT scope, at, score FROM score_history${w.sql} ORDER BY at, id LIMIT ?`, [...w.params, limitOf(q.limit ?? MAX_LIMIT)]);
    return rows.map((r) => ({ scope: r.scope as string, at: iso(r.at as string), score: Number(r.score) }));
  }

  async dailyScores(q: { scopes: readonly string[]; since: string }): Promise<ScorePoint[]> {
    if (q.scopes.length === 0) return [];
    const day = this.dialect === 'postgres' ? "to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD')" : 'substr(at, 1, 10)';
    const [scopes, ...params] = inList('scope', q.scopes);
    const rows = await this.db.all(
      `SELECT scope, at, score FROM (
         SELECT scope, at, score, ROW_NUMBER() OVER (PARTITION BY scope, ${day} ORDER BY at DESC, id DESC) AS n
         FROM score_history WHERE ${scopes} AND at >= ?) d
       WHERE n = 1 ORDER BY at, scope`,
      [...params, iso(q.since)],
    );
    return rows.map((r) => ({ scope: r.scope as string, at: iso(r.at as string), score: Number(r.score) }));
  }

  async latestScores(): Promise<ScorePoint[]> {
    const rows = await this.db.all(
      `SELECT s.scope, s.at, s.score FROM score_history s
       WHERE s.id = (SELECT t.id FROM score_history t WHERE t.scope = s.scope ORDER BY t.at DESC, t.id DESC LIMIT 1)
       ORDER BY s.scope`,
    );
    return rows.map((r) => ({ scope: r.scope as string, at: iso(r.at as string), score: Number(r.score) }));
  }

  // Compliance history

  async appendCompliancePoints(points: readonly CompliancePoint[]): Promise<void> {
    // One row per connector, framework and hour: the newest point of a batch wins, and a stored point is
    // replaced only by a newer one (a late writer of an older sync does not overwrite a newer result).
    const rows = new Map<string, CompliancePoint & { hour: string }>();
    for (const p of points) {
      const at = iso(p.at);
      const key = `${p.connectorId}\u0000${p.framework}\u0000${at.slice(0, 13)}`;
      const prev = rows.get(key);
      if (!prev || prev.at <= at) rows.set(key, { ...p, at, hour: at.slice(0, 13) });
    }
    const items = [...rows.values()];
    await this.db.transaction(async (tx) => {
      for (let i = 0; i < items.length; i += UPSERT_BATCH) {
        const batch = items.slice(i, i + UPSERT_BATCH);
        await tx.run(
          `INSERT INTO compliance_history (connector_id, framework, hour, at, passed, failed, not_applicable, manual, score) VALUES ${batch.map(() => '(?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}
           ON CONFLICT (connector_id, framework, hour) DO UPDATE SET at = excluded.at, passed = excluded.passed, failed = excluded.failed, not_applicable = excluded.not_applicable, manual = excluded.manual, score = excluded.score
           WHERE excluded.at >= compliance_history.at`,
          batch.flatMap((p) => [p.connectorId, p.framework, p.hour, p.at, p.passed, p.failed, p.notApplicable, p.manual, p.score]),
        );
      }
    });
  }

  async listCompliancePoints(q: { framework: string; connectorId?: string; connectorIds?: readonly string[]; since?: string; limit?: number }): Promise<ComplianceHistoryPoint[]> {
    const limit = limitOf(q.limit ?? MAX_LIMIT);
    const since = q.since === undefined ? undefined : iso(q.since);
    if (q.connectorId !== undefined) {
      const w = where([['connector_id = ?', q.connectorId], ['framework = ?', q.framework], since !== undefined && ['at >= ?', since], q.connectorIds && inList('connector_id', q.connectorIds)]);
      const rows = await this.db.all(`SELECT * FROM compliance_history${w.sql} ORDER BY at DESC LIMIT ?`, [...w.params, limit]);
      return rows.reverse().map(toCompliancePoint);
    }
    // Across connectors: only each connector's last point of each day is read (and its last before `since`,
    // carried into the window), so the rows grow with connectors x days, not with the hourly points.
    const scope = where([['framework = ?', q.framework], q.connectorIds && inList('connector_id', q.connectorIds)]);
    const inWindow = since === undefined ? '' : ' AND at >= ?';
    const lastOfDay = `SELECT connector_id, MAX(hour) AS hour FROM compliance_history${scope.sql}${inWindow} GROUP BY connector_id, substr(hour, 1, 10)`;
    const carried = since === undefined ? '' : ` UNION ALL SELECT connector_id, MAX(hour) AS hour FROM compliance_history${scope.sql} AND at < ? GROUP BY connector_id`;
    const params = since === undefined ? [...scope.params] : [...scope.params, since, ...scope.params, since];
    const rows = await this.db.all(
      `SELECT h.* FROM compliance_history h JOIN (${lastOfDay}${carried}) d ON h.connector_id = d.connector_id AND h.hour = d.hour
       WHERE h.framework = ? ORDER BY h.at, h.connector_id`,
      [...params, q.framework],
    );
    const latest = new Map<string, ComplianceHistoryPoint>();
    const byDay = new Map<string, ComplianceHistoryPoint>();
    for (const r of rows) {
      const p = toCompliancePoint(r);
      latest.set(r.connector_id as string, p);
      if (since !== undefined && p.at < since) continue;
      const sum = { at: p.at, passed: 0, failed: 0, notApplicable: 0, manual: 0 };
      for (const l of latest.values()) {
        sum.passed += l.passed;
        sum.failed += l.failed;
        sum.notApplicable += l.notApplicable;
        sum.manual += l.manual;
      }
      byDay.set(p.at.slice(0, 10), { ...sum, score: complianceScore(sum.passed, sum.failed) });
    }
    return [...byDay.values()].slice(-limit);
  }

  // Audit ingest: tokens, event journal, alerts, suppressions, detector state

  async createIngestToken(t: { connectorId: string; name: string; prefix: string; tokenHash: string; createdBy: string }): Promise<IngestTokenRow> {
    const rows = await this.db.all('INSERT INTO ingest_tokens (id, connector_id, name, prefix, token_hash, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING *', [
      randomUUID(),
      t.connectorId,
      t.name,
      t.prefix,
      t.tokenHash,
      t.createdBy,
      iso(new Date()),
    ]);
    return toIngestToken(rows[0]);
  }

  async getIngestTokenByHash(hash: string): Promise<IngestTokenRow | undefined> {
    const [r] = await this.db.all('SELECT * FROM ingest_tokens WHERE token_hash = ?', [hash]);
    return r && toIngestToken(r);
  }

  async getIngestToken(id: string): Promise<IngestTokenRow | undefined> {
    const [r] = await this.db.all('SELECT * FROM ingest_tokens WHERE id = ?', [id]);
    return r && toIngestToken(r);
  }

  async listIngestTokens(q: { connectorId?: string; includeRevoked?: boolean } = {}): Promise<IngestTokenRow[]> {
    const w = where([q.connectorId && ['connector_id = ?', q.connectorId], !q.includeRevoked && ['revoked_at IS NULL', undefined]]);
    const rows = await this.db.all(`SELECT * FROM ingest_tokens${w.sql} ORDER BY created_at, id`, w.params.filter((p) => p !== undefined));
    return rows.map(toIngestToken);
  }

  revokeIngestTokens(connectorId: string, at: string): Promise<number> {
    return this.db.run('UPDATE ingest_tokens SET revoked_at = ? WHERE connector_id = ? AND revoked_at IS NULL', [iso(at), connectorId]);
  }

  async revokeIngestToken(id: string, at: string): Promise<boolean> {
    return (await this.db.run('UPDATE ingest_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL', [iso(at), id])) > 0;
  }

  async touchIngestToken(id: string, at: string): Promise<void> {
    await this.db.run('UPDATE ingest_tokens SET last_used_at = ? WHERE id = ?', [iso(at), id]);
  }

  journalAuditEvents(connectorId: string, events: readonly JournalInput[], receivedAt: string): Promise<{ accepted: number; duplicates: number; seqs: Array<number | undefined> }> {
    const at = iso(receivedAt);
    const values = (e: JournalInput) => [connectorId, at, e.eventTime ? iso(e.eventTime) : null, e.auditId ?? null, e.stage, e.format, e.body];
    const identity = (e: { auditId?: string | null; stage: string }) => JSON.stringify([e.auditId, e.stage]);
    return this.db.transaction(async (tx) => {
      // Events with an audit ID go in multi-row statements (a few round trips per batch, not one per event); the
      // first of each audit ID and stage in the batch is the one stored, the rest and those stored before are duplicates.
      const first = new Map<string, JournalInput>();
      for (const e of events) if (e.auditId !== undefined && !first.has(identity(e))) first.set(identity(e), e);
      const keyed = [...first.values()];
      const rows = await new SqlStore(tx, this.migrations).upsertBatches(
        keyed,
        7,
        (v) => `INSERT INTO audit_events (connector_id, received_at, event_time, audit_id, stage, format, body) VALUES ${v} ON CONFLICT DO NOTHING RETURNING seq, audit_id, stage`,
        values,
      );
      const stored = new Map(rows.map((r) => [identity({ auditId: r.audit_id as string, stage: r.stage as string }), Number(r.seq)]));
      const seqs: Array<number | undefined> = [];
      for (const e of events) {
        if (e.auditId === undefined) {
          const [r] = await tx.all('INSERT INTO audit_events (connector_id, received_at, event_time, audit_id, stage, format, body) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING seq', values(e));
          seqs.push(Number(r.seq));
        } else seqs.push(first.get(identity(e)) === e ? stored.get(identity(e)) : undefined);
      }
      const accepted = seqs.filter((x) => x !== undefined).length;
      return { accepted, duplicates: events.length - accepted, seqs };
    });
  }

  async pendingAuditEvents(limit: number): Promise<AuditEventRow[]> {
    const rows = await this.db.all('SELECT seq, connector_id, received_at, format, body FROM audit_events WHERE processed_at IS NULL ORDER BY seq LIMIT ?', [Math.max(1, Math.trunc(limit))]);
    return rows.map(toAuditEvent);
  }

  async auditEvents(seqs: readonly number[]): Promise<AuditEventRow[]> {
    if (seqs.length === 0) return [];
    const rows = await this.db.all(`SELECT seq, connector_id, received_at, format, body FROM audit_events WHERE seq IN (${seqs.map(() => '?').join(', ')}) ORDER BY seq`, [...seqs]);
    return rows.map(toAuditEvent);
  }

  async commitAlertProcessing(p: AlertProcessing): Promise<{ created: AlertRow[]; merged: number } | undefined> {
    try {
      return await this.db.transaction(async (tx) => {
        const now = iso(new Date());
        // Claim the events first: a row another process marked processed is not updated here, and the whole step rolls back.
        for (let i = 0; i < p.seqs.length; i += 500) {
          const part = p.seqs.slice(i, i + 500);
          const claimed = await tx.run(`UPDATE audit_events SET processed_at = ? WHERE processed_at IS NULL AND seq IN (${marks(part.length)})`, [now, ...part]);
          if (claimed !== part.length) throw new ClaimLost();
        }
        // Deduplicate in memory against the open alerts of the step's keys, so a step costs a few statements
        // whatever its number of occurrences: one read, one update per alert it grows, multi-row inserts.
        const open = new Map<string, OpenAlert[]>();
        const keys = [...new Set(p.occurrences.map((o) => o.dedupeKey))];
        for (let i = 0; i < keys.length; i += 500) {
          const part = keys.slice(i, i + 500);
          const rows = await tx.all(`SELECT id, connector_id, dedupe_key, audit_ids, first_seen, last_seen, window_end FROM audit_alerts WHERE status IN ('new', 'acknowledged') AND dedupe_key IN (${marks(part.length)}) ORDER BY id`, part);
          for (const r of rows) {
            const k = `${r.connector_id as string}\n${r.dedupe_key as string}`;
            const alert: OpenAlert = { id: Number(r.id), firstSeen: iso(r.first_seen as string), windowEnd: iso(r.window_end as string), lastSeen: iso(r.last_seen as string), auditIds: json(r.audit_ids) as string[], count: 0, links: [] };
            open.set(k, [...(open.get(k) ?? []), alert]);
          }
        }
        const fresh: Array<OpenAlert & { o: AlertProcessing['occurrences'][number] }> = [];
        let merged = 0;
        for (const o of p.occurrences) {
          const at = iso(o.at);
          const k = `${o.connectorId}\n${o.dedupeKey}`;
          const list = open.get(k) ?? [];
          // The newest open alert whose window holds the occurrence (stored ones by id, then this step's in order).
          const target = list.findLast((c) => c.firstSeen <= at && c.windowEnd >= at);
          if (target) {
            for (const x of o.alert.auditIds) if (target.auditIds.length < MAX_ALERT_AUDIT_IDS && !target.auditIds.includes(x)) target.auditIds.push(x);
            if (at > target.lastSeen) target.lastSeen = at;
            target.count += o.alert.count;
            if (o.eventSeq !== undefined) target.links.push(o.eventSeq);
            merged++;
            continue;
          }
          const alert = { o, firstSeen: at, windowEnd: iso(new Date(Date.parse(at) + p.windowMs)), lastSeen: at, auditIds: o.alert.auditIds.slice(0, MAX_ALERT_AUDIT_IDS), count: o.alert.count, links: o.eventSeq !== undefined ? [o.eventSeq] : [] };
          open.set(k, [...list, alert]);
          fresh.push(alert);
        }
        const grown = [...open.values()].flat().filter((c) => c.id !== undefined && c.count > 0);
        for (const c of grown) await tx.run('UPDATE audit_alerts SET count = count + ?, last_seen = ?, audit_ids = ?, updated_at = ? WHERE id = ?', [c.count, c.lastSeen, JSON.stringify(c.auditIds), now, c.id]);
        const inserted = await new SqlStore(tx, this.migrations).upsertBatches(
          fresh,
          20,
          (v) => `INSERT INTO audit_alerts (connector_id, dedupe_key, rule_id, slug, title, severity, status, output, entities, mitre, equivalents, source, audit_ids, count, first_seen, first_hour, last_seen, window_end, created_at, updated_at) VALUES ${v} RETURNING *`,
          (c) => {
            const a = c.o.alert;
            return [c.o.connectorId, c.o.dedupeKey, a.ruleId, a.slug, a.title, a.severity, 'new', a.output, JSON.stringify(a.entities), JSON.stringify(a.mitre), JSON.stringify(a.equivalents), JSON.stringify(a.source), JSON.stringify(c.auditIds), c.count, c.firstSeen, hourOf(c.firstSeen), c.lastSeen, c.windowEnd, now, now];
          },
        );
        // Two new alerts of one connector and key differ in their first occurrence (else the second would have merged).
        const byIdentity = new Map(inserted.map((r) => [`${r.connector_id as string}\n${r.dedupe_key as string}\n${iso(r.first_seen as string)}`, r]));
        const created = fresh.map((c) => {
          const row = byIdentity.get(`${c.o.connectorId}\n${c.o.dedupeKey}\n${c.firstSeen}`)!;
          c.id = Number(row.id);
          return toAlert(row);
        });
        // Evidence: the first events of each alert, up to the cap.
        const linked = new Map<number, number>();
        const ids = grown.filter((c) => c.links.length > 0).map((c) => c.id!);
        for (let i = 0; i < ids.length; i += 500) {
          const part = ids.slice(i, i + 500);
          for (const r of await tx.all<{ alert_id: number | string; n: number | string }>(`SELECT alert_id, COUNT(*) AS n FROM audit_alert_events WHERE alert_id IN (${marks(part.length)}) GROUP BY alert_id`, part)) linked.set(Number(r.alert_id), Number(r.n));
        }
        const links = [...grown, ...fresh].flatMap((c) => [...new Set(c.links)].slice(0, Math.max(0, MAX_ALERT_EVENTS - (linked.get(c.id!) ?? 0))).map((seq) => [c.id!, seq] as const));
        await new SqlStore(tx, this.migrations).upsertBatches(links, 2, (v) => `INSERT INTO audit_alert_events (alert_id, event_seq) VALUES ${v} ON CONFLICT DO NOTHING RETURNING alert_id`, (l) => [...l]);
        for (const [sid, h] of p.suppressed ?? []) {
          const [cur] = await tx.all('SELECT last_matched_at FROM alert_suppressions WHERE id = ?', [sid]);
          if (!cur) continue;
          const prev = isoOrNull(cur.last_matched_at);
          const latest = prev && prev > iso(h.at) ? prev : iso(h.at);
          await tx.run('UPDATE alert_suppressions SET match_count = match_count + ?, last_matched_at = ? WHERE id = ?', [h.count, latest, sid]);
        }
        for (const d of p.detectorStates ?? []) await new SqlStore(tx, this.migrations).saveDetectorStates(d.connectorId, d.states);
        return { created, merged };
      });
    } catch (e) {
      if (e instanceof ClaimLost) return undefined;
      throw e;
    }
  }

  pruneAuditEvents(before: string): Promise<number> {
    return this.db.run(
      'DELETE FROM audit_events WHERE received_at < ? AND processed_at IS NOT NULL AND NOT EXISTS (SELECT 1 FROM audit_alert_events ae WHERE ae.event_seq = audit_events.seq)',
      [iso(before)],
    );
  }

  async loadDetectorStates(connectorId: string): Promise<Record<string, unknown>> {
    const out: Record<string, unknown> = {};
    for (const r of await this.db.all('SELECT key, value FROM audit_detector_state WHERE connector_id = ?', [connectorId])) out[r.key as string] = json(r.value);
    return out;
  }

  async saveDetectorStates(connectorId: string, states: Readonly<Record<string, unknown>>): Promise<void> {
    const at = iso(new Date());
    await this.db.transaction(async (tx) => {
      for (const [key, value] of Object.entries(states)) {
        await tx.run(
          'INSERT INTO audit_detector_state (connector_id, key, value, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (connector_id, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at',
          [connectorId, key, JSON.stringify(value ?? null), at],
        );
      }
    });
  }

  async listAlerts(q: AlertListQuery = {}): Promise<Page<AlertRow>> {
    const limit = limitOf(q.limit);
    const conds: Array<[string, unknown[]]> = [];
    const add = (clause: string, ...params: unknown[]) => conds.push([clause, params]);
    if (q.connectorId) add('connector_id = ?', q.connectorId);
    if (q.connectorIds) add(q.connectorIds.length ? `connector_id IN (${q.connectorIds.map(() => '?').join(', ')})` : '1 = 0', ...q.connectorIds);
    if (q.statuses?.length) add(`status IN (${q.statuses.map(() => '?').join(', ')})`, ...q.statuses);
    if (q.severities?.length) add(`severity IN (${q.severities.map(() => '?').join(', ')})`, ...q.severities);
    if (q.ruleId) add('(LOWER(rule_id) = ? OR slug = ?)', q.ruleId.toLowerCase(), q.ruleId);
    if (q.since) add('last_seen >= ?', iso(q.since));
    if (q.until) add('first_seen < ?', iso(q.until));
    if (q.cursor) add('id < ?', Number(q.cursor));
    const sql = conds.length ? ` WHERE ${conds.map((c) => c[0]).join(' AND ')}` : '';
    const rows = await this.db.all(`SELECT * FROM audit_alerts${sql} ORDER BY id DESC LIMIT ?`, [...conds.flatMap((c) => c[1]), limit + 1]);
    return page(rows, limit, toAlert, (r) => String(r.id));
  }

  async getAlert(id: number): Promise<AlertRow | undefined> {
    const [r] = await this.db.all('SELECT * FROM audit_alerts WHERE id = ?', [id]);
    return r && toAlert(r);
  }

  async alertEventSeqs(id: number): Promise<number[]> {
    return (await this.db.all('SELECT event_seq FROM audit_alert_events WHERE alert_id = ? ORDER BY event_seq', [id])).map((r) => Number(r.event_seq));
  }

  async updateAlertStatus(id: number, s: { status: AlertStatus; by: string; at: string; reason: string | null }): Promise<AlertRow | undefined> {
    const [r] = await this.db.all('UPDATE audit_alerts SET status = ?, status_by = ?, status_at = ?, status_reason = ?, updated_at = ? WHERE id = ? RETURNING *', [s.status, s.by, iso(s.at), s.reason, iso(s.at), id]);
    return r && toAlert(r);
  }

  async countAlerts(q: { since: string; until?: string; bucket: 'hour' | 'day'; connectorId?: string; connectorIds?: readonly string[] }): Promise<AlertCount[]> {
    // first_hour is `YYYY-MM-DDTHH` text in both databases, so one expression buckets by hour or day.
    const bucket = q.bucket === 'day' ? 'substr(first_hour, 1, 10)' : 'first_hour';
    const w = where([['first_seen >= ?', iso(q.since)], q.until && ['first_seen < ?', iso(q.until)], q.connectorId && ['connector_id = ?', q.connectorId], q.connectorIds && inList('connector_id', q.connectorIds)]);
    const rows = await this.db.all(`SELECT ${bucket} AS bucket, severity, COUNT(*) AS n FROM audit_alerts${w.sql} GROUP BY ${bucket}, severity ORDER BY bucket, severity`, w.params);
    return rows.map((r) => ({ bucket: r.bucket as string, severity: r.severity as string, count: Number(r.n) }));
  }

  async countAlertsByStatus(q: { connectorId?: string; connectorIds?: readonly string[] } = {}): Promise<Array<{ status: AlertStatus; severity: string; count: number }>> {
    const w = where([q.connectorId && ['connector_id = ?', q.connectorId], q.connectorIds && inList('connector_id', q.connectorIds)]);
    const rows = await this.db.all(`SELECT status, severity, COUNT(*) AS n FROM audit_alerts${w.sql} GROUP BY status, severity ORDER BY status, severity`, w.params);
    return rows.map((r) => ({ status: r.status as AlertStatus, severity: r.severity as string, count: Number(r.n) }));
  }

  async createSuppression(s: NewSuppressionRow): Promise<SuppressionRow> {
    const rows = await this.db.all(
      'INSERT INTO alert_suppressions (connector_id, rule, user_name, namespace, resource, source_ip, reason, owner, expires_at, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *',
      [s.connectorId ?? null, s.rule ?? null, s.user ?? null, s.namespace ?? null, s.resource ?? null, s.sourceIp ?? null, s.reason, s.owner, isoOrNull(s.expiresAt), s.createdBy, iso(new Date())],
    );
    return toSuppressionRow(rows[0]);
  }

  async getSuppression(id: number): Promise<SuppressionRow | undefined> {
    const [r] = await this.db.all('SELECT * FROM alert_suppressions WHERE id = ?', [id]);
    return r && toSuppressionRow(r);
  }

  async listSuppressions(q: { includeRemoved?: boolean; connectorId?: string } = {}): Promise<SuppressionRow[]> {
    const w = where([!q.includeRemoved && ['removed_at IS NULL', undefined], q.connectorId && ['(connector_id IS NULL OR connector_id = ?)', q.connectorId]]);
    const rows = await this.db.all(`SELECT * FROM alert_suppressions${w.sql} ORDER BY id`, w.params.filter((p) => p !== undefined));
    return rows.map(toSuppressionRow);
  }

  async activeSuppressions(at: string): Promise<SuppressionRow[]> {
    const rows = await this.db.all('SELECT * FROM alert_suppressions WHERE removed_at IS NULL AND (expires_at IS NULL OR expires_at > ?) ORDER BY id', [iso(at)]);
    return rows.map(toSuppressionRow);
  }

  async updateSuppression(id: number, patch: { reason?: string; owner?: string; expiresAt?: string | null }): Promise<SuppressionRow | undefined> {
    const cur = await this.getSuppression(id);
    if (!cur || cur.removedAt) return undefined;
    const expiresAt = patch.expiresAt === undefined ? (cur.expiresAt ?? null) : patch.expiresAt;
    const [r] = await this.db.all('UPDATE alert_suppressions SET reason = ?, owner = ?, expires_at = ? WHERE id = ? RETURNING *', [patch.reason ?? cur.reason, patch.owner ?? cur.owner, isoOrNull(expiresAt), id]);
    return r && toSuppressionRow(r);
  }

  async removeSuppression(id: number, by: string, at: string): Promise<SuppressionRow | undefined> {
    const [r] = await this.db.all('UPDATE alert_suppressions SET removed_by = ?, removed_at = ? WHERE id = ? AND removed_at IS NULL RETURNING *', [by, iso(at), id]);
    return r && toSuppressionRow(r);
  }

  // Image scans and vulnerabilities

  async putImageScan(scan: ImageScanRow, vulnerabilities: ImageVulnerabilityRow[]): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.run(
        `INSERT INTO image_scans (digest, reference, platform, os, packages, layers, package_count, scanned_at, matched_at, db_updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (digest) DO UPDATE SET reference = excluded.reference, platform = excluded.platform, os = excluded.os, packages = excluded.packages, layers = excluded.layers,
           package_count = excluded.package_count, scanned_at = excluded.scanned_at, matched_at = excluded.matched_at, db_updated_at = excluded.db_updated_at`,
        [scan.digest, scan.reference, scan.platform, scan.os === null || scan.os === undefined ? null : JSON.stringify(scan.os), JSON.stringify(scan.packages), JSON.stringify(scan.layers), scan.packageCount, iso(scan.scannedAt), iso(scan.matchedAt), scan.dbUpdatedAt],
      );
      await new SqlStore(tx, this.migrations).replaceVulnerabilities(scan.digest, vulnerabilities);
    });
  }

  /** Deletes a digest's vulnerabilities and inserts the new ones in multi-row batches (call inside a transaction). */
  private async replaceVulnerabilities(digest: string, vulnerabilities: ImageVulnerabilityRow[]): Promise<void> {
    await this.db.run('DELETE FROM image_vulnerabilities WHERE digest = ?', [digest]);
    const rows = dedupe(
      vulnerabilities.filter((v) => v.digest === digest),
      (v) => JSON.stringify([v.vulnId, v.package, v.installedVersion, v.packagePath]),
    );
    const columns = 16;
    const tuple = `(${Array(columns).fill('?').join(', ')})`;
    for (let i = 0; i < rows.length; i += UPSERT_BATCH) {
      const batch = rows.slice(i, i + UPSERT_BATCH);
      await this.db.run(
        `INSERT INTO image_vulnerabilities (digest, vuln_id, package, installed_version, package_path, ecosystem, fixed_version, status, severity, severity_rank, title, aliases, primary_url, layer_digest, layer_index, layer_created_by) VALUES ${batch.map(() => tuple).join(', ')}`,
        batch.flatMap((v) => [
          digest,
          v.vulnId,
          v.package,
          v.installedVersion,
          v.packagePath,
          v.ecosystem,
          v.fixedVersion,
          v.status,
          v.severity,
          severityRankOf(v.severity),
          v.title,
          JSON.stringify(v.aliases),
          v.primaryUrl,
          v.layer?.digest ?? null,
          v.layer?.index ?? null,
          v.layer?.createdBy ?? null,
        ]),
      );
    }
  }

  async getImageScan(digest: string): Promise<ImageScanRow | undefined> {
    const [r] = await this.db.all('SELECT * FROM image_scans WHERE digest = ?', [digest]);
    return r && toImageScan(r);
  }

  async listImageScanDigests(q: { notMatchedAt?: string; limit?: number } = {}): Promise<string[]> {
    const w = q.notMatchedAt !== undefined ? ' WHERE db_updated_at IS NULL OR db_updated_at <> ?' : '';
    const rows = await this.db.all(`SELECT digest FROM image_scans${w} ORDER BY matched_at, digest LIMIT ?`, [...(q.notMatchedAt !== undefined ? [q.notMatchedAt] : []), Math.max(1, Math.trunc(q.limit ?? 100_000))]);
    return rows.map((r) => r.digest as string);
  }

  async rematchImage(digest: string, vulnerabilities: ImageVulnerabilityRow[], matchedAt: string, dbUpdatedAt: string | null): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      if ((await tx.run('UPDATE image_scans SET matched_at = ?, db_updated_at = ? WHERE digest = ?', [iso(matchedAt), dbUpdatedAt, digest])) === 0) return false;
      await new SqlStore(tx, this.migrations).replaceVulnerabilities(digest, vulnerabilities);
      return true;
    });
  }

  async putImageReference(r: ImageReferenceRow): Promise<void> {
    await this.db.run(
      `INSERT INTO image_references (reference, digest, status, error_code, error, attempted_at, succeeded_at) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (reference) DO UPDATE SET digest = COALESCE(excluded.digest, image_references.digest), status = excluded.status, error_code = excluded.error_code,
         error = excluded.error, attempted_at = excluded.attempted_at, succeeded_at = COALESCE(excluded.succeeded_at, image_references.succeeded_at)`,
      [r.reference, r.digest, r.status, r.errorCode, r.error, iso(r.attemptedAt), isoOrNull(r.succeededAt)],
    );
  }

  async getImageReference(reference: string): Promise<ImageReferenceRow | undefined> {
    const [r] = await this.db.all('SELECT * FROM image_references WHERE reference = ?', [reference]);
    return r && toImageReference(r);
  }

  async listImageReferences(q: { digest?: string; status?: ImageReferenceRow['status'] } = {}): Promise<ImageReferenceRow[]> {
    const w = where([q.digest && ['digest = ?', q.digest], q.status && ['status = ?', q.status]]);
    return (await this.db.all(`SELECT * FROM image_references${w.sql} ORDER BY reference`, w.params)).map(toImageReference);
  }

  async pruneUnclaimedImages(): Promise<{ references: number; scans: number }> {
    return this.db.transaction(async (tx) => {
      const claimed = "SELECT key FROM assets WHERE type = 'image' UNION SELECT reference FROM image_exposure";
      const references = await tx.run(
        `DELETE FROM image_references WHERE reference NOT IN (${claimed})
           AND (digest IS NULL OR digest NOT IN (SELECT digest FROM image_references WHERE digest IS NOT NULL AND reference IN (${claimed})))`,
        [],
      );
      const scans = await tx.run('DELETE FROM image_scans WHERE digest NOT IN (SELECT digest FROM image_references WHERE digest IS NOT NULL)', []);
      return { references, scans };
    });
  }

  async refreshImageExposure(connectorId: string): Promise<number> {
    const serviceType = this.dialect === 'postgres' ? "s.attributes->>'serviceType'" : "json_extract(s.attributes, '$.serviceType')";
    return this.db.transaction(async (tx) => {
      await tx.run('DELETE FROM image_exposure WHERE connector_id = ?', [connectorId]);
      // CROSS JOIN keeps SQLite's join order (image asset -> its `runs` relations -> the runner); without
      // statistics it may otherwise pair every image asset with every workload. PostgreSQL plans it freely.
      return tx.run(
        `INSERT INTO image_exposure (connector_id, reference, workloads, exposed)
         SELECT ?, i.key, COUNT(DISTINCT w.id), MAX(CASE WHEN EXISTS (
             SELECT 1 FROM asset_relations e CROSS JOIN assets s
             WHERE e.to_asset = w.id AND e.kind = 'exposes' AND s.id = e.from_asset AND s.type = 'service'
               AND (${serviceType} IN ('LoadBalancer', 'NodePort') OR EXISTS (SELECT 1 FROM asset_relations g WHERE g.to_asset = s.id AND g.kind = 'routes-to'))
           ) THEN 1 ELSE 0 END)
         FROM assets i CROSS JOIN asset_relations rr CROSS JOIN assets w
         WHERE i.connector_id = ? AND i.type = 'image' AND rr.to_asset = i.id AND rr.kind = 'runs' AND w.id = rr.from_asset AND w.type IN ('workload', 'pod')
         GROUP BY i.key`,
        [connectorId, connectorId],
      );
    });
  }

  /**
   * The common part of the vulnerability views: each image (digest, or reference never resolved), how many
   * workloads and pods run it and whether one of them is exposed, from `image_exposure`.
   */
  private exposureCtes(): string {
    return `WITH flags AS MATERIALIZED (
        SELECT COALESCE(r.digest, r.reference) AS image, SUM(x.workloads) AS workloads, MAX(x.exposed) AS exposed
        FROM image_references r JOIN image_exposure x ON x.reference = r.reference
        GROUP BY COALESCE(r.digest, r.reference)
      ),
      images AS MATERIALIZED (
        SELECT COALESCE(digest, reference) AS image, MAX(digest) AS digest FROM image_references GROUP BY COALESCE(digest, reference)
      ),
      image_flags AS MATERIALIZED (
        SELECT im.image, im.digest, COALESCE(f.workloads, 0) AS workloads, CASE WHEN COALESCE(f.workloads, 0) > 0 THEN 1 ELSE 0 END AS running, COALESCE(f.exposed, 0) AS exposed
        FROM images im LEFT JOIN flags f ON f.image = im.image
      )`;
  }

  /** `WHERE ...` on an image (`g`: its image_flags row) or on its vulnerability rows (`v`, when `rowLevel`), shared by the three views. */
  private vulnerabilityFilters(q: VulnerabilityQuery, rowLevel: boolean): { sql: string; params: unknown[] } {
    const conds: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, ...p: unknown[]) => {
      conds.push(sql);
      params.push(...p);
    };
    const vuln = (cond: string): string => (rowLevel ? cond.replace(/\bv2\./g, 'v.') : `EXISTS (SELECT 1 FROM image_vulnerabilities v2 WHERE v2.digest = g.digest AND ${cond})`);
    if (q.image) add('g.image IN (SELECT COALESCE(x.digest, x.reference) FROM image_references x WHERE ? IN (x.reference, x.digest))', q.image);
    if (q.vulnId) add(vuln('v2.vuln_id = ?'), q.vulnId);
    if (q.severity) add(vuln('v2.severity_rank >= ?'), severityRankOf(q.severity));
    if (q.fixable) add(vuln('v2.fixed_version IS NOT NULL'));
    if (q.connectorId) add("EXISTS (SELECT 1 FROM image_references x JOIN assets a ON a.type = 'image' AND a.key = x.reference WHERE COALESCE(x.digest, x.reference) = g.image AND a.connector_id = ?)", q.connectorId);
    if (q.connectorIds) {
      if (q.connectorIds.length === 0) add('1 = 0');
      else add(`EXISTS (SELECT 1 FROM image_references x JOIN assets a ON a.type = 'image' AND a.key = x.reference WHERE COALESCE(x.digest, x.reference) = g.image AND a.connector_id IN (${q.connectorIds.map(() => '?').join(', ')}))`, ...q.connectorIds);
    }
    if (q.running) add('g.running = 1');
    if (q.exposed) add('g.exposed = 1');
    return { sql: conds.length ? ` WHERE ${conds.join(' AND ')}` : '', params };
  }

  async listVulnerableImages(q: VulnerabilityQuery = {}): Promise<Page<VulnerableImage>> {
    const limit = limitOf(q.limit);
    const offset = offsetOf(q.cursor);
    const w = this.vulnerabilityFilters(q, false);
    const rows = await this.db.all(
      `${this.exposureCtes()},
      counts AS (
        SELECT digest,
          SUM(CASE WHEN severity = 'critical' THEN 1 ELSE 0 END) AS critical, SUM(CASE WHEN severity = 'high' THEN 1 ELSE 0 END) AS high,
          SUM(CASE WHEN severity = 'medium' THEN 1 ELSE 0 END) AS medium, SUM(CASE WHEN severity = 'low' THEN 1 ELSE 0 END) AS low,
          SUM(CASE WHEN severity = 'info' THEN 1 ELSE 0 END) AS info, COUNT(*) AS total, SUM(CASE WHEN fixed_version IS NULL THEN 0 ELSE 1 END) AS fixable
        FROM image_vulnerabilities GROUP BY digest
      )
      SELECT g.image, g.digest, g.workloads, g.running, g.exposed, COALESCE(c.critical, 0) AS critical, COALESCE(c.high, 0) AS high, COALESCE(c.medium, 0) AS medium,
        COALESCE(c.low, 0) AS low, COALESCE(c.info, 0) AS info, COALESCE(c.total, 0) AS total, COALESCE(c.fixable, 0) AS fixable, s.package_count, s.scanned_at, s.matched_at
      FROM image_flags g LEFT JOIN counts c ON c.digest = g.digest LEFT JOIN image_scans s ON s.digest = g.digest${w.sql}
      ORDER BY g.exposed DESC, g.running DESC, COALESCE(c.critical, 0) DESC, COALESCE(c.high, 0) DESC, COALESCE(c.medium, 0) DESC, COALESCE(c.low, 0) DESC, COALESCE(c.total, 0) DESC, g.image
      LIMIT ? OFFSET ?`,
      [...w.params, limit + 1, offset],
    );
    const items = rows.slice(0, limit);
    const refs = items.length
      ? await this.db.all(`SELECT * FROM image_references WHERE COALESCE(digest, reference) IN (${items.map(() => '?').join(', ')}) ORDER BY reference`, items.map((r) => r.image))
      : [];
    const out = items.map((r): VulnerableImage => ({
      image: r.image as string,
      digest: (r.digest as string | null) ?? null,
      references: refs.filter((x) => ((x.digest as string | null) ?? (x.reference as string)) === r.image).map(toImageReference),
      workloads: Number(r.workloads),
      running: Number(r.running) === 1,
      exposed: Number(r.exposed) === 1,
      counts: { critical: Number(r.critical), high: Number(r.high), medium: Number(r.medium), low: Number(r.low), info: Number(r.info) },
      total: Number(r.total),
      fixable: Number(r.fixable),
      packageCount: r.package_count === null || r.package_count === undefined ? null : Number(r.package_count),
      scannedAt: isoOrNull(r.scanned_at),
      matchedAt: isoOrNull(r.matched_at),
    }));
    return rows.length > limit ? { items: out, next: String(offset + limit) } : { items: out };
  }

  async summarizeVulnerabilities(q: VulnerabilityQuery = {}): Promise<Page<VulnerabilitySummary>> {
    const limit = limitOf(q.limit);
    const offset = offsetOf(q.cursor);
    const order = 'ORDER BY exposed_images DESC, running_images DESC, severity_rank DESC, images DESC, vuln_id LIMIT ? OFFSET ?';
    const filtered = q.image || q.vulnId || q.severity || q.connectorId || q.connectorIds || q.running || q.exposed || q.fixable;
    if (!filtered) {
      // Unfiltered, the view is kept whole in `vulnerability_summary` (read in its index order), recomputed when stale.
      await this.refreshVulnerabilitySummary();
      const rows = await this.db.all(`SELECT * FROM vulnerability_summary ${order}`, [limit + 1, offset]);
      const out = rows.slice(0, limit).map((r) => toVulnerabilitySummary(r, { packages: json(r.packages) as string[], fixedVersions: json(r.fixed_versions) as string[] }));
      return rows.length > limit ? { items: out, next: String(offset + limit) } : { items: out };
    }
    const w = this.vulnerabilityFilters(q, true);
    const rows = await this.db.all(`${this.exposureCtes()} ${VULNERABILITY_TOTALS}${w.sql} GROUP BY v.vuln_id ${order}`, [...w.params, limit + 1, offset]);
    const items = rows.slice(0, limit);
    const details = packagesByVulnerability(
      items.length ? await this.db.all(`SELECT DISTINCT vuln_id, package, fixed_version FROM image_vulnerabilities WHERE vuln_id IN (${marks(items.length)}) ${VULNERABILITY_DETAIL_ORDER}`, items.map((r) => r.vuln_id)) : [],
    );
    const out = items.map((r) => toVulnerabilitySummary(r, details.get(r.vuln_id as string)));
    return rows.length > limit ? { items: out, next: String(offset + limit) } : { items: out };
  }

  /**
   * Recomputes the unfiltered by-CVE view when a write to the image tables marked it stale (the triggers of
   * migration 6), with each vulnerability's packages and fixed versions, so a page is one indexed read. Claiming
   * the stale mark and recomputing go in one transaction: of several readers that find it stale, one recomputes
   * and the others, once it commits, read its result.
   */
  private async refreshVulnerabilitySummary(): Promise<void> {
    const [state] = await this.db.all("SELECT stale FROM summary_state WHERE name = 'vulnerabilities'");
    if (state && !bool(state.stale)) return;
    await this.db.transaction(async (tx) => {
      const claimed = await tx.run(`UPDATE summary_state SET stale = ? WHERE name = 'vulnerabilities' AND stale = ?`, [this.boolValue(false), this.boolValue(true)]);
      if (claimed === 0) return;
      const totals = await tx.all(`${this.exposureCtes()} ${VULNERABILITY_TOTALS} GROUP BY v.vuln_id`);
      const details = packagesByVulnerability(await tx.all(`SELECT DISTINCT vuln_id, package, fixed_version FROM image_vulnerabilities ${VULNERABILITY_DETAIL_ORDER}`));
      await tx.run('DELETE FROM vulnerability_summary');
      for (let i = 0; i < totals.length; i += UPSERT_BATCH) {
        const batch = totals.slice(i, i + UPSERT_BATCH);
        await tx.run(
          `INSERT INTO vulnerability_summary (vuln_id, severity_rank, title, images, running_images, exposed_images, packages, fixed_versions) VALUES ${batch.map(() => '(?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`,
          batch.flatMap((r) => {
            const d = details.get(r.vuln_id as string) ?? { packages: [], fixedVersions: [] };
            return [r.vuln_id, Number(r.severity_rank), r.title ?? null, Number(r.images), Number(r.running_images), Number(r.exposed_images), JSON.stringify(d.packages), JSON.stringify(d.fixedVersions)];
          }),
        );
      }
    });
  }

  async listImageVulnerabilities(q: VulnerabilityQuery = {}): Promise<Page<ImageVulnerabilityRow>> {
    const limit = limitOf(q.limit);
    const offset = offsetOf(q.cursor);
    const w = this.vulnerabilityFilters(q, true);
    const rows = await this.db.all(
      `${this.exposureCtes()}
      SELECT v.* FROM image_vulnerabilities v JOIN image_flags g ON g.digest = v.digest${w.sql}
      ORDER BY g.exposed DESC, g.running DESC, v.severity_rank DESC, v.vuln_id, v.digest, v.package, v.installed_version, v.package_path
      LIMIT ? OFFSET ?`,
      [...w.params, limit + 1, offset],
    );
    const items = rows.slice(0, limit).map(toImageVulnerability);
    return rows.length > limit ? { items, next: String(offset + limit) } : { items };
  }

  // Role bindings

  /** A boolean parameter: 0/1 for SQLite's INTEGER column, a boolean for PostgreSQL's. */
  private boolValue(v: boolean): boolean | number {
    return this.dialect === 'sqlite' ? (v ? 1 : 0) : v;
  }

  async putRoleBinding(b: Omit<RoleBindingRow, 'id' | 'createdAt'>): Promise<RoleBindingRow> {
    const rows = await this.db.all(
      `INSERT INTO role_bindings (id, subject_kind, subject_id, connector_id, role, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (subject_kind, subject_id, connector_id) DO UPDATE SET role = excluded.role, created_by = excluded.created_by, created_at = excluded.created_at
       RETURNING *`,
      [randomUUID(), b.subjectKind, b.subjectId, b.connectorId, b.role, b.createdBy, iso(new Date())],
    );
    return toRoleBinding(rows[0]);
  }

  async getRoleBinding(id: string): Promise<RoleBindingRow | undefined> {
    const [r] = await this.db.all('SELECT * FROM role_bindings WHERE id = ?', [id]);
    return r && toRoleBinding(r);
  }

  async listRoleBindings(q: { subjects?: readonly Subject[]; connectorId?: string } = {}): Promise<RoleBindingRow[]> {
    const subjects = q.subjects && (q.subjects.length ? [`(${q.subjects.map(() => '(subject_kind = ? AND subject_id = ?)').join(' OR ')})`, ...q.subjects.flatMap((s) => [s.kind, s.id])] as const : (['1 = 0'] as const));
    const w = where([subjects, q.connectorId && ['connector_id = ?', q.connectorId]]);
    const rows = await this.db.all(`SELECT * FROM role_bindings${w.sql} ORDER BY connector_id, subject_kind, subject_id`, w.params);
    return rows.map(toRoleBinding);
  }

  async deleteRoleBinding(id: string): Promise<boolean> {
    return (await this.db.run('DELETE FROM role_bindings WHERE id = ?', [id])) > 0;
  }

  async setGlobalAccess(subject: Subject, globalAccess: boolean, role?: Role): Promise<boolean> {
    const table = subject.kind === 'user' ? 'users' : 'api_tokens';
    const changed = role
      ? await this.db.run(`UPDATE ${table} SET global_access = ?, role = ? WHERE id = ?`, [this.boolValue(globalAccess), role, subject.id])
      : await this.db.run(`UPDATE ${table} SET global_access = ? WHERE id = ?`, [this.boolValue(globalAccess), subject.id]);
    return changed > 0;
  }

  // Offboarding: the workflow state per connector, and every kind of data kept about a connector

  async createOffboarding(o: Pick<OffboardingRow, 'connectorId' | 'connectorName' | 'connectorKind' | 'reason' | 'requestedBy' | 'steps' | 'report'>): Promise<OffboardingRow | undefined> {
    const now = iso(new Date());
    const [r] = await this.db.all(
      `INSERT INTO connector_offboardings (connector_id, connector_name, connector_kind, state, reason, requested_by, started_at, updated_at, steps, report)
       VALUES (?, ?, ?, 'running', ?, ?, ?, ?, ?, ?) ON CONFLICT (connector_id) DO NOTHING RETURNING *`,
      [o.connectorId, o.connectorName, o.connectorKind, o.reason, o.requestedBy, now, now, JSON.stringify(o.steps), JSON.stringify(o.report)],
    );
    return r && toOffboarding(r);
  }

  async getOffboarding(connectorId: string): Promise<OffboardingRow | undefined> {
    const [r] = await this.db.all('SELECT * FROM connector_offboardings WHERE connector_id = ?', [connectorId]);
    return r && toOffboarding(r);
  }

  async listOffboardings(q: { state?: OffboardingRow['state']; purgeDueAt?: string } = {}): Promise<OffboardingRow[]> {
    const w = where([q.state && ['state = ?', q.state], q.purgeDueAt && ["state = 'offboarded' AND purge_after IS NOT NULL AND purge_after <= ?", iso(q.purgeDueAt)]]);
    return (await this.db.all(`SELECT * FROM connector_offboardings${w.sql} ORDER BY started_at, connector_id`, w.params)).map(toOffboarding);
  }

  async updateOffboarding(connectorId: string, patch: Partial<Pick<OffboardingRow, 'state' | 'monitoringStoppedAt' | 'offboardedAt' | 'offboardedBy' | 'purgeAfter' | 'purgedAt' | 'steps' | 'report'>>): Promise<OffboardingRow | undefined> {
    const cur = await this.getOffboarding(connectorId);
    if (!cur) return undefined;
    const n = { ...cur, ...patch };
    const [r] = await this.db.all(
      `UPDATE connector_offboardings SET state = ?, monitoring_stopped_at = ?, offboarded_at = ?, offboarded_by = ?, purge_after = ?, purged_at = ?, steps = ?, report = ?, updated_at = ?
       WHERE connector_id = ? RETURNING *`,
      [n.state, isoOrNull(n.monitoringStoppedAt), isoOrNull(n.offboardedAt), n.offboardedBy, isoOrNull(n.purgeAfter), isoOrNull(n.purgedAt), JSON.stringify(n.steps), JSON.stringify(n.report), iso(new Date()), connectorId],
    );
    return toOffboarding(r);
  }

  async claimOffboarding(connectorId: string, owner: string, until: string, now: string): Promise<boolean> {
    const changed = await this.db.run(
      'UPDATE connector_offboardings SET lease_owner = ?, lease_until = ? WHERE connector_id = ? AND (lease_owner IS NULL OR lease_owner = ? OR lease_until IS NULL OR lease_until < ?)',
      [owner, iso(until), connectorId, owner, iso(now)],
    );
    return changed > 0;
  }

  async releaseOffboarding(connectorId: string, owner: string): Promise<void> {
    await this.db.run('UPDATE connector_offboardings SET lease_owner = NULL, lease_until = NULL WHERE connector_id = ? AND lease_owner = ?', [connectorId, owner]);
  }

  async connectorActivity(): Promise<ConnectorActivityRow[]> {
    const out = new Map<string, ConnectorActivityRow>();
    const merge = (rows: Row[], field: 'lastAssetSeen' | 'lastEventAt' | 'lastIngestAt') => {
      for (const r of rows) {
        const id = r.connector_id as string;
        const cur = out.get(id) ?? { connectorId: id, lastAssetSeen: null, lastEventAt: null, lastIngestAt: null };
        cur[field] = isoOrNull(r.t);
        out.set(id, cur);
      }
    };
    merge(await this.db.all('SELECT connector_id, MAX(last_seen) AS t FROM assets WHERE connector_id IS NOT NULL GROUP BY connector_id'), 'lastAssetSeen');
    merge(await this.db.all('SELECT connector_id, MAX(received_at) AS t FROM audit_events GROUP BY connector_id'), 'lastEventAt');
    merge(await this.db.all('SELECT connector_id, MAX(last_used_at) AS t FROM ingest_tokens WHERE last_used_at IS NOT NULL GROUP BY connector_id'), 'lastIngestAt');
    return [...out.values()].sort((a, b) => a.connectorId.localeCompare(b.connectorId));
  }

  async countConnectorData(c: ConnectorRef): Promise<Record<ConnectorDataKind, number>> {
    const out = {} as Record<ConnectorDataKind, number>;
    for (const kind of CONNECTOR_DATA_KINDS) {
      const d = connectorData(c, kind);
      const [r] = await this.db.all<{ n: number | string }>(`SELECT COUNT(*) AS n FROM ${d.table} WHERE ${d.cond}`, d.params);
      out[kind] = Number(r.n);
    }
    return out;
  }

  async exportConnectorData(c: ConnectorRef, kind: ConnectorDataKind, q: { limit?: number; cursor?: string } = {}): Promise<Page<Record<string, unknown>>> {
    const d = connectorData(c, kind);
    const limit = limitOf(q.limit);
    const after = q.cursor === undefined ? [] : [d.numeric ? Number(q.cursor) : q.cursor];
    const rows = await this.db.all(`SELECT *, ${d.key} AS page_key FROM ${d.table} WHERE (${d.cond})${q.cursor === undefined ? '' : ` AND ${d.key} > ?`} ORDER BY ${d.key} LIMIT ?`, [...d.params, ...after, limit + 1]);
    return page(rows, limit, d.map, (r) => String(r.page_key));
  }

  async purgeConnectorData(c: ConnectorRef): Promise<Record<ConnectorDataKind, number>> {
    // Children before parents: exemptions and relations find their rows through the connector's assets, and
    // events kept as an alert's evidence go after the alert (its links cascade).
    const order: ConnectorDataKind[] = ['exemptions', 'relations', 'findings', 'scores', 'compliance-history', 'alerts', 'alert-suppressions', 'audit-events', 'detector-state', 'role-bindings', 'assets', 'connector'];
    return this.db.transaction(async (tx) => {
      // Derived totals, not a kind of data of their own (the cascade from the connector would take them too).
      await tx.run('DELETE FROM finding_summary WHERE connector_id = ?', [c.id]);
      const out = Object.fromEntries(CONNECTOR_DATA_KINDS.map((k) => [k, 0])) as Record<ConnectorDataKind, number>;
      for (const kind of order) {
        const d = connectorData(c, kind);
        out[kind] = await tx.run(`DELETE FROM ${d.table} WHERE ${d.cond}`, d.params);
      }
      return out;
    });
  }
}
