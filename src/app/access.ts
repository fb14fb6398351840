/**
 * Roles per connector. A user or an API token holds a role globally (its `role`, unless `globalAccess` is
 * off) and may hold roles on single connectors (role bindings). On a connector, a subject acts with the
 * higher of its global role and its binding there; a token acts with the lower of its own role there and
 * its user's, so a token never reaches further than its user.
 */
import { PalisadeError } from '../model/errors.js';
import { roleAtLeast, ROLES, type ApiTokenRow, type Role, type RoleBindingRow, type Store, type Subject, type UserRow } from '../storage/store.js';
import type { Actor } from './users.js';

function higher(a: Role | undefined, b: Role | undefined): Role | undefined {
  if (!a) return b;
  if (!b) return a;
  return roleAtLeast(a, b) ? a : b;
}

function lower(a: Role | undefined, b: Role | undefined): Role | undefined {
  if (!a || !b) return undefined;
  return roleAtLeast(a, b) ? b : a;
}

/** What a subject holds: its global role (or none) and its bindings. */
function holdings(row: Pick<UserRow, 'role' | 'globalAccess'>, bindings: RoleBindingRow[]): { global: Role | undefined; on: Map<string, Role> } {
  return { global: row.globalAccess ? row.role : undefined, on: new Map(bindings.map((b) => [b.connectorId, b.role])) };
}

/**
 * The roles an actor holds on single connectors beyond its global role: connector id -> role. Empty for
 * the CLI and the system, which act globally.
 */
export async function connectorRolesOf(store: Store, actor: Actor): Promise<Map<string, Role>> {
  if (!actor.userId) return new Map();
  const user = await store.getUser(actor.userId);
  if (!user) return new Map();
  const token = actor.tokenId ? await store.getApiToken(actor.tokenId) : undefined;
  const subjects: Subject[] = [{ kind: 'user', id: user.id }, ...(token ? [{ kind: 'token' as const, id: token.id }] : [])];
  const bindings = await store.listRoleBindings({ subjects });
  const u = holdings(user, bindings.filter((b) => b.subjectKind === 'user'));
  const t = token ? holdings(token, bindings.filter((b) => b.subjectKind === 'token')) : undefined;
  const out = new Map<string, Role>();
  for (const id of new Set(bindings.map((b) => b.connectorId))) {
    const ofUser = higher(u.global, u.on.get(id));
    const role = t ? lower(higher(t.global, t.on.get(id)), ofUser) : ofUser;
    if (role) out.set(id, role);
  }
  return out;
}

/**
 * The connector an exemption scope is about: `connector:<id>`, `asset:<id>` (its connector) or
 * `namespace:<connector name>/<namespace>`; null for `*` and anything not tied to one known connector.
 */
export async function connectorOfScope(store: Store, scope: string): Promise<string | null> {
  const [kind, ...rest] = scope.split(':');
  const value = rest.join(':');
  if (kind === 'connector') return value || null;
  if (kind === 'asset') return (await store.getAsset(value))?.connectorId ?? null;
  if (kind === 'namespace') {
    const name = value.split('/')[0];
    return (await store.listConnectors()).find((c) => c.name === name)?.id ?? null;
  }
  return null;
}

/** A binding as the API and the audit trail show it. */
export interface RoleBindingView {
  id: string;
  subject: { kind: Subject['kind']; id: string; name: string };
  connectorId: string;
  role: Role;
  createdBy: string;
  createdAt: string;
}

/** The user (by name) or token (by id or prefix) a request names, or undefined when there is none. */
export async function findSubject(store: Store, ref: { user?: string; token?: string }): Promise<Subject | undefined> {
  if (ref.user) {
    const u = await store.getUserByName(ref.user);
    return u && { kind: 'user', id: u.id };
  }
  if (!ref.token) return undefined;
  const t = (await store.getApiToken(ref.token)) ?? (await store.listApiTokens()).find((x) => x.prefix === ref.token);
  return t && !t.revokedAt ? { kind: 'token', id: t.id } : undefined;
}

async function subjectOf(store: Store, ref: { user?: string; token?: string }): Promise<{ subject: Subject; name: string; row: UserRow | ApiTokenRow }> {
  if (ref.user && !ref.token) {
    const u = await store.getUserByName(ref.user);
    if (!u) throw new PalisadeError('E_USAGE', `no user "${ref.user}"`);
    return { subject: { kind: 'user', id: u.id }, name: `user:${u.username}`, row: u };
  }
  if (ref.token && !ref.user) {
    const t = (await store.getApiToken(ref.token)) ?? (await store.listApiTokens()).find((x) => x.prefix === ref.token);
    if (!t || t.revokedAt) throw new PalisadeError('E_USAGE', `no active token "${ref.token}"`);
    return { subject: { kind: 'token', id: t.id }, name: `token:${t.prefix}`, row: t };
  }
  throw new PalisadeError('E_USAGE', 'give either user (a username) or token (an id or prefix)');
}

