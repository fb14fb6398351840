/**
 * Connectors: the list (with the inactive ones and past offboardings), one connector (last sync, preflight,
 * sync now), the onboarding wizard for a cluster or a registry (details -> preflight with the grant to
 * apply -> saved) and the offboarding wizard (plan -> confirmation -> the nine steps -> final report, purge).
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../api.js';
import { Choice, CodeBlock, ConfirmDialog, orNull, Pill, TableCard, WizardSteps, type Tone } from '../components/admin.js';
import { CheckField, TextField } from '../components/filters.js';
import { Card, Facts, PageHeader } from '../components/layout.js';
import { Link } from '../components/link.js';
import { Async, Empty, ErrorState, FormError, Loading } from '../components/states.js';
import { toast } from '../components/toast.js';
import { formatTime } from '../format.js';
import { useAction, useApi } from '../hooks.js';
import { allows, type PageDef, type PageProps } from '../page.js';
import { pathOf } from '../router.js';
import type { ConnectorView } from '../../../src/app/connectors.js';
import type { ConnectorActivitySummary, OffboardingPlan } from '../../../src/app/offboarding.js';
import type { RegistryPreflight } from '../../../src/app/registry-connector.js';

// ---- API shapes (src/api/routes/connectors.ts, src/api/routes/offboarding.ts) ----
// The server's types where it sends them as they are; the dashboard's own where the route reshapes them.


/** A connector as the API shows it. */
type Connector = ConnectorView;

/** A refused permission: verb, API group and resource, in a namespace or cluster-wide, and the feature needing it. */
interface Permission {
  verb: string;
  group: string;
  resource: string;
  namespace?: string;
  feature: string;
}

interface ClusterPreflight {
  ok: boolean;
  context: string;
  server: string;
  features: string[];
  checks: number;
  missing: Permission[];
  rulesIncomplete: boolean;
  grant: string;
  extraGrants: Array<{ features: string[]; note: string; yaml: string }>;
}

type Preflight = ClusterPreflight | RegistryPreflight;

type Plan = OffboardingPlan;
type AccessRemoval = OffboardingPlan['accessRemoval'];

type OffboardingState = 'running' | 'offboarded' | 'purged';

interface Step {
  step: string;
  number: number;
  title: string;
  status: 'pending' | 'done' | 'failed' | 'scheduled';
  at?: string;
  by?: string;
  error?: string;
}

interface Report {
  connector: { id: string; name: string; kind: string };
  state: OffboardingState;
  reason: string;
  requestedBy: string;
  startedAt: string;
  offboardedAt: string | null;
  offboardedBy: string | null;
  purgeAfter: string | null;
  purgedAt: string | null;
  complete: boolean;
  steps: Step[];
  bundle?: { dir: string; createdAt: string; files: Array<{ kind: string; file: string; rows: number; bytes: number; sha256: string }>; rows: number; manifestSha256: string };
  accessRemoval?: AccessRemoval;
  validation?: { ok: boolean; at: string; checks: Array<{ name: string; ok: boolean; detail: string }> };
  purge?: { at: string; by: string; removed: Record<string, number>; remaining: Record<string, number>; verified: boolean };
}

type ReportSummary = Omit<Report, 'steps' | 'bundle' | 'accessRemoval' | 'validation' | 'purge'>;

const CONNECTOR = '/connectors/:id';
const OFFBOARD = '/connectors/:id/offboard';
const apiPath = (id: string, rest = '') => `/api/v1/connectors/${encodeURIComponent(id)}${rest}`;
const isCluster = (p: Preflight): p is ClusterPreflight => 'grant' in p;

function statusOf(c: Connector, offboarding?: OffboardingState): { tone: Tone; text: string } {
  if (offboarding === 'purged') return { tone: 'neutral', text: 'purged' };
  if (offboarding === 'offboarded') return { tone: 'neutral', text: 'offboarded' };
  if (offboarding === 'running') return { tone: 'warn', text: 'offboarding' };
  if (!c.lastSync) return { tone: 'neutral', text: 'never synced' };
  return c.lastSync.ok ? { tone: 'ok', text: 'ok' } : { tone: 'bad', text: 'sync failed' };
}

/** The secure score of the latest cluster sync, kept in the connector's settings. */
function scoreOf(c: Connector): number | undefined {
  const s = (c.config.lastSync as { score?: unknown } | undefined)?.score;
  return typeof s === 'number' ? s : undefined;
}

// ---- List ----

