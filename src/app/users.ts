import { createHash, randomBytes, randomUUID, scrypt, timingSafeEqual } from 'node:crypto';
import { PalisadeError } from '../model/errors.js';
import { roleAtLeast, type ApiTokenRow, type Role, type Store, type UserRow } from '../storage/store.js';

/** scrypt cost: N=2^15, r=8, p=1 (about 32 MiB and tens of milliseconds per hash). */
const SCRYPT = { N: 1 << 15, r: 8, p: 1, keylen: 32, maxmem: 64 * 1024 * 1024 } as const;

/** Who made a change, and from where, for the audit trail. */
export interface Actor {
  /** `user:<name>`, `token:<prefix>`, `cli:<os user>` or `system`. */
  name: string;
  role: Role;
  /** The user acting (absent for the CLI and the system). */
  userId?: string;
  /** Remote address of an HTTP request. */
  source?: string;
  /** The API token authenticating, when one does. */
  tokenId?: string;
  /**
   * False when the user or token holds no role globally and acts only through its role bindings on single
   * connectors (src/app/access.ts); `role` is then the lowest, so a check of `role` alone never lets it further.
   */
  globalAccess?: boolean;
}

function scryptAsync(password: string, salt: Buffer, p: { N: number; r: number; p: number; keylen: number }): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFKC'), salt, p.keylen, { N: p.N, r: p.r, p: p.p, maxmem: SCRYPT.maxmem }, (e, k) => (e ? reject(e) : resolve(k))),
  );
}

/** `scrypt$N$r$p$salt$hash` (base64): the parameters travel with the hash so they can be raised later. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt, SCRYPT);
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/** Checks a password against a stored hash in constant time. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [alg, n, r, p, salt, hash] = stored.split('$');
  if (alg !== 'scrypt' || !salt || !hash) return false;
  const want = Buffer.from(hash, 'base64');
  const got = await scryptAsync(password, Buffer.from(salt, 'base64'), { N: Number(n), r: Number(r), p: Number(p), keylen: want.length });
  return got.length === want.length && timingSafeEqual(got, want);
}

/** SHA-256 of a bearer secret: enough for random tokens and session ids (no dictionary to guess from). */
export function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

/** A random password for the first Owner: 24 characters of base64url (144 bits). */
export function generatePassword(): string {
  return randomBytes(18).toString('base64url');
}

const MIN_PASSWORD = 12;
const USERNAME = /^[a-z0-9][a-z0-9._@-]{0,63}$/i;

/** A user without its hash, as the API and the CLI show it. */
export type PublicUser = Omit<UserRow, 'passwordHash'>;

export function publicUser(u: UserRow): PublicUser {
  return { id: u.id, username: u.username, role: u.role, createdAt: u.createdAt, globalAccess: u.globalAccess };
}

/** A token as lists show it: never the hash. */
export type PublicToken = Omit<ApiTokenRow, 'tokenHash'>;

export function publicToken(t: ApiTokenRow): PublicToken {
  const { tokenHash: _h, ...rest } = t;
  return rest;
}

/** Adds a user and its audit entry in one transaction. */
export async function addUser(store: Store, actor: Actor, input: { username: string; role: Role; password: string }): Promise<PublicUser> {
  if (!USERNAME.test(input.username)) throw new PalisadeError('E_USAGE', `invalid username "${input.username}": letters, digits and . _ @ - only, at most 64`);
  if (input.password.length < MIN_PASSWORD) throw new PalisadeError('E_USAGE', `the password must have at least ${MIN_PASSWORD} characters`);
  const passwordHash = await hashPassword(input.password);
  return store.transaction(async (tx) => {
    if (await tx.getUserByName(input.username)) throw new PalisadeError('E_USAGE', `user "${input.username}" already exists`);
    const u = publicUser(await tx.createUser({ username: input.username, role: input.role, passwordHash }));
    await tx.appendAudit({ actor: actor.name, action: 'user.create', target: `user:${u.username}`, source: actor.source, before: null, after: { username: u.username, role: u.role } });
    return u;
  });
}

/** Removes a user (with their sessions and tokens); refuses to remove the last Owner. */
export async function removeUser(store: Store, actor: Actor, username: string): Promise<boolean> {
  return store.transaction(async (tx) => {
    const u = await tx.getUserByName(username);
    if (!u) return false;
    // Only global Owners count: an Owner role held through connector bindings alone manages no users.
    if (u.role === 'owner' && u.globalAccess && (await tx.listUsers()).filter((x) => x.role === 'owner' && x.globalAccess).length === 1) {
      throw new PalisadeError('E_USAGE', `"${username}" is the last Owner; add another Owner first`);
    }
    await tx.deleteUser(u.id);
    await tx.appendAudit({ actor: actor.name, action: 'user.delete', target: `user:${u.username}`, source: actor.source, before: { username: u.username, role: u.role }, after: null });
    return true;
  });
}

/**
 * Creates the first Owner when there are no users: `admin` with PALISADE_ADMIN_PASSWORD, or a generated
 * password that the caller prints once. Returns undefined when users already exist.
 */
export async function bootstrapOwner(store: Store, env: NodeJS.ProcessEnv = process.env): Promise<{ username: string; password?: string } | undefined> {
  if ((await store.countUsers()) > 0) return undefined;
  const given = env.PALISADE_ADMIN_PASSWORD;
  const password = given || generatePassword();
  const username = env.PALISADE_ADMIN_USER || 'admin';
  try {
    await addUser(store, { name: 'system', role: 'owner' }, { username, role: 'owner', password });
  } catch (e) {
    // Another replica created it between the count and the insert (unique username): not an error.
    if ((await store.countUsers()) > 0) return undefined;
    throw e;
  }
  return given ? { username } : { username, password };
}

