/**
 * Users & tokens (Owner only): local users, API tokens (shown once when created), roles per connector,
 * audit ingest tokens, and the audit trail of every change.
 */
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { api } from '../api.js';
import { Choice, CodeBlock, ConfirmDialog, CopyButton, FormDialog, Pill, SelectInput, TableCard } from '../components/admin.js';
import { CheckField, FiltersBar, SearchField, TextField } from '../components/filters.js';
import { PageHeader } from '../components/layout.js';
import { Modal } from '../components/modal.js';
import { toast } from '../components/toast.js';
import { formatTime } from '../format.js';
import { useApi, usePaged, type Loaded } from '../hooks.js';
import type { PageDef, PageProps, Role } from '../page.js';
import type { AuditEntry } from '../../../src/storage/store.js';

interface User {
  id: string;
  username: string;
  role: Role;
  createdAt: string;
}

interface ApiToken {
  id: string;
  name: string;
  prefix: string;
  role: Role;
  userId: string;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

interface Binding {
  id: string;
  subject: { kind: 'user' | 'token'; id: string; name: string };
  connectorId: string;
  role: Role;
  createdBy: string;
  createdAt: string;
}

interface IngestToken {
  id: string;
  connectorId: string;
  name: string;
  prefix: string;
  createdBy: string;
  createdAt: string;
  revokedAt: string | null;
  lastUsedAt: string | null;
}


interface ConnectorRef {
  id: string;
  name: string;
  kind: string;
}

const ROLES: ReadonlyArray<{ value: Role; label: string }> = [
  { value: 'reader', label: 'Reader' },
  { value: 'contributor', label: 'Contributor' },
  { value: 'owner', label: 'Owner' },
];

const EXPIRY: ReadonlyArray<{ value: string; label: string }> = [
  { value: '30', label: '30 days' },
  { value: '90', label: '90 days' },
  { value: '365', label: 'One year' },
  { value: 'never', label: 'Never' },
];

/** A secret the server shows once: in a dialog, with a copy button, gone when the dialog closes. */
function SecretOnce(props: { title: string; secret: string; onClose: () => void; children?: ComponentChildren }) {
  return (
    <Modal
      title={props.title}
      onClose={props.onClose}
      footer={
        <button type="button" class="btn btn-primary" onClick={props.onClose}>
          Done
        </button>
      }
    >
      <p>
        <strong>Copy it now: it is not shown again.</strong> Palisade keeps only its hash.
      </p>
      <CodeBlock label="Token" text={props.secret} copyLabel="Copy the token" />
      {props.children}
    </Modal>
  );
}

/** A revoke or delete button that asks first, then DELETEs `path` and says so. */
function RemoveButton(props: { label: string; title: string; question: string; path: string; done: string; onDone: () => void }) {
  const [open, setOpen] = useState(false);
  const remove = async () => {
    await api.del(props.path);
    toast(props.done);
    props.onDone();
  };
  return (
    <>
      <button type="button" class="btn btn-danger" onClick={() => setOpen(true)}>
        {props.label}
      </button>
      {open && (
        <ConfirmDialog title={props.title} confirmLabel={props.label} onClose={() => setOpen(false)} onConfirm={remove}>
          <p>{props.question}</p>
        </ConfirmDialog>
      )}
    </>
  );
}

/** A token's last column: revoked since when, or the button that revokes it. */
function revokeCell(t: { name: string; revokedAt: string | null }, question: string, path: string, onDone: () => void) {
  if (t.revokedAt) return <Pill tone="neutral">revoked {formatTime(t.revokedAt)}</Pill>;
  return <RemoveButton label={`Revoke ${t.name}`} title={`Revoke ${t.name}`} question={question} path={path} done={`${t.name} revoked`} onDone={onDone} />;
}

/** The button in a card's head that opens its form. */
function OpenButton(props: { label: string; onClick: () => void; disabled?: boolean }) {
  return (
    <button type="button" class="btn btn-primary" disabled={props.disabled} onClick={props.onClick}>
      {props.label}
    </button>
  );
}

// ---- Users ----

function UsersCard(props: { me: PageProps['me']; users: Loaded<{ items: User[] }> }) {
  const { users } = props;
  const [adding, setAdding] = useState(false);
  const [username, setUsername] = useState('');
  const [role, setRole] = useState<Role>('reader');
  const [password, setPassword] = useState('');
  const add = async () => {
    const u = await api.post<User>('/api/v1/users', { username: username.trim(), role, password });
    toast(`User ${u.username} added`);
    setAdding(false);
    setUsername('');
    setPassword('');
    users.reload();
  };
  return (
    <TableCard
      title="Users"
      id="users"
      actions={<OpenButton label="Add a user" onClick={() => setAdding(true)} />}
      state={users}
      emptyTitle="No users"
      label="Users"
      rowKey={(u) => u.id}
      columns={[
        { key: 'name', label: 'User', sort: (u) => u.username, render: (u) => u.username },
        { key: 'role', label: 'Role', sort: (u) => u.role, render: (u) => <span class={`pill role-${u.role}`}>{u.role}</span> },
        { key: 'created', label: 'Created', sort: (u) => u.createdAt, render: (u) => formatTime(u.createdAt) },
        {
          key: 'act',
          label: 'Actions',
          render: (u) =>
            `user:${u.username}` === props.me.actor ? (
              <span class="muted">you</span>
            ) : (
              <RemoveButton
                label={`Delete ${u.username}`}
                title={`Delete ${u.username}`}
                question={`${u.username} is removed with their sessions and API tokens.`}
                path={`/api/v1/users/${encodeURIComponent(u.username)}`}
                done={`User ${u.username} deleted`}
                onDone={users.reload}
              />
            ),
        },
      ]}
    >
      {adding && (
        <FormDialog title="Add a user" submitLabel="Add the user" onClose={() => setAdding(false)} onSubmit={add}>
          <TextField label="Username" value={username} onInput={setUsername} required autocomplete="off" />
          <SelectInput id="new-user-role" label="Role" value={role} options={ROLES} onChange={setRole} />
          <TextField label="Password" type="password" value={password} onInput={setPassword} required autocomplete="new-password" hint="At least 12 characters." />
        </FormDialog>
      )}
    </TableCard>
  );
}

// ---- API tokens ----

function TokensCard(props: { tokens: Loaded<{ items: ApiToken[] }>; users: User[] }) {
  const { tokens } = props;
  const [creating, setCreating] = useState(false);
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('reader');
  const [expiry, setExpiry] = useState('90');
  const [created, setCreated] = useState<{ token: string; info: ApiToken }>();
  const userName = new Map(props.users.map((u) => [u.id, u.username]));
  const create = async () => {
    const expiresAt = expiry === 'never' ? undefined : new Date(Date.now() + Number(expiry) * 86_400_000).toISOString();
    const r = await api.post<{ token: string; info: ApiToken }>('/api/v1/tokens', { name: name.trim(), role, expiresAt });
    setCreating(false);
    setName('');
    setCreated(r);
    tokens.reload();
  };
  return (
    <TableCard
      title="API tokens"
      id="tokens"
      actions={<OpenButton label="Create a token" onClick={() => setCreating(true)} />}
      state={tokens}
      emptyTitle="No API tokens"
      emptyHint="Tokens let scripts and CI call the API with a role of their own."
      label="API tokens"
      rowKey={(t) => t.id}
      columns={[
        { key: 'name', label: 'Name', sort: (t) => t.name, render: (t) => t.name },
        { key: 'prefix', label: 'Prefix', render: (t) => <span class="mono">{t.prefix}</span> },
        { key: 'role', label: 'Role', sort: (t) => t.role, render: (t) => t.role },
        { key: 'user', label: 'User', render: (t) => userName.get(t.userId) ?? t.userId },
        { key: 'created', label: 'Created', sort: (t) => t.createdAt, render: (t) => formatTime(t.createdAt) },
        { key: 'expires', label: 'Expires', render: (t) => (t.expiresAt ? formatTime(t.expiresAt) : 'never') },
        { key: 'used', label: 'Last used', render: (t) => formatTime(t.lastUsedAt) },
        { key: 'act', label: 'Actions', render: (t) => revokeCell(t, `Calls with the token ${t.prefix}… are refused from now on.`, `/api/v1/tokens/${encodeURIComponent(t.id)}`, tokens.reload) },
      ]}
    >
      {creating && (
        <FormDialog title="Create an API token" submitLabel="Create the token" onClose={() => setCreating(false)} onSubmit={create}>
          <TextField label="Name" value={name} onInput={setName} required hint="What uses it, e.g. ci-pipeline." autocomplete="off" />
          <SelectInput id="token-role" label="Role" value={role} options={ROLES} onChange={setRole} />
          <SelectInput id="token-expiry" label="Expires after" value={expiry} options={EXPIRY} onChange={setExpiry} />
        </FormDialog>
      )}
      {created && (
        <SecretOnce title={`Token ${created.info.name}`} secret={created.token} onClose={() => setCreated(undefined)}>
          <p class="hint">
            Send it as <span class="mono">Authorization: Bearer …</span>; role {created.info.role}, {created.info.expiresAt ? `expires ${formatTime(created.info.expiresAt)}` : 'does not expire'}.
          </p>
        </SecretOnce>
      )}
    </TableCard>
  );
}

// ---- Role bindings ----

function BindingsCard(props: { users: User[]; tokens: ApiToken[]; connectors: ConnectorRef[] }) {
  const bindings = useApi<{ items: Binding[] }>('/api/v1/role-bindings');
  const [granting, setGranting] = useState(false);
  const [kind, setKind] = useState<'user' | 'token'>('user');
  const [subject, setSubject] = useState('');
  const [connector, setConnector] = useState('');
  const [role, setRole] = useState<Role>('reader');
  const connectorName = (id: string) => props.connectors.find((c) => c.id === id)?.name ?? id;
  const users = props.users.map((u) => ({ value: u.username, label: `${u.username} (${u.role})` }));
  const tokens = props.tokens.filter((t) => !t.revokedAt).map((t) => ({ value: t.id, label: `${t.name} (${t.prefix}…)` }));
  const subjects = kind === 'user' ? users : tokens;
  const connectors = props.connectors.map((c) => ({ value: c.id, label: `${c.name} (${c.kind})` }));
  const grant = async () => {
    const b = await api.post<Binding>('/api/v1/role-bindings', { [kind]: subject || subjects[0]?.value, connector: connector || connectors[0]?.value, role });
    toast(`${b.subject.name} is ${b.role} on ${connectorName(b.connectorId)}`);
    setGranting(false);
    bindings.reload();
  };
  return (
    <TableCard
      title="Roles per connector"
      id="bindings"
      actions={<OpenButton label="Grant a role" disabled={connectors.length === 0} onClick={() => setGranting(true)} />}
      state={bindings}
      emptyTitle="No roles per connector"
      emptyHint="Everyone has their global role on every connector."
      label="Role bindings"
      rowKey={(b) => b.id}
      columns={[
        { key: 'subject', label: 'Subject', sort: (b) => b.subject.name, render: (b) => b.subject.name },
        { key: 'connector', label: 'Connector', sort: (b) => connectorName(b.connectorId), render: (b) => connectorName(b.connectorId) },
        { key: 'role', label: 'Role', render: (b) => b.role },
        { key: 'by', label: 'Granted by', render: (b) => b.createdBy },
        { key: 'at', label: 'Granted', render: (b) => formatTime(b.createdAt) },
        {
          key: 'act',
          label: 'Actions',
          render: (b) => (
            <RemoveButton
              label="Revoke"
              title={`Revoke the role of ${b.subject.name}`}
              question={`${b.subject.name} loses the ${b.role} role on ${connectorName(b.connectorId)}.`}
              path={`/api/v1/role-bindings/${encodeURIComponent(b.id)}`}
              done="Role revoked"
              onDone={bindings.reload}
            />
          ),
        },
      ]}
    >
      {granting && (
        <FormDialog title="Grant a role on a connector" submitLabel="Grant" disabled={subjects.length === 0} onClose={() => setGranting(false)} onSubmit={grant}>
          <Choice
            legend="To"
            name="subject-kind"
            value={kind}
            onChange={(k) => {
              setKind(k);
              setSubject('');
            }}
            options={[
              { id: 'user', label: 'A user' },
              { id: 'token', label: 'An API token' },
            ]}
          />
          <SelectInput id="binding-subject" label={kind === 'user' ? 'User' : 'API token'} value={subject || subjects[0]?.value || ''} options={subjects} onChange={setSubject} />
          <SelectInput id="binding-connector" label="Connector" value={connector || connectors[0]?.value || ''} options={connectors} onChange={setConnector} />
          <SelectInput id="binding-role" label="Role" value={role} options={ROLES} onChange={setRole} />
        </FormDialog>
      )}
    </TableCard>
  );
}

// ---- Ingest tokens ----

function IngestTokensCard(props: { connectors: ConnectorRef[] }) {
  const [revoked, setRevoked] = useState(false);
  const tokens = useApi<{ items: IngestToken[] }>('/api/v1/ingest-tokens', { includeRevoked: revoked || undefined });
  const [creating, setCreating] = useState(false);
  const [connector, setConnector] = useState('');
  const [name, setName] = useState('');
  const [created, setCreated] = useState<{ token: string; info: IngestToken; url: string }>();
  const connectorName = (id: string) => props.connectors.find((c) => c.id === id)?.name ?? id;
  const clusters = props.connectors.filter((c) => c.kind === 'cluster').map((c) => ({ value: c.id, label: c.name }));
  const create = async () => {
    const r = await api.post<{ token: string; info: IngestToken; url: string }>('/api/v1/ingest-tokens', { connectorId: connector || clusters[0]?.value, name: name.trim() });
    setCreating(false);
    setName('');
    setCreated(r);
    tokens.reload();
  };
  const webhook = created && new URL(created.url, window.location.origin).href;
  return (
    <TableCard
      title="Audit ingest tokens"
      id="ingest-tokens"
      actions={
        <>
          <CheckField label="Show revoked" checked={revoked} onChange={setRevoked} />
          <OpenButton label="Create an ingest token" disabled={clusters.length === 0} onClick={() => setCreating(true)} />
        </>
      }
      state={tokens}
      emptyTitle="No ingest tokens"
      emptyHint="A cluster's audit webhook authenticates with one."
      label="Audit ingest tokens"
      rowKey={(t) => t.id}
      columns={[
        { key: 'connector', label: 'Connector', sort: (t) => connectorName(t.connectorId), render: (t) => connectorName(t.connectorId) },
        { key: 'name', label: 'Name', render: (t) => t.name },
        { key: 'prefix', label: 'Prefix', render: (t) => <span class="mono">{t.prefix}</span> },
        { key: 'by', label: 'Created by', render: (t) => t.createdBy },
        { key: 'created', label: 'Created', render: (t) => formatTime(t.createdAt) },
        { key: 'used', label: 'Last batch', render: (t) => formatTime(t.lastUsedAt) },
        { key: 'act', label: 'Actions', render: (t) => revokeCell(t, 'Audit batches sent with it are refused (410 Gone) from now on.', `/api/v1/ingest-tokens/${encodeURIComponent(t.id)}`, tokens.reload) },
      ]}
    >
      {creating && (
        <FormDialog title="Create an audit ingest token" submitLabel="Create the token" onClose={() => setCreating(false)} onSubmit={create}>
          <SelectInput id="ingest-connector" label="Cluster" value={connector || clusters[0]?.value || ''} options={clusters} onChange={setConnector} />
          <TextField label="Name" value={name} onInput={setName} required autocomplete="off" hint="e.g. apiserver-webhook" />
        </FormDialog>
      )}
      {created && webhook && (
        <SecretOnce title={`Ingest token ${created.info.name}`} secret={created.token} onClose={() => setCreated(undefined)}>
          <p>
            The webhook posts to <span class="mono break">{webhook}</span> <CopyButton text={webhook} label="Copy the URL" />; put the token in the webhook kubeconfig's <span class="mono">token:</span>.
          </p>
        </SecretOnce>
      )}
    </TableCard>
  );
}

// ---- Audit trail ----

function AuditCard() {
  const [action, setAction] = useState('');
  const audit = usePaged<{ items: AuditEntry[]; next?: string }>('/api/v1/audit-log', { action: action || undefined }, 50);
  return (
    <TableCard
      title="Audit trail"
      id="audit"
      toolbar={
        <FiltersBar label="Filter the audit trail">
          <SearchField label="Action" value={action} onChange={setAction} placeholder="e.g. connector.onboard" />
        </FiltersBar>
      }
      state={audit}
      emptyTitle="No audit entries"
      emptyHint={action ? `None with the action ${action}.` : undefined}
      label="Audit trail"
      rowKey={(a) => String(a.id)}
      paging={{ pageIndex: audit.pageIndex, pageSize: 50, hasPrev: audit.hasPrev, hasNext: audit.hasNext, onPrev: audit.prevPage, onNext: audit.nextPage }}
      columns={[
        { key: 'at', label: 'When', render: (a) => <span class="nowrap">{formatTime(a.at)}</span> },
        { key: 'actor', label: 'Actor', render: (a) => a.actor },
        { key: 'action', label: 'Action', render: (a) => <span class="mono">{a.action}</span> },
        { key: 'target', label: 'Target', render: (a) => <span class="mono break">{a.target}</span> },
        { key: 'source', label: 'Source', render: (a) => a.source ?? '—' },
        {
          key: 'change',
          label: 'Change',
          render: (a) =>
            a.before === null && a.after === null ? (
              '—'
            ) : (
              <details>
                <summary>Before and after</summary>
                <pre>{JSON.stringify({ before: a.before, after: a.after }, null, 2)}</pre>
              </details>
            ),
        },
      ]}
    />
  );
}

function UsersPage({ me }: PageProps) {
  const users = useApi<{ items: User[] }>('/api/v1/users');
  const tokens = useApi<{ items: ApiToken[] }>('/api/v1/tokens');
  const connectors = useApi<{ items: ConnectorRef[] }>('/api/v1/connectors');
  const userList = users.data?.items ?? [];
  const connectorList = connectors.data?.items ?? [];
  return (
    <>
      <PageHeader title="Users & tokens" subtitle="Who may do what, the credentials machines use, and the trail of every change." />
      <UsersCard me={me} users={users} />
      <TokensCard tokens={tokens} users={userList} />
      <BindingsCard users={userList} tokens={tokens.data?.items ?? []} connectors={connectorList} />
      <IngestTokensCard connectors={connectorList} />
      <AuditCard />
    </>
  );
}

/** Users, API tokens, roles per connector, ingest tokens and the audit trail. */
export const usersPage: PageDef = { path: '/users', title: 'Users & tokens', nav: true, minRole: 'owner', component: UsersPage };