function ConnectorList({ me }: PageProps) {
  const owner = allows(me, 'owner');
  const list = useApi<{ items: Connector[] }>('/api/v1/connectors');
  const offboardings = useApi<{ items: ReportSummary[] }>(owner ? '/api/v1/offboarding' : null);
  const inactive = useApi<{ days: number; items: ConnectorActivitySummary[] }>(owner ? '/api/v1/offboarding/inactive' : null);
  const stateOf = new Map((offboardings.data?.items ?? []).map((o) => [o.connector.id, o.state]));
  return (
    <>
      <PageHeader title="Connectors" subtitle="The clusters and registries Palisade reads.">
        {owner && (
          <Link href="/connectors/new" class="btn btn-primary">
            Add a connector
          </Link>
        )}
      </PageHeader>
      <TableCard
        state={list}
        emptyTitle="No connectors yet"
        emptyHint={owner ? 'Add a cluster or a registry to start monitoring it.' : 'An Owner adds clusters and registries here.'}
        label="Connectors"
        rowKey={(c) => c.id}
        columns={[
          { key: 'name', label: 'Name', sort: (c) => c.name, render: (c) => <Link href={pathOf(CONNECTOR, { id: c.id })}>{c.name}</Link> },
          { key: 'kind', label: 'Kind', sort: (c) => c.kind, render: (c) => c.kind },
          { key: 'sync', label: 'Last sync', sort: (c) => c.lastSync?.at ?? '', render: (c) => formatTime(c.lastSync?.at) },
          {
            key: 'status',
            label: 'Status',
            render: (c) => {
              const s = statusOf(c, stateOf.get(c.id));
              return <Pill tone={s.tone}>{s.text}</Pill>;
            },
          },
          { key: 'score', label: 'Score', align: 'right', sort: (c) => scoreOf(c) ?? -1, render: (c) => scoreOf(c) ?? '—' },
        ]}
      />
      {owner && (
        <TableCard
          title="Inactive connectors"
          id="inactive"
          state={inactive}
          emptyTitle="No inactive connector"
          emptyHint={`None has been without data or heartbeat for ${inactive.data?.days ?? 30} days.`}
          label="Inactive connectors"
          rowKey={(a) => a.connector.id}
          columns={[
            { key: 'name', label: 'Name', render: (a) => <Link href={pathOf(CONNECTOR, { id: a.connector.id })}>{a.connector.name}</Link> },
            { key: 'kind', label: 'Kind', render: (a) => a.connector.kind },
            { key: 'idle', label: 'Idle days', align: 'right', sort: (a) => a.idleDays, render: (a) => a.idleDays },
            { key: 'last', label: 'Last activity', render: (a) => formatTime(a.lastActivityAt) },
            { key: 'act', label: 'Action', render: (a) => <Link href={pathOf(OFFBOARD, { id: a.connector.id })}>Offboard {a.connector.name}</Link> },
          ]}
        />
      )}
      {owner && (
        <TableCard
          title="Offboardings"
          id="offboardings"
          state={offboardings}
          emptyTitle="No connector has been offboarded"
          label="Offboardings"
          rowKey={(o) => o.connector.id}
          columns={[
            { key: 'name', label: 'Connector', render: (o) => <Link href={pathOf(OFFBOARD, { id: o.connector.id })}>{o.connector.name}</Link> },
            { key: 'state', label: 'State', render: (o) => <Pill tone={o.state === 'running' ? 'warn' : 'neutral'}>{o.state}</Pill> },
            { key: 'reason', label: 'Reason', render: (o) => o.reason },
            { key: 'by', label: 'By', render: (o) => o.requestedBy },
            { key: 'at', label: 'Offboarded', render: (o) => formatTime(o.offboardedAt) },
            { key: 'purge', label: 'Purge', render: (o) => (o.purgedAt ? `done ${formatTime(o.purgedAt)}` : o.purgeAfter ? `after ${formatTime(o.purgeAfter)}` : '—') },
          ]}
        />
      )}
    </>
  );
}

// ---- Preflight result (wizard and detail) ----

function PreflightView(props: { preflight: Preflight }) {
  const p = props.preflight;
  const head = <Pill tone={p.ok ? 'ok' : 'bad'}>{p.ok ? 'Preflight passed' : 'Preflight failed'}</Pill>;
  if (!isCluster(p))
    return (
      <div class="preflight" aria-live="polite">
        <p>
          {head} Registry <span class="mono">{p.registry}</span>: {p.repositories} repositories{p.sample ? `, for example ${p.sample}` : ''}.
        </p>
        <ul class="checks" aria-label="Preflight checks">
          {p.checks.map((c) => (
            <li key={c.name}>
              <Pill tone={c.skipped ? 'neutral' : c.ok ? 'ok' : 'bad'}>{c.skipped ? 'skipped' : c.ok ? 'pass' : 'fail'}</Pill> <strong>{c.name}</strong>: {c.detail}
              {c.fix && <p class="hint">Fix: {c.fix}</p>}
            </li>
          ))}
        </ul>
      </div>
    );
  const kinds = new Set(p.missing.map((m) => `${m.group}/${m.resource}`)).size;
  return (
    <div class="preflight" aria-live="polite">
      <p>
        {head} Context <span class="mono">{p.context}</span> on <span class="mono">{p.server}</span>: {p.checks - p.missing.length} of {p.checks} permissions granted
        {p.features.length > 0 ? `; features checked: ${p.features.join(', ')}` : ''}.
      </p>
      {p.rulesIncomplete && <p class="hint">The cluster could not list every rule that applies, so each permission was also asked one by one.</p>}
      <ul class="checks" aria-label="Preflight checks">
        <li>
          <Pill tone={p.missing.length === 0 ? 'ok' : 'bad'}>{p.missing.length === 0 ? 'pass' : 'fail'}</Pill> read access to every kind Palisade reads{kinds > 0 ? ` (${kinds} refused)` : ''}
        </li>
        {p.missing.map((m) => (
          <li key={`${m.verb} ${m.group}/${m.resource} ${m.namespace ?? ''}`}>
            <Pill tone="bad">fail</Pill> <span class="mono">
              {m.verb} {m.group ? `${m.group}/` : ''}
              {m.resource}
            </span>
            {m.namespace ? ` in ${m.namespace}` : ''} <span class="muted">({m.feature})</span>
          </li>
        ))}
      </ul>
      <CodeBlock label="Grant YAML" text={p.grant} copyLabel="Copy the grant YAML" />
      <p class="hint">
        A read-only ClusterRole and its ClusterRoleBinding, the least Palisade needs: apply it with <span class="mono">kubectl apply -f -</span>.
      </p>
      {p.extraGrants.length > 0 && (
        <details>
          <summary>Grants for the optional reads</summary>
          {p.extraGrants.map((g) => (
            <div key={g.features.join(',')}>
              <p>{g.note}</p>
              {g.yaml.trim() && <CodeBlock label={`Grant for ${g.features.join(', ')}`} text={g.yaml} />}
            </div>
          ))}
        </details>
      )}
    </div>
  );
}

