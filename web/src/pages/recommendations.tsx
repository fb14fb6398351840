import { useMemo, useState } from 'preact/hooks';
import { api } from '../api.js';
import { SeverityBadge, SeverityCounts, SEVERITIES } from '../components/badges.js';
import { ConnectorField, FiltersBar, SearchField, SelectField, TextField, useQueryFilters } from '../components/filters.js';
import { Card, Facts, PageHeader } from '../components/layout.js';
import { Link } from '../components/link.js';
import { DialogButtons, Modal } from '../components/modal.js';
import { Async, FormError } from '../components/states.js';
import { apiPaging, DataTable, severityColumn, TitleCell, type Column } from '../components/table.js';
import { toast } from '../components/toast.js';
import { errorText, formatCount, formatTime, relativeTime } from '../format.js';
import { useApi, useConnectors, usePaged } from '../hooks.js';
import { allows, type Me, type PageDef, type PageProps } from '../page.js';
import { pathOf } from '../router.js';
import type { AssetRef, Recommendation, RecommendationDetail } from '../types.js';
import type { ExemptionRow } from '../../../src/storage/store.js';

const LIST = '/recommendations';
const DETAIL = '/recommendations/:checkId';

function RecommendationsPage(props: PageProps) {
  const f = useQueryFilters(LIST, props.query);
  const [severity, connector, q, category] = [f.get('severity'), f.get('connector'), f.get('q'), f.get('category')];
  const state = useApi<{ items: Recommendation[] }>('/api/v1/recommendations', { severity, connector });
  const all = state.data?.items ?? [];
  const categories = useMemo(() => [...new Set(all.map((r) => r.category))].sort(), [all]);
  const needle = q.toLowerCase();
  const rows = all.filter((r) => (!category || r.category === category) && (!needle || `${r.checkId} ${r.slug} ${r.title}`.toLowerCase().includes(needle)));
  const bySeverity = rows.reduce<Record<string, number>>((m, r) => ((m[r.severity] = (m[r.severity] ?? 0) + 1), m), {});
  const columns: Column<Recommendation>[] = [
    severityColumn((r) => r.severity),
    { key: 'title', label: 'Recommendation', render: (r) => <TitleCell href={pathOf(DETAIL, { checkId: r.checkId })} title={r.title} sub={`${r.checkId} · ${r.slug}`} />, sort: (r) => r.title },
    { key: 'category', label: 'Category', render: (r) => <span class="tag">{r.category}</span>, sort: (r) => r.category },
    { key: 'affected', label: 'Affected', render: (r) => formatCount(r.affected), sort: (r) => r.affected, align: 'right' },
    { key: 'findings', label: 'Findings', render: (r) => formatCount(r.findings), sort: (r) => r.findings, align: 'right' },
    { key: 'lastSeen', label: 'Last seen', render: (r) => <span title={formatTime(r.lastSeen)}>{relativeTime(r.lastSeen)}</span>, sort: (r) => r.lastSeen },
  ];
  return (
    <>
      <PageHeader title="Recommendations" subtitle="Findings grouped by check across every asset, most severe first.">
        <a class="btn" href={api.href('/api/v1/exports/findings.csv', { severity, connector })} download>
          Download findings CSV
        </a>
      </PageHeader>
      <FiltersBar label="Filter recommendations">
        <SearchField label="Search" value={q} placeholder="Title, id or slug" onChange={(v) => f.set({ q: v })} />
        <SelectField label="Severity" value={severity} any="Any severity" options={SEVERITIES} onChange={(v) => f.set({ severity: v })} />
        <SelectField label="Category" value={category} any="Any category" options={categories} onChange={(v) => f.set({ category: v })} />
        <ConnectorField value={connector} onChange={(v) => f.set({ connector: v })} />
      </FiltersBar>
      <Async state={state} empty={() => !rows.length} emptyTitle="No recommendations match" emptyHint={all.length ? 'Change the filters.' : 'Nothing failed the checks, or no cluster is onboarded yet.'}>
        {() => (
          <>
            <p class="muted">
              {rows.length} recommendations · <SeverityCounts counts={bySeverity} />
            </p>
            <DataTable label="Recommendations" columns={columns} rows={rows} rowKey={(r) => r.checkId} />
          </>
        )}
      </Async>
    </>
  );
}

/** The suggested fix shown for the check: that of the first affected resource that has one (each row has its own). */
function suggestedFix(d: RecommendationDetail): { description: string; text: string } | undefined {
  const first = d.affectedResources.find((a) => a.fix)?.fix;
  if (!first) return undefined;
  return { description: first.description, text: first.command ?? JSON.stringify(first.patch, null, 2) };
}