/** Token text: `pal_` + 8 characters shown in lists + 32 secret characters. */
const TOKEN_PREFIX_LENGTH = 12;

/** Creates an API token for a user; the plain token is returned once and only its hash is kept. */
export async function createToken(store: Store, actor: Actor, input: { userId: string; name: string; role: Role; expiresAt?: string | null }): Promise<{ token: string; info: PublicToken }> {
  const user = await store.getUser(input.userId);
  if (!user) throw new PalisadeError('E_USAGE', 'no such user');
  if (!roleAtLeast(user.role, input.role)) throw new PalisadeError('E_USAGE', `a token cannot have a higher role (${input.role}) than its user (${user.role})`);
  const token = `pal_${randomBytes(30).toString('base64url')}`;
  return store.transaction(async (tx) => {
    const row = await tx.createApiToken({ id: randomUUID(), name: input.name, prefix: token.slice(0, TOKEN_PREFIX_LENGTH), tokenHash: sha256(token), role: input.role, userId: user.id, expiresAt: input.expiresAt ?? null });
    await tx.appendAudit({ actor: actor.name, action: 'token.create', target: `token:${row.prefix}`, source: actor.source, before: null, after: { name: row.name, role: row.role, user: user.username, expiresAt: row.expiresAt } });
    return { token, info: publicToken(row) };
  });
}

/** Revokes a token by id or prefix. Only its user or an Owner may; false when there is none to revoke. */
export async function revokeToken(store: Store, actor: Actor, idOrPrefix: string): Promise<boolean> {
  return store.transaction(async (tx) => {
    const t = (await tx.getApiToken(idOrPrefix)) ?? (await tx.listApiTokens()).find((x) => x.prefix === idOrPrefix);
    // Another user's token looks like no token at all to a non-Owner: no probing of who holds what.
    if (!t || t.revokedAt || (actor.role !== 'owner' && actor.userId !== t.userId)) return false;
    await tx.revokeApiToken(t.id, new Date().toISOString());
    await tx.appendAudit({ actor: actor.name, action: 'token.revoke', target: `token:${t.prefix}`, source: actor.source, before: { name: t.name, role: t.role }, after: { revoked: true } });
    return true;
  });
}

/** A token's `last_used_at` is written at most this often (reads must not write on every request). */
export const TOKEN_TOUCH_INTERVAL_MS = 60_000;

/** How long a login session lasts. */
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;

/** Checks credentials and opens a session; returns the cookie value (kept only as its hash) or undefined. */
export async function login(store: Store, username: string, password: string, source?: string): Promise<{ session: string; user: PublicUser; expiresAt: string } | undefined> {
  const u = await store.getUserByName(username);
  // Hash even for an unknown user, so timing does not tell which usernames exist.
  const ok = await verifyPassword(password, u?.passwordHash ?? DUMMY_HASH);
  if (!u || !ok) {
    await store.appendAudit({ actor: `user:${username.slice(0, 64)}`, action: 'auth.login-failed', target: `user:${username.slice(0, 64)}`, source });
    return undefined;
  }
  const session = randomBytes(32).toString('base64url');
  const now = new Date();
  const expiresAt = new Date(now.getTime() + SESSION_TTL_MS).toISOString();
  await store.transaction(async (tx) => {
    // Sweep expired sessions here: logins are rare enough that this costs nothing, and no timer is needed.
    await tx.deleteExpiredSessions(now.toISOString());
    await tx.createSession({ tokenHash: sha256(session), userId: u.id, createdAt: now.toISOString(), expiresAt });
    await tx.appendAudit({ actor: `user:${u.username}`, action: 'auth.login', target: `user:${u.username}`, source });
  });
  return { session, user: publicUser(u), expiresAt };
}

const DUMMY_HASH = 'scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';

/** Resolves a session cookie or bearer token to the actor it stands for, or undefined. */
export async function authenticate(store: Store, cred: { session?: string; bearer?: string }, source?: string): Promise<Actor | undefined> {
  const now = new Date().toISOString();
  if (cred.bearer) {
    const t = await store.getApiTokenByHash(sha256(cred.bearer));
    if (!t || t.revokedAt || (t.expiresAt && t.expiresAt <= now)) return undefined;
    const u = await store.getUser(t.userId);
    if (!u) return undefined;
    // At most one write a minute per token, so read traffic does not write on every request.
    const since = new Date(Date.parse(now) - TOKEN_TOUCH_INTERVAL_MS).toISOString();
    if (!t.lastUsedAt || t.lastUsedAt < since) await store.touchApiToken(t.id, now, since);
    // A token never exceeds its user's current role: demoting a user demotes their tokens.
    const role = roleAtLeast(u.role, t.role) ? t.role : u.role;
    const globalAccess = u.globalAccess && t.globalAccess;
    return { name: `token:${t.prefix}`, role: globalAccess ? role : 'reader', userId: u.id, source, tokenId: t.id, ...(globalAccess ? {} : { globalAccess }) };
  }
  if (cred.session) {
    const s = await store.getSession(sha256(cred.session));
    if (!s || s.expiresAt <= now) return undefined;
    const u = await store.getUser(s.userId);
    if (!u) return undefined;
    return { name: `user:${u.username}`, role: u.globalAccess ? u.role : 'reader', userId: u.id, source, ...(u.globalAccess ? {} : { globalAccess: false }) };
  }
  return undefined;
}

/** Ends a session. */
export async function logout(store: Store, session: string, actor: Actor): Promise<void> {
  await store.transaction(async (tx) => {
    await tx.deleteSession(sha256(session));
    await tx.appendAudit({ actor: actor.name, action: 'auth.logout', target: actor.name, source: actor.source });
  });
}