// ---- Detail ----

interface SyncAnswer {
  at: string;
  resources?: number;
  findings?: number;
  score?: number;
  images?: number;
  queued?: number;
  errors: unknown[];
}

interface StoredPreflight {
  ok?: boolean;
  at?: string;
  forced?: boolean;
  missing?: string[];
}

function ConnectorDetail({ me, params }: PageProps) {
  const id = params.id ?? '';
  const owner = allows(me, 'owner');
  const contributor = allows(me, 'contributor');
  const loaded = useApi<Connector>(apiPath(id));
  const offboarding = useApi<Report>(owner ? apiPath(id, '/offboarding') : null);
  const sync = useAction();
  const check = useAction();
  const [preflight, setPreflight] = useState<Preflight>();
  const connector = loaded.data;
  const state = offboarding.data?.state;
  const active = !state;
  const runSync = async () => {
    const r = await sync.run(() => api.post<SyncAnswer>(apiPath(id, '/sync')));
    if (!r.ok) return;
    const s = r.value;
    toast(s.findings !== undefined ? `Synced: ${s.resources} resources, ${s.findings} findings, score ${s.score}` : `Synced: ${s.images} images, ${s.queued} queued for a scan`);
    loaded.reload();
  };
  const runPreflight = async () => {
    const r = await check.run(() => api.post<Preflight>(apiPath(id, '/preflight')));
    if (r.ok) setPreflight(r.value);
  };
  return (
    <>
      <PageHeader title={connector?.name ?? id} crumbs={[{ href: '/connectors', label: 'Connectors' }]} subtitle={connector && `${connector.kind} connector, added ${formatTime(connector.createdAt)}`}>
        {connector && contributor && active && (
          <button type="button" class="btn btn-primary" disabled={sync.busy} onClick={runSync}>
            {sync.busy ? 'Syncing…' : 'Sync now'}
          </button>
        )}
        {connector && owner && (
          <Link href={pathOf(OFFBOARD, { id })} class="btn btn-danger">
            {active ? 'Offboard' : 'Offboarding report'}
          </Link>
        )}
      </PageHeader>
      <FormError error={sync.error} />
      <Async state={loaded} emptyTitle={`No connector "${id}"`}>
        {(c) => {
          const stored = c.config.preflight as StoredPreflight | undefined;
          const last = (c.config.lastSync ?? {}) as { resources?: number; findings?: number; score?: number; images?: number };
          const status = statusOf(c, state);
          const facts: Array<[string, ComponentChildren]> = [
            ['Status', <Pill tone={status.tone}>{status.text}</Pill>],
            ['Kind', c.kind],
            ['Credentials', c.hasCredentials ? 'stored, encrypted' : c.config.inCluster === true ? 'in-cluster service account' : 'none'],
          ];
          if (typeof c.config.server === 'string') facts.push(['Server', <span class="mono break">{c.config.server}</span>]);
          if (typeof c.config.context === 'string') facts.push(['Context', <span class="mono">{c.config.context}</span>]);
          if (typeof c.config.url === 'string') facts.push(['Registry', <span class="mono break">{c.config.url}</span>]);
          if (c.config.scope && JSON.stringify(c.config.scope) !== '{}') facts.push(['Scope', <span class="mono break">{JSON.stringify(c.config.scope)}</span>]);
          const synced: Array<[string, ComponentChildren]> = c.lastSync
            ? [
                ['Last sync', <>{formatTime(c.lastSync.at)} <Pill tone={c.lastSync.ok ? 'ok' : 'bad'}>{c.lastSync.ok ? 'ok' : 'failed'}</Pill></>],
                ...(c.lastSync.error ? ([['Error', c.lastSync.error]] as Array<[string, ComponentChildren]>) : []),
                ...(c.lastSync.lastSuccessAt && c.lastSync.lastSuccessAt !== c.lastSync.at ? ([['Last success', formatTime(c.lastSync.lastSuccessAt)]] as Array<[string, ComponentChildren]>) : []),
                ...(['resources', 'findings', 'images', 'score'] as const).filter((k) => last[k] !== undefined).map((k): [string, ComponentChildren] => [k === 'score' ? 'Secure score' : k[0]!.toUpperCase() + k.slice(1), last[k]]),
              ]
            : [['Last sync', 'never']];
          return (
            <>
              <Card title="Connector">
                <Facts items={facts} />
              </Card>
              <Card title="Last sync">
                <Facts items={synced} />
              </Card>
              <Card
                title="Preflight"
                actions={
                  contributor &&
                  active && (
                    <button type="button" class="btn" disabled={check.busy} onClick={runPreflight}>
                      {check.busy ? 'Checking…' : 'Run the preflight again'}
                    </button>
                  )
                }
              >
                {stored ? (
                  <p>
                    <Pill tone={stored.ok ? 'ok' : 'bad'}>{stored.ok ? 'passed' : stored.forced ? 'saved with missing permissions' : 'failed'}</Pill> {formatTime(stored.at)}
                    {stored.missing && stored.missing.length > 0 && <span class="muted"> — missing: {stored.missing.join(', ')}</span>}
                  </p>
                ) : (
                  <p class="muted">No preflight recorded.</p>
                )}
                <FormError error={check.error} />
                {preflight && <PreflightView preflight={preflight} />}
              </Card>
              {owner && state && (
                <Card title="Offboarding">
                  <p>
                    {state === 'running' ? 'Offboarding has started and not finished.' : `Offboarded ${formatTime(offboarding.data?.offboardedAt)}.`} <Link href={pathOf(OFFBOARD, { id })}>The offboarding report</Link>
                  </p>
                </Card>
              )}
            </>
          );
        }}
      </Async>
    </>
  );
}