function RecommendationDetailPage(props: PageProps) {
  const checkId = props.params.checkId!;
  const connector = props.query.get('connector') ?? '';
  const [pageSize] = useState(50);
  const paged = usePaged<RecommendationDetail>(`/api/v1/recommendations/${encodeURIComponent(checkId)}`, { connector }, pageSize);
  const detail = paged.data;
  const [exempt, setExempt] = useState<AssetRef | 'open' | undefined>();
  // Bumped after an exemption is created, so the exemptions list loads again.
  const [rev, setRev] = useState(0);
  const canWrite = allows(props.me, 'contributor');
  const fix = detail && suggestedFix(detail);
  return (
    <>
      <PageHeader title={detail?.title ?? checkId} crumbs={[{ href: LIST, label: 'Recommendations' }]}>
        {canWrite && detail && (
          <button type="button" class="btn btn-primary" onClick={() => setExempt('open')}>
            Exempt…
          </button>
        )}
      </PageHeader>
      <Async state={paged} emptyTitle="No such recommendation" emptyHint={`No findings of check ${checkId}: it passes everywhere, or it does not exist.`}>
        {(d) => {
          const r = d;
          return (
            <>
              <Card>
                <Facts
                  items={[
                    ['Severity', <SeverityBadge severity={r.severity} />],
                    ['Check', <code>{r.checkId}</code>],
                    ['Slug', <code>{r.slug}</code>],
                    ['Category', r.category],
                    ['Affected assets', formatCount(r.affected)],
                    ['Findings', formatCount(r.findings)],
                    ['Last seen', formatTime(r.lastSeen)],
                  ]}
                />
              </Card>
              <div class="grid grid-2">
                <Card title="Remediation" id="rec-remediation">
                  <p class="remediation">{r.remediation || 'No remediation text for this check.'}</p>
                  {typeof r.description === 'string' && <p class="muted">{r.description}</p>}
                </Card>
                <Card title="Suggested fix" id="rec-fix">
                  {fix ? (
                    <>
                      <p>{fix.description}</p>
                      <pre class="break">{fix.text}</pre>
                      <p class="muted">A JSON Patch against the resource as last synced; each affected resource has its own in the table. For manifests in git, `palisade fix` applies the same change keeping comments.</p>
                    </>
                  ) : (
                    <p class="muted">No automatic fix for this check. For manifests in git, `palisade fix` applies the fixes it has, keeping comments.</p>
                  )}
                </Card>
              </div>
              <Card title={`Affected resources (${formatCount(r.affected)})`} id="rec-affected">
                <DataTable
                  label="Affected resources"
                  rows={r.affectedResources}
                  rowKey={(a) => a.findingId}
                  paging={apiPaging(paged, pageSize)}
                  columns={[
                    {
                      key: 'asset',
                      label: 'Resource',
                      render: (a) => (
                        <>
                          <Link href={pathOf('/inventory/:id', { id: a.asset.id })}>{a.asset.key}</Link>
                          <span class="cell-sub">{a.asset.type}</span>
                        </>
                      ),
                      sort: (a) => a.asset.key,
                    },
                    { key: 'message', label: 'Finding', render: (a) => a.message },
                    { key: 'path', label: 'Field', render: (a) => <code class="break">{a.path}</code> },
                    { key: 'first', label: 'First seen', render: (a) => formatTime(a.firstSeen), sort: (a) => a.firstSeen },
                    {
                      key: 'fix',
                      label: 'Fix',
                      render: (a) =>
                        a.fix ? (
                          <details>
                            <summary>{a.fix.command ? 'kubectl patch' : 'JSON Patch'}</summary>
                            <pre class="break">{a.fix.command ?? JSON.stringify(a.fix.patch, null, 2)}</pre>
                          </details>
                        ) : (
                          <span class="muted">—</span>
                        ),
                    },
                    ...(canWrite
                      ? [
                          {
                            key: 'act',
                            label: 'Actions',
                            render: (a: RecommendationDetail['affectedResources'][number]) => (
                              <button type="button" class="btn" onClick={() => setExempt(a.asset)} aria-label={`Exempt ${a.asset.key}`}>
                                Exempt
                              </button>
                            ),
                          },
                        ]
                      : []),
                  ]}
                />
              </Card>
              <Exemptions key={rev} checkId={r.checkId} />
            </>
          );
        }}
      </Async>
      {exempt && detail && <ExemptDialog me={props.me} checkId={checkId} title={detail.title} asset={exempt === 'open' ? detail.affectedResources[0]?.asset : exempt} onClose={() => setExempt(undefined)} onDone={() => (paged.reload(), setRev(rev + 1))} />}
    </>
  );
}

type Exemption = ExemptionRow;

