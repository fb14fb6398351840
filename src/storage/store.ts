/**
 * The Store port of the server: every table the server keeps, behind one interface that SQLite
 * (`sqlite/`, the default) and PostgreSQL (`postgres/`, when DATABASE_URL is set) both implement. One
 * contract test suite (`contract.test.ts`) runs against both. Nothing outside `src/storage` writes SQL.
 */

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

  createUser(u: Omit<UserRow, 'id' | 'createdAt'>): Promise<UserRow>;
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

  createApiToken(t: Omit<ApiTokenRow, 'createdAt' | 'lastUsedAt' | 'revokedAt'>): Promise<ApiTokenRow>;
  getApiTokenByHash(tokenHash: string): Promise<ApiTokenRow | undefined>;
  getApiToken(id: string): Promise<ApiTokenRow | undefined>;
  listApiTokens(filter?: { userId?: string }): Promise<ApiTokenRow[]>;
  touchApiToken(id: string, at: string): Promise<void>;
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
  listAssets(q?: { type?: string; connectorId?: string; namespace?: string; q?: string; limit?: number; cursor?: string }): Promise<Page<AssetRow>>;
  getAsset(id: string): Promise<AssetRow | undefined>;
  putRelations(relations: AssetRelationRow[]): Promise<void>;
  listRelations(assetId: string): Promise<AssetRelationRow[]>;

  upsertFindings(findings: Array<Omit<FindingRow, 'id' | 'firstSeen' | 'lastSeen'>>, seenAt: string): Promise<FindingRow[]>;
  listFindings(q?: { assetId?: string; checkId?: string; connectorId?: string; limit?: number; cursor?: string }): Promise<Page<FindingRow>>;
  /** Deletes the findings on the connector's assets last seen before `before` (gone since the last assessment); returns how many. */
  pruneFindings(connectorId: string, before: string): Promise<number>;
  /** Findings grouped by check and severity, optionally of one connector's assets. */
  summarizeFindings(q?: { connectorId?: string }): Promise<FindingSummary[]>;

  createExemption(e: Omit<ExemptionRow, 'id' | 'createdAt'>): Promise<ExemptionRow>;
  getExemption(id: string): Promise<ExemptionRow | undefined>;
  listExemptions(q?: { scope?: string; activeAt?: string }): Promise<ExemptionRow[]>;
  deleteExemption(id: string): Promise<boolean>;

  appendScore(p: ScorePoint): Promise<void>;
  /** Oldest first. */
  listScores(q: { scope?: string; since?: string; limit?: number }): Promise<ScorePoint[]>;
  /** The newest point of every scope, ordered by scope. */
  latestScores(): Promise<ScorePoint[]>;
}