// ---- Onboarding wizard ----

type Kind = 'cluster' | 'registry';
type Feature = 'secrets-metadata' | 'configmap-data' | 'secret-data';

interface Draft {
  kind: Kind;
  name: string;
  access: 'kubeconfig' | 'inCluster';
  kubeconfig: string;
  context: string;
  namespaces: string;
  excludeNamespaces: string;
  excludeLabels: string;
  excludeImages: string;
  features: Feature[];
  url: string;
  plainHttp: boolean;
  auth: 'none' | 'basic' | 'token';
  username: string;
  password: string;
  token: string;
  ca: string;
  repoInclude: string;
  repoExclude: string;
  tagInclude: string;
  tagExclude: string;
  rescanInterval: string;
  maxTags: string;
}

const EMPTY: Draft = {
  kind: 'cluster',
  name: '',
  access: 'kubeconfig',
  kubeconfig: '',
  context: '',
  namespaces: '',
  excludeNamespaces: '',
  excludeLabels: '',
  excludeImages: '',
  features: [],
  url: '',
  plainHttp: false,
  auth: 'none',
  username: '',
  password: '',
  token: '',
  ca: '',
  repoInclude: '',
  repoExclude: '',
  tagInclude: '',
  tagExclude: '',
  rescanInterval: '',
  maxTags: '',
};

const FEATURES: ReadonlyArray<{ id: Feature; label: string }> = [
  { id: 'secrets-metadata', label: 'Secret metadata (names, types, owners; never values)' },
  { id: 'configmap-data', label: 'ConfigMap data (to find credentials kept in them)' },
  { id: 'secret-data', label: 'Secret data (inspected, never stored)' },
];

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** Splits a comma- or newline-separated field into its entries; none: left out of the request. */
function listOf(text: string): string[] | undefined {
  const items = text
    .split(/[,\n]/)
    .map((s) => s.trim())
    .filter(Boolean);
  return items.length > 0 ? items : undefined;
}

/** The body of `POST /api/v1/connectors` for a draft. */
function bodyOf(d: Draft): Record<string, unknown> {
  if (d.kind === 'cluster') {
    const scope = { namespaces: listOf(d.namespaces), excludeNamespaces: listOf(d.excludeNamespaces), excludeLabels: listOf(d.excludeLabels), excludeImages: listOf(d.excludeImages), features: d.features.length > 0 ? d.features : undefined };
    const access = d.access === 'inCluster' ? { inCluster: true } : { kubeconfig: d.kubeconfig, context: d.context.trim() || undefined };
    return { kind: 'cluster', name: d.name.trim(), ...access, scope };
  }
  const patterns = (include: string, exclude: string) => (listOf(include) || listOf(exclude) ? { include: listOf(include), exclude: listOf(exclude) } : undefined);
  return {
    kind: 'registry',
    name: d.name.trim(),
    url: d.url.trim(),
    auth: d.auth === 'basic' ? { username: d.username, password: d.password } : d.auth === 'token' ? { token: d.token } : undefined,
    ca: d.ca.trim() || undefined,
    plainHttp: d.plainHttp || undefined,
    repositories: patterns(d.repoInclude, d.repoExclude),
    tags: patterns(d.tagInclude, d.tagExclude),
    rescanInterval: d.rescanInterval.trim() || undefined,
    maxTagsPerRepository: d.maxTags.trim() ? Number(d.maxTags) : undefined,
  };
}

/** What is wrong with a draft before it is sent, or nothing. */
function problemOf(d: Draft): string | undefined {
  if (!NAME.test(d.name.trim())) return 'The name is letters, digits, dot, dash and underscore, starting with a letter or a digit.';
  if (d.kind === 'cluster') return d.access === 'kubeconfig' && !d.kubeconfig.trim() ? 'Paste a kubeconfig, or choose the in-cluster service account.' : undefined;
  if (!d.url.trim()) return 'Give the registry URL.';
  if (d.auth === 'basic' && (!d.username || !d.password)) return 'Give the user and the password.';
  if (d.auth === 'token' && !d.token) return 'Give the token.';
  if (d.maxTags.trim() && !(Number.isInteger(Number(d.maxTags)) && Number(d.maxTags) >= 1)) return 'The most tags per repository is a whole number, 1 or more.';
  return undefined;
}

/** The answer of an onboarding request: saved, or refused with (for a preflight refusal) the preflight. */
type Onboarded = { saved: true; connector: Connector; preflight: Preflight } | { saved: false; dryRun?: boolean; message: string; preflight?: Preflight };

/** How an onboarding request is sent: a dry run (the preflight only), a save, or a save despite missing permissions. */
type OnboardMode = 'dry-run' | 'save' | 'force';

/**
 * `POST /api/v1/connectors` with fetch rather than `api.post`: a refusal (422) carries the preflight in its
 * body, which the wizard shows, and an ApiError keeps only the message.
 */