function Exemptions(props: { checkId: string }) {
  const state = useApi<{ items: Exemption[] }>('/api/v1/exemptions');
  const items = (state.data?.items ?? []).filter((e) => e.checkId === props.checkId || e.checkId === '*');
  return (
    <Card title="Exemptions of this check" id="rec-exemptions">
      <Async state={state} empty={() => !items.length} emptyTitle="No exemption" emptyHint="Exempted findings count as passing in the score.">
        {() => (
          <DataTable
            label="Exemptions"
            rows={items}
            rowKey={(e) => e.id}
            columns={[
              { key: 'scope', label: 'Scope', render: (e) => <code>{e.scope}</code>, sort: (e) => e.scope },
              { key: 'reason', label: 'Reason', render: (e) => e.reason },
              { key: 'owner', label: 'Owner', render: (e) => e.owner, sort: (e) => e.owner },
              { key: 'expires', label: 'Expires', render: (e) => (e.expiresAt ? formatTime(e.expiresAt) : 'never'), sort: (e) => e.expiresAt ?? '9' },
              { key: 'by', label: 'Created by', render: (e) => `${e.createdBy}, ${relativeTime(e.createdAt)}` },
            ]}
          />
        )}
      </Async>
    </Card>
  );
}

type ScopeKind = 'asset' | 'namespace' | 'connector' | 'all';

/** The namespace of an asset key (`<namespace>/<Kind>/<name>`), when it has one. */
function namespaceOf(key: string): string | undefined {
  const parts = key.split('/');
  return parts.length === 3 ? parts[0] : undefined;
}

/** A date input's `YYYY-MM-DD` as the end of that day, UTC. */
function endOfDay(date: string): string {
  return `${date}T23:59:59Z`;
}

function ExemptDialog(props: { me: Me; checkId: string; title: string; asset?: AssetRef; onClose: () => void; onDone: () => void }) {
  const connectors = useConnectors();
  const a = props.asset;
  const ns = a && namespaceOf(a.key);
  const connectorName = a?.connectorId ? connectors.find((c) => c.id === a.connectorId)?.name : undefined;
  const [kind, setKind] = useState<ScopeKind>(a ? 'asset' : 'all');
  const [reason, setReason] = useState('');
  const [owner, setOwner] = useState(props.me.actor.replace(/^user:/, ''));
  const [expires, setExpires] = useState(() => new Date(Date.now() + 90 * 86_400_000).toISOString().slice(0, 10));
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const scopes: Array<{ kind: ScopeKind; label: string; scope?: string }> = [
    { kind: 'asset', label: a ? `This resource: ${a.key}` : 'One resource', scope: a && `asset:${a.id}` },
    { kind: 'namespace', label: ns && connectorName ? `Namespace ${ns} of ${connectorName}` : 'Its namespace', scope: ns && connectorName ? `namespace:${connectorName}/${ns}` : undefined },
    { kind: 'connector', label: connectorName ? `Everything in ${connectorName}` : 'Its connector', scope: a?.connectorId ? `connector:${a.connectorId}` : undefined },
    { kind: 'all', label: 'Everywhere', scope: '*' },
  ];
  const chosen = scopes.find((s) => s.kind === kind);
  const submit = async (e: Event) => {
    e.preventDefault();
    if (!chosen?.scope) return setError('Choose a scope.');
    setBusy(true);
    setError(undefined);
    try {
      await api.post('/api/v1/exemptions', { scope: chosen.scope, checkId: props.checkId, reason, owner, expiresAt: expires ? endOfDay(expires) : null });
      toast(`Exemption created for ${props.checkId} (${chosen.scope})`);
      props.onDone();
      props.onClose();
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal
      title={`Exempt: ${props.title}`}
      onClose={props.onClose}
      footer={<DialogButtons form="exempt-form" label="Create exemption" busy={busy} onCancel={props.onClose} />}
    >
      <form id="exempt-form" onSubmit={submit}>
        <FormError error={error} />
        <fieldset>
          <legend>Scope</legend>
          {scopes.map((s) => (
            <div class="radio" key={s.kind}>
              <input type="radio" id={`scope-${s.kind}`} name="scope" value={s.kind} checked={kind === s.kind} disabled={!s.scope} onChange={() => setKind(s.kind)} />
              <label for={`scope-${s.kind}`}>
                {s.label}
                {s.scope && <span class="cell-sub mono">{s.scope}</span>}
              </label>
            </div>
          ))}
        </fieldset>
        <TextField label="Reason" value={reason} onInput={setReason} required multiline hint="Why this risk is accepted; it is kept in the audit trail." autofocus />
        <TextField label="Owner" value={owner} onInput={setOwner} required hint="Who answers for this accepted risk." />
        <TextField label="Expires on" type="date" value={expires} onInput={setExpires} hint="Leave empty for no expiry; the finding comes back when it expires." />
      </form>
    </Modal>
  );
}

/** The recommendations list and one recommendation's detail. */
export const recommendationsPage: PageDef = { path: LIST, title: 'Recommendations', nav: true, minRole: 'reader', component: RecommendationsPage };
/** One recommendation: affected resources, remediation, exemptions. */
export const recommendationDetailPage: PageDef = { path: DETAIL, title: 'Recommendation', nav: false, minRole: 'reader', component: RecommendationDetailPage };