async function viewOf(store: Store, b: RoleBindingRow): Promise<RoleBindingView> {
  let name = `${b.subjectKind}:${b.subjectId}`;
  if (b.subjectKind === 'user') {
    const u = await store.getUser(b.subjectId);
    if (u) name = `user:${u.username}`;
  } else {
    const t = await store.getApiToken(b.subjectId);
    if (t) name = `token:${t.prefix}`;
  }
  return { id: b.id, subject: { kind: b.subjectKind, id: b.subjectId, name }, connectorId: b.connectorId, role: b.role, createdBy: b.createdBy, createdAt: b.createdAt };
}

/** Bindings, optionally of one connector, one subject, or the given connectors only. */
export async function listBindings(store: Store, q: { connectorId?: string; connectorIds?: readonly string[]; user?: string; token?: string } = {}): Promise<RoleBindingView[]> {
  const subjects = q.user || q.token ? [(await subjectOf(store, { user: q.user, token: q.token })).subject] : undefined;
  const rows = (await store.listRoleBindings({ connectorId: q.connectorId, subjects })).filter((b) => !q.connectorIds || q.connectorIds.includes(b.connectorId));
  return Promise.all(rows.map((b) => viewOf(store, b)));
}

/** Grants a role on a connector to a user or a token (replacing the one it had there), audited. */
export async function grantRole(store: Store, actor: Actor, input: { user?: string; token?: string; connectorId: string; role: Role }): Promise<RoleBindingView> {
  if (!ROLES.includes(input.role)) throw new PalisadeError('E_USAGE', `unknown role "${input.role}"`);
  return store.transaction(async (tx) => {
    const s = await subjectOf(tx, input);
    const c = await tx.getConnector(input.connectorId);
    if (!c) throw new PalisadeError('E_USAGE', `no connector "${input.connectorId}"`);
    const before = (await tx.listRoleBindings({ subjects: [s.subject], connectorId: c.id }))[0];
    const row = await tx.putRoleBinding({ subjectKind: s.subject.kind, subjectId: s.subject.id, connectorId: c.id, role: input.role, createdBy: actor.name });
    await tx.appendAudit({ actor: actor.name, action: 'role-binding.grant', target: `connector:${c.id}`, source: actor.source, before: before ? { subject: s.name, role: before.role } : null, after: { subject: s.name, connector: c.name, role: row.role } });
    return viewOf(tx, row);
  });
}

/** Removes a binding, audited; false when there was none. */
export async function revokeRole(store: Store, actor: Actor, id: string): Promise<boolean> {
  return store.transaction(async (tx) => {
    const b = await tx.getRoleBinding(id);
    if (!b) return false;
    const view = await viewOf(tx, b);
    await tx.deleteRoleBinding(id);
    await tx.appendAudit({ actor: actor.name, action: 'role-binding.revoke', target: `connector:${b.connectorId}`, source: actor.source, before: { subject: view.subject.name, role: b.role }, after: null });
    return true;
  });
}

/**
 * Sets the global role of a user or token, or takes it away (`role: null`: it then acts only through its
 * bindings), audited. The last global Owner cannot lose that role.
 */
export async function setGlobalRole(store: Store, actor: Actor, input: { user?: string; token?: string; role: Role | null }): Promise<{ subject: string; role: Role | null }> {
  return store.transaction(async (tx) => {
    const s = await subjectOf(tx, input);
    const before = s.row.globalAccess ? s.row.role : null;
    if (s.subject.kind === 'user' && before === 'owner' && input.role !== 'owner') {
      const owners = (await tx.listUsers()).filter((u) => u.role === 'owner' && u.globalAccess);
      if (owners.length === 1) throw new PalisadeError('E_USAGE', `"${(s.row as UserRow).username}" is the last global Owner; make another user a global Owner first`);
    }
    if (s.subject.kind === 'token' && input.role) {
      const user = await tx.getUser((s.row as ApiTokenRow).userId);
      if (user && !roleAtLeast(user.role, input.role)) throw new PalisadeError('E_USAGE', `a token cannot have a higher role (${input.role}) than its user (${user.role})`);
    }
    await tx.setGlobalAccess(s.subject, input.role !== null, input.role ?? undefined);
    await tx.appendAudit({ actor: actor.name, action: 'role-binding.global', target: s.name, source: actor.source, before: { role: before }, after: { role: input.role } });
    return { subject: s.name, role: input.role };
  });
}