async function onboard(body: Record<string, unknown>, mode: OnboardMode): Promise<Onboarded> {
  const query = mode === 'dry-run' ? '?dryRun=true' : mode === 'force' ? '?force=true' : '';
  const res = await fetch(`/api/v1/connectors${query}`, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { accept: 'application/json', 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const data = (await res.json().catch(() => ({}))) as { connector?: Connector; preflight?: Preflight; message?: string };
  if (res.status === 201 && data.connector && data.preflight) return { saved: true, connector: data.connector, preflight: data.preflight };
  if (res.status === 200 && data.preflight) return { saved: false, dryRun: true, message: '', preflight: data.preflight };
  if (res.status === 401) window.dispatchEvent(new CustomEvent('palisade:unauthorised'));
  return { saved: false, message: data.message ?? res.statusText, preflight: data.preflight };
}

function ClusterFields(props: { d: Draft; set: (p: Partial<Draft>) => void }) {
  const { d, set } = props;
  return (
    <>
      <Choice legend="How Palisade reaches the cluster" name="access" value={d.access} onChange={(access) => set({ access })} options={[{ id: 'kubeconfig', label: 'A kubeconfig' }, { id: 'inCluster', label: "The server's own service account (Palisade runs in this cluster)" }]} />
      {d.access === 'kubeconfig' && (
        <>
          <TextField label="Kubeconfig" multiline value={d.kubeconfig} onInput={(kubeconfig) => set({ kubeconfig })} hint="Paste the file; it is stored encrypted and never shown again." />
          <div class="form-field">
            <label for="kubeconfig-file">Or load the kubeconfig from a file</label>
            <input id="kubeconfig-file" type="file" onChange={async (e) => set({ kubeconfig: (await e.currentTarget.files?.[0]?.text()) ?? d.kubeconfig })} />
          </div>
          <TextField label="Context" value={d.context} onInput={(context) => set({ context })} hint="Default: the kubeconfig's current context." />
        </>
      )}
      <fieldset>
        <legend>Scope</legend>
        <TextField label="Only these namespaces" value={d.namespaces} onInput={(namespaces) => set({ namespaces })} hint="Comma-separated; empty: every namespace." />
        <TextField label="Exclude namespaces" value={d.excludeNamespaces} onInput={(excludeNamespaces) => set({ excludeNamespaces })} hint="Names or globs, e.g. kube-*." />
        <TextField label="Exclude resources with labels" value={d.excludeLabels} onInput={(excludeLabels) => set({ excludeLabels })} hint="key=value or key, comma-separated." />
        <TextField label="Images left out of vulnerability scanning" value={d.excludeImages} onInput={(excludeImages) => set({ excludeImages })} hint="Globs on the reference, e.g. docker.io/**." />
      </fieldset>
      <fieldset>
        <legend>Optional reads</legend>
        {FEATURES.map((f) => (
          <CheckField key={f.id} label={f.label} checked={d.features.includes(f.id)} onChange={(on) => set({ features: on ? [...d.features, f.id] : d.features.filter((x) => x !== f.id) })} />
        ))}
      </fieldset>
    </>
  );
}

function RegistryFields(props: { d: Draft; set: (p: Partial<Draft>) => void }) {
  const { d, set } = props;
  return (
    <>
      <TextField label="Registry URL" value={d.url} onInput={(url) => set({ url })} hint="https://registry.example.com" />
      <CheckField label="Allow plain http://" checked={d.plainHttp} onChange={(plainHttp) => set({ plainHttp })} />
      <Choice legend="Credentials" name="auth" value={d.auth} onChange={(auth) => set({ auth })} options={[{ id: 'none', label: 'None (a public registry)' }, { id: 'basic', label: 'User and password, or robot account and secret' }, { id: 'token', label: 'A bearer token' }]} />
      {d.auth === 'basic' && (
        <>
          <TextField label="User" value={d.username} onInput={(username) => set({ username })} autocomplete="off" />
          <TextField label="Password" type="password" value={d.password} onInput={(password) => set({ password })} autocomplete="new-password" />
        </>
      )}
      {d.auth === 'token' && <TextField label="Token" type="password" value={d.token} onInput={(token) => set({ token })} autocomplete="off" />}
      <TextField label="Certificate authority (PEM)" multiline value={d.ca} onInput={(ca) => set({ ca })} hint="Only for a registry with a private certificate authority." />
      <fieldset>
        <legend>What to scan</legend>
        <TextField label="Include repositories" value={d.repoInclude} onInput={(repoInclude) => set({ repoInclude })} hint="Globs, comma-separated (team/*, **); empty: every repository." />
        <TextField label="Exclude repositories" value={d.repoExclude} onInput={(repoExclude) => set({ repoExclude })} />
        <TextField label="Include tags" value={d.tagInclude} onInput={(tagInclude) => set({ tagInclude })} hint="Globs, e.g. v1.*" />
        <TextField label="Exclude tags" value={d.tagExclude} onInput={(tagExclude) => set({ tagExclude })} />
        <TextField label="Most tags per repository" type="number" value={d.maxTags} onInput={(maxTags) => set({ maxTags })} />
        <TextField label="Time between syncs" value={d.rescanInterval} onInput={(rescanInterval) => set({ rescanInterval })} hint="Default 24h." />
      </fieldset>
    </>
  );
}

/** Moves the focus to a wizard step's heading when the step changes, so a screen reader hears where it went. */
function useStepFocus(step: number) {
  const heading = useRef<HTMLHeadingElement>(null);
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    heading.current?.focus();
  }, [step]);
  return heading;
}

function OnboardWizard(_: PageProps) {
  const [d, setDraft] = useState<Draft>(EMPTY);
  const [step, setStep] = useState(1);
  const [problem, setProblem] = useState<string>();
  const [result, setResult] = useState<Onboarded>();
  const action = useAction();
  const heading = useStepFocus(step);
  const set = (p: Partial<Draft>) => setDraft((x) => ({ ...x, ...p }));
  const send = async (mode: OnboardMode) => {
    if (mode === 'dry-run') setResult(undefined);
    const r = await action.run(() => onboard(bodyOf(d), mode));
    if (!r.ok) return;
    // A save keeps the preflight on screen when it is refused (the cluster changed since the check).
    setResult(r.value.saved || mode === 'dry-run' ? r.value : { ...r.value, preflight: r.value.preflight ?? result?.preflight });
    if (r.value.saved) setStep(3);
  };
  const next = (e: Event) => {
    e.preventDefault();
    const p = problemOf(d);
    setProblem(p);
    if (p) return;
    setStep(2);
    void send('dry-run');
  };
  const saved = result?.saved ? result.connector : undefined;
  return (
    <>
      <PageHeader title="Add a connector" crumbs={[{ href: '/connectors', label: 'Connectors' }]} />
      <WizardSteps steps={['Details', 'Preflight', 'Save']} current={step} />
      <Card>
        {step === 1 && (
          <form onSubmit={next} aria-labelledby="step-details">
            <h2 id="step-details" ref={heading} tabIndex={-1}>
              Details
            </h2>
            <Choice legend="Kind" name="kind" value={d.kind} onChange={(kind) => set({ kind })} options={[{ id: 'cluster', label: 'Kubernetes cluster' }, { id: 'registry', label: 'Container registry' }]} />
            <TextField label="Name" value={d.name} onInput={(name) => set({ name })} required hint="Letters, digits, dot, dash and underscore." />
            {d.kind === 'cluster' ? <ClusterFields d={d} set={set} /> : <RegistryFields d={d} set={set} />}
            <FormError error={problem} />
            <div class="btn-row">
              <button type="submit" class="btn btn-primary">
                Next: run the preflight
              </button>
            </div>
          </form>
        )}
        {step === 2 && (
          <section aria-labelledby="step-preflight">
            <h2 id="step-preflight" ref={heading} tabIndex={-1}>
              Preflight
            </h2>
            <p class="hint">
              {d.kind === 'cluster' ? 'Palisade asks the cluster, with these credentials, for each read permission it needs.' : 'Palisade lists the catalog and a repository’s tags and pulls one manifest with these credentials.'} Nothing
              is saved yet: apply the grant shown for what is missing, run the preflight again, then save.
            </p>
            {action.busy && <Loading label="Running the preflight…" />}
            <FormError error={action.error ?? (result && !result.saved ? result.message : undefined)} />
            {result?.preflight && <PreflightView preflight={result.preflight} />}
            <div class="btn-row">
              {result?.preflight?.ok ? (
                <button type="button" class="btn btn-primary" disabled={action.busy} onClick={() => send('save')}>
                  Save the connector
                </button>
              ) : (
                <>
                  <button type="button" class="btn btn-primary" disabled={action.busy} onClick={() => send('dry-run')}>
                    Run the preflight again
                  </button>
                  {d.kind === 'cluster' && result?.preflight && !result.preflight.ok && (
                    <button type="button" class="btn btn-danger" disabled={action.busy} onClick={() => send('force')}>
                      Save with missing permissions
                    </button>
                  )}
                  <button type="button" class="btn" disabled={action.busy} onClick={() => setStep(1)}>
                    Back to the details
                  </button>
                </>
              )}
            </div>
          </section>
        )}
        {step === 3 && saved && (
          <section aria-labelledby="step-saved">
            <h2 id="step-saved" ref={heading} tabIndex={-1}>
              Saved
            </h2>
            <p role="status">
              Connector <strong>{saved.name}</strong> is saved{result?.preflight?.ok ? '' : ', with missing permissions'}. Its first sync runs on the schedule, or now from its page.
            </p>
            <div class="btn-row">
              <Link href={pathOf(CONNECTOR, { id: saved.id })} class="btn btn-primary">
                Open {saved.name}
              </Link>
              <button
                type="button"
                class="btn"
                onClick={() => {
                  setDraft(EMPTY);
                  setResult(undefined);
                  setStep(1);
                }}
              >
                Add another connector
              </button>
            </div>
          </section>
        )}
      </Card>
    </>
  );
}

// ---- Offboarding wizard ----

const STEP_TONE: Record<Step['status'], Tone> = { pending: 'neutral', done: 'ok', failed: 'bad', scheduled: 'warn' };

function StepList(props: { steps: Step[] }) {
  return (
    <ol class="checks offboarding-steps" aria-label="Offboarding steps" aria-live="polite">
      {props.steps.map((s) => (
        <li key={s.step}>
          <Pill tone={STEP_TONE[s.status]}>{s.status}</Pill> {s.number}. {s.title}
          {s.at && <span class="muted"> — {formatTime(s.at)}</span>}
          {s.error && <p class="form-error">{s.error}</p>}
        </li>
      ))}
    </ol>
  );
}

function PlanView(props: { plan: Plan }) {
  const { plan } = props;
  const dep = plan.dependencies;
  const facts: Array<[string, ComponentChildren]> = [
    ['Activity', <><Pill tone={plan.identify.inactive ? 'ok' : 'warn'}>{plan.identify.inactive ? 'inactive' : 'active'}</Pill> {plan.identify.idleDays} of {plan.identify.thresholdDays} days idle</>],
    ['Last activity', formatTime(plan.identify.lastActivityAt)],
    ['Scheduled syncs', dep.schedule.monitored ? 'yes' : 'no'],
    ['Exemptions', dep.exemptions.count],
    ['Alert suppressions', dep.notificationRules.alertSuppressions.count],
    ['Alerts (open)', `${dep.alerts.count} (${dep.alerts.open})`],
    ['Ingest tokens (active)', `${dep.ingestTokens.count} (${dep.ingestTokens.active})`],
    ['Role bindings', dep.roleBindings.count],
    ['Findings', dep.findings],
    ['Assets', dep.assets],
    ['Audit events', dep.auditEvents],
    ['Export bundle', plan.bundleDir ? <span class="mono break">{plan.bundleDir}</span> : 'none (no data directory)'],
    ['Purge', `${formatTime(plan.purge.at)} (${plan.purge.retentionDays} days)`],
  ];
  return (
    <>
      <h3>Dependencies</h3>
      <Facts items={facts} />
      <p class="hint">{dep.schedule.note}</p>
      <h3>What will change</h3>
      <ol class="checks" aria-label="Changes">
        {plan.changes.map((c, i) => (
          <li key={i}>
            <strong>{c.step}</strong>: {c.action}
            {c.ids && c.ids.length > 0 && <span class="muted"> ({c.ids.length} ids)</span>}
          </li>
        ))}
      </ol>
      {plan.purge.keeps.length > 0 && <p class="hint">Kept after the purge: {plan.purge.keeps.join(', ')}.</p>}
    </>
  );
}

function AccessRemovalView(props: { access: AccessRemoval }) {
  const { access } = props;
  return (
    <>
      <h3>Remove the access outside Palisade</h3>
      {access.subject && (
        <p>
          {access.subject.kind}{' '}
          <span class="mono">
            {access.subject.namespace ? `${access.subject.namespace}/` : ''}
            {access.subject.name}
          </span>{' '}
          <span class="muted">(from the {access.subject.from})</span>
        </p>
      )}
      {access.commands.length > 0 && <CodeBlock label="Revoke commands" text={access.commands.join('\n')} />}
      {access.yaml && <CodeBlock label="Objects to delete" text={access.yaml} copyLabel="Copy the YAML" />}
      {access.notes.length > 0 && (
        <ul>
          {access.notes.map((n) => (
            <li key={n}>{n}</li>
          ))}
        </ul>
      )}
    </>
  );
}

function ReportView(props: { report: Report; onPurged: (r: Report) => void }) {
  const { report } = props;
  const [purging, setPurging] = useState(false);
  const facts: Array<[string, ComponentChildren]> = [
    ['State', <Pill tone={report.state === 'running' ? 'warn' : 'neutral'}>{report.state}</Pill>],
    ['Reason', report.reason],
    ['Requested by', report.requestedBy],
    ['Offboarded', report.offboardedAt ? `${formatTime(report.offboardedAt)} by ${report.offboardedBy ?? '?'}` : '—'],
    ['Purge', report.purgedAt ? `done ${formatTime(report.purgedAt)}` : report.purgeAfter ? `after ${formatTime(report.purgeAfter)}` : '—'],
  ];
  return (
    <>
      <Card
        title="Final report"
        id="final-report"
        actions={
          report.state === 'offboarded' && (
            <button type="button" class="btn btn-danger" onClick={() => setPurging(true)}>
              Purge the data now
            </button>
          )
        }
      >
        <Facts items={facts} />
        <StepList steps={report.steps} />
      </Card>
      {report.validation && (
        <Card title="Validation">
          <p>
            <Pill tone={report.validation.ok ? 'ok' : 'bad'}>{report.validation.ok ? 'Validation passed' : 'Validation failed'}</Pill> {formatTime(report.validation.at)}
          </p>
          <ul class="checks" aria-label="Validation checks">
            {report.validation.checks.map((c) => (
              <li key={c.name}>
                <Pill tone={c.ok ? 'ok' : 'bad'}>{c.ok ? 'pass' : 'fail'}</Pill> <strong>{c.name}</strong>: {c.detail}
              </li>
            ))}
          </ul>
        </Card>
      )}
      {report.accessRemoval && (
        <Card title="Access to revoke">
          <AccessRemovalView access={report.accessRemoval} />
        </Card>
      )}
      {report.bundle && (
        <Card title="Export bundle">
          <Facts
            items={[
              ['Location', <span class="mono break">{report.bundle.dir}</span>],
              ['Files', report.bundle.files.length],
              ['Rows', report.bundle.rows],
              ['Manifest SHA-256', <span class="mono break">{report.bundle.manifestSha256}</span>],
            ]}
          />
        </Card>
      )}
      {report.purge && (
        <Card title="Purge">
          <p>
            Purged {formatTime(report.purge.at)} by {report.purge.by}: <Pill tone={report.purge.verified ? 'ok' : 'bad'}>{report.purge.verified ? 'verified' : 'not verified'}</Pill>
          </p>
        </Card>
      )}
      {purging && (
        <ConfirmDialog title={`Purge ${report.connector.name}`} onClose={() => setPurging(false)} confirmLabel="Purge now" onConfirm={async () => props.onPurged(await api.post<Report>(apiPath(report.connector.id, '/offboarding/purge')))}>
          <p>Every finding, asset and event of {report.connector.name} is deleted now, before the retention period ends. The export bundle stays where it is.</p>
        </ConfirmDialog>
      )}
    </>
  );
}

function OffboardWizard({ params }: PageProps) {
  const id = params.id ?? '';
  const existing = useApi<Report>(apiPath(id, '/offboarding'));
  const [purgeNow, setPurgeNow] = useState(false);
  const [retention, setRetention] = useState('');
  // The dry run, only once it is known that no offboarding exists yet.
  const plan = useApi<Plan>(existing.missing ? apiPath(id, '/offboarding/plan') : null, { purgeNow: purgeNow || undefined, retentionDays: retention || undefined });
  const [step, setStep] = useState(1);
  const [typed, setTyped] = useState('');
  const [reason, setReason] = useState('');
  const [force, setForce] = useState(false);
  const [progress, setProgress] = useState<Report>();
  const [report, setReport] = useState<Report>();
  const action = useAction();
  const heading = useStepFocus(step);
  const timer = useRef<number | undefined>(undefined);
  useEffect(() => () => window.clearInterval(timer.current), []);
  useEffect(() => {
    if (!existing.data) return;
    setReport(existing.data);
    setReason(existing.data.reason);
    setStep(existing.data.complete ? 4 : 3);
  }, [existing.data]);

  const execute = async () => {
    setStep(3);
    // The execution answers once every step is done; meanwhile its record shows each step as it completes.
    const poll = async () => {
      const r = await orNull(api.get<Report>(apiPath(id, '/offboarding'))).catch(() => null);
      if (r) setProgress(r);
    };
    timer.current = window.setInterval(() => void poll(), 700);
    const body = { reason: reason.trim(), force: force || undefined, purgeNow: purgeNow || undefined, retentionDays: retention ? Number(retention) : undefined };
    const r = await action.run(() => api.post<Report>(apiPath(id, '/offboarding'), body));
    window.clearInterval(timer.current);
    if (r.ok) {
      setReport(r.value);
      setStep(4);
    } else await poll();
  };

  const name = existing.data?.connector.name ?? plan.data?.connector.name ?? '';
  const inactive = plan.data?.identify.inactive ?? true;
  const ready = name !== '' && typed === name && reason.trim() !== '' && (inactive || force);
  const shown = progress ?? report;
  if (existing.error) return <ErrorState error={existing.error} onRetry={existing.reload} />;
  return (
    <>
      <PageHeader title={`Offboard ${name || id}`} crumbs={[{ href: '/connectors', label: 'Connectors' }, ...(plan.data || existing.data ? [{ href: pathOf(CONNECTOR, { id }), label: name }] : [])]} />
      <WizardSteps steps={['Plan', 'Confirm', 'Execute', 'Report']} current={step} />
      {existing.loading && !existing.data && !existing.missing && <Loading />}
      {step === 1 && existing.missing && (
        <Card>
          <h2 ref={heading} tabIndex={-1}>
            Plan
          </h2>
          <p class="hint">A dry run: nothing changes until you confirm.</p>
          <div class="btn-row">
            <TextField label="Days before the data is purged" type="number" value={retention} onInput={setRetention} hint="Default 30." />
          </div>
          <CheckField label="Purge the data at the end instead" checked={purgeNow} onChange={setPurgeNow} />
          {plan.error ? <ErrorState error={plan.error} onRetry={plan.reload} /> : plan.data ? <PlanView plan={plan.data} /> : plan.missing ? <Empty title={`No connector "${id}"`} /> : <Loading label="Planning…" />}
          {plan.data && <AccessRemovalView access={plan.data.accessRemoval} />}
          <div class="btn-row">
            <button type="button" class="btn btn-primary" disabled={!plan.data} onClick={() => setStep(2)}>
              Next: confirm
            </button>
          </div>
        </Card>
      )}
      {step === 2 && (
        <Card>
          <form
            onSubmit={(e) => {
              e.preventDefault();
              if (ready) void execute();
            }}
          >
            <h2 ref={heading} tabIndex={-1}>
              Confirm
            </h2>
            <p>
              Offboarding stops every sync and watch of <strong>{name}</strong>, revokes its ingest tokens, destroys its stored credentials, exports its data to a bundle and purges the data{' '}
              {purgeNow ? 'at the end' : 'after the retention period'}.
            </p>
            <TextField label={`Type the connector name, ${name}, to confirm`} value={typed} onInput={setTyped} autocomplete="off" />
            <TextField label="Reason" multiline value={reason} onInput={setReason} required hint="Kept with the record." />
            {!inactive && (
              <CheckField label="Offboard it although it is still active" checked={force} onChange={setForce} />
            )}
            <div class="btn-row">
              <button type="submit" class="btn btn-danger" disabled={!ready}>
                Offboard {name}
              </button>
              <button type="button" class="btn" onClick={() => setStep(1)}>
                Back to the plan
              </button>
            </div>
          </form>
        </Card>
      )}
      {step === 3 && (
        <Card>
          <h2 ref={heading} tabIndex={-1}>
            Execute
          </h2>
          {action.busy && <Loading label="Offboarding…" />}
          {shown ? <StepList steps={shown.steps} /> : <p class="muted">Starting…</p>}
          <FormError error={action.error} />
          {!action.busy && (
            <div class="btn-row">
              <button type="button" class="btn btn-primary" disabled={!reason.trim()} onClick={() => void execute()}>
                Resume the offboarding
              </button>
            </div>
          )}
        </Card>
      )}
      {step === 4 && report && <ReportView report={report} onPurged={setReport} />}
    </>
  );
}

/** The connector list, with the inactive connectors and the offboardings for an Owner. */
export const connectorsPage: PageDef = { path: '/connectors', title: 'Connectors', nav: true, minRole: 'reader', component: ConnectorList };

/** The onboarding wizard; listed before `/connectors/:id` so `new` is not taken for an id. */
export const connectorNewPage: PageDef = { path: '/connectors/new', title: 'Add a connector', nav: false, minRole: 'owner', component: OnboardWizard };

/** One connector: last sync, preflight, sync now. */
export const connectorPage: PageDef = { path: '/connectors/:id', title: 'Connector', nav: false, minRole: 'reader', component: ConnectorDetail };

/** The offboarding wizard and, once it has run, its report. */
export const connectorOffboardPage: PageDef = { path: '/connectors/:id/offboard', title: 'Offboard a connector', nav: false, minRole: 'owner', component: OffboardWizard };
