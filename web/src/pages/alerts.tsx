import type { ComponentChildren } from 'preact';
import { useMemo, useState } from 'preact/hooks';
import { api } from '../api.js';
import { SeverityBadge, SEVERITIES, StatusBadge } from '../components/badges.js';
import { StackedBars } from '../components/charts.js';
import { ConnectorField, FiltersBar, SearchField, SelectField, TextField, useQueryFilters } from '../components/filters.js';
import { Card, Facts, PageHeader } from '../components/layout.js';
import { Link } from '../components/link.js';
import { DialogButtons, Modal } from '../components/modal.js';
import { Async, FormError } from '../components/states.js';
import { toast } from '../components/toast.js';
import { errorText, formatCount, formatTime } from '../format.js';
import { useAction, useApi, useConnectors, usePaged, type Page } from '../hooks.js';
import { allows, type Me, type PageDef, type PageProps } from '../page.js';
import { pathOf } from '../router.js';
import type { Alert, AlertDetail } from '../types.js';

const LIST = '/alerts';
const DETAIL = '/alerts/:id';
const PAGE_SIZE = 50;

const STATUS_OPTIONS = [
  { value: 'new,acknowledged', label: 'Open (new, acknowledged)' },
  { value: 'new', label: 'New' },
  { value: 'acknowledged', label: 'Acknowledged' },
  { value: 'resolved', label: 'Resolved' },
  { value: 'dismissed', label: 'Dismissed' },
];

const PERIODS = [
  { value: '1', label: 'Last 24 hours' },
  { value: '7', label: 'Last 7 days' },
  { value: '30', label: 'Last 30 days' },
  { value: 'all', label: 'All time' },
];

/** Who did what to what, in one line: `alice create pods/exec shop/web-0`. */
function entityLine(e: Alert['entities']): string {
  const res = [e.resource, e.subresource].filter(Boolean).join('/');
  const obj = [e.namespace, e.name].filter(Boolean).join('/');
  return [e.user, e.verb, res, obj].filter(Boolean).join(' ');
}

/**
 * The summary's days with alerts, spread over every day from the period's start (or the first alert, for all
 * time) to today, so quiet days show as gaps rather than disappearing.
 */
function everyDay(series: Array<{ bucket: string; counts: Record<string, number> }>, since: string | undefined): Array<{ day: string; values: Record<string, number> }> {
  const counts = new Map(series.map((x) => [x.bucket.slice(0, 10), x.counts]));
  const first = since ?? series[0]?.bucket;
  if (!first) return [];
  const out = [];
  const today = new Date().toISOString().slice(0, 10);
  for (let t = Date.parse(first.slice(0, 10)); out.length < 120; t += 86_400_000) {
    const day = new Date(t).toISOString().slice(0, 10);
    out.push({ day, values: counts.get(day) ?? {} });
    if (day >= today) break;
  }
  return out;
}

/** The moves a Contributor can make from a status (the server enforces the same). */
function movesFrom(status: Alert['status']): Array<'acknowledged' | 'resolved' | 'dismissed'> {
  if (status === 'new') return ['acknowledged', 'resolved', 'dismissed'];
  if (status === 'acknowledged') return ['resolved', 'dismissed'];
  return [];
}

const MOVE_LABEL = { acknowledged: 'Acknowledge', resolved: 'Resolve', dismissed: 'Dismiss' } as const;

async function moveAlert(id: number, status: 'acknowledged' | 'resolved' | 'dismissed', reason?: string): Promise<boolean> {
  try {
    await api.post(`/api/v1/alerts/${id}/status`, { status, ...(reason ? { reason } : {}) });
    toast(`Alert ${id} ${status}`);
    return true;
  } catch (e) {
    toast(`Alert ${id}: ${errorText(e)}`, 'error');
    return false;
  }
}

function AlertsPage(props: PageProps) {
  const f = useQueryFilters(LIST, props.query);
  const days = f.get('days') || '7';
  // Fixed when the window is chosen, so re-renders (a minute later, after acknowledging) keep the query and the page.
  const since = useMemo(() => new Date(Math.floor((Date.now() - (days === 'all' ? 0 : Number(days)) * 86_400_000) / 60_000) * 60_000).toISOString(), [days]);
  const filters = { severity: f.get('severity'), status: f.get('status'), rule: f.get('rule'), connector: f.get('connector'), since: days === 'all' ? undefined : since };
  const paged = usePaged<Page<Alert>>('/api/v1/alerts', filters, PAGE_SIZE);
  const summary = useApi<{ series: Array<{ bucket: string; counts: Record<string, number> }>; totals: Record<string, number> }>('/api/v1/alerts/summary', { bucket: 'day', since: filters.since ?? new Date(Date.parse(since) - 90 * 86_400_000).toISOString(), connector: filters.connector });
  const canWrite = allows(props.me, 'contributor');
  const items = paged.data?.items ?? [];
  const byDay = new Map<string, Alert[]>();
  for (const a of items) {
    const day = formatTime(a.lastSeen).slice(0, 10);
    byDay.set(day, [...(byDay.get(day) ?? []), a]);
  }
  const ack = async (a: Alert) => (await moveAlert(a.id, 'acknowledged')) && paged.reload();
  return (
    <>
      <PageHeader title="Alerts" subtitle="Threats detected in each cluster's audit log, newest first.">
        <a class="btn" href={api.href('/api/v1/exports/alerts.csv', filters)} download>
          Download CSV
        </a>
      </PageHeader>
      <FiltersBar label="Filter alerts">
        <SelectField label="Period" value={days} options={PERIODS} onChange={(v) => f.set({ days: v })} />
        <SelectField label="Severity" value={filters.severity} any="Any severity" options={SEVERITIES.slice(0, 4)} onChange={(v) => f.set({ severity: v })} />
        <SelectField label="Status" value={filters.status} any="Any status" options={STATUS_OPTIONS} onChange={(v) => f.set({ status: v })} />
        <SearchField label="Rule" value={filters.rule} placeholder="Rule id or slug" onChange={(v) => f.set({ rule: v })} />
        <ConnectorField value={filters.connector} onChange={(v) => f.set({ connector: v })} />
      </FiltersBar>
      <Card title="Alerts raised per day" id="alerts-chart">
        <Async state={summary} empty={(d) => !d?.series.length} emptyTitle="No alert in this period">
          {(s) => <StackedBars label="Alerts raised per day by severity" series={SEVERITIES.slice(0, 4)} days={everyDay(s.series, filters.since)} height={150} width={1400} />}
        </Async>
      </Card>
      <Card title="Timeline" id="alerts-timeline">
        <Async state={paged} empty={() => !items.length} emptyTitle="No alerts match" emptyHint="Alerts come from each cluster's audit webhook; change the filters or the period.">
          {() => (
            <div class="table-wrap">
              <table class="data-table" aria-label="Alerts">
                <thead>
                  <tr>
                    <th scope="col">Last seen</th>
                    <th scope="col">Severity</th>
                    <th scope="col">Alert</th>
                    <th scope="col">Who and what</th>
                    <th scope="col" class="align-right">
                      Events
                    </th>
                    <th scope="col">Status</th>
                    {canWrite && <th scope="col">Actions</th>}
                  </tr>
                </thead>
                <tbody>
                  {[...byDay].map(([day, list]) => [
                    <tr key={day}>
                      <th scope="rowgroup" colSpan={canWrite ? 7 : 6} class="timeline-day">
                        {day}
                      </th>
                    </tr>,
                    ...list.map((a) => (
                      <tr key={a.id}>
                        <td class="nowrap" title={formatTime(a.firstSeen)}>
                          {formatTime(a.lastSeen).slice(11)}
                        </td>
                        <td>
                          <SeverityBadge severity={a.severity} />
                        </td>
                        <td>
                          <Link href={pathOf(DETAIL, { id: a.id })} class="cell-title">
                            {a.title}
                          </Link>
                          <span class="cell-sub">
                            {a.ruleId} · {a.mitre.tactics.join(', ') || 'no tactic'}
                          </span>
                        </td>
                        <td class="mono">{entityLine(a.entities)}</td>
                        <td class="align-right">{formatCount(a.count)}</td>
                        <td>
                          <StatusBadge status={a.status} />
                        </td>
                        {canWrite && (
                          <td>
                            {a.status === 'new' && (
                              <button type="button" class="btn" onClick={() => ack(a)} aria-label={`Acknowledge alert ${a.id}: ${a.title}`}>
                                Acknowledge
                              </button>
                            )}
                          </td>
                        )}
                      </tr>
                    )),
                  ])}
                </tbody>
              </table>
              {(paged.hasPrev || paged.hasNext) && (
                <nav class="pager" aria-label="Alerts pages">
                  <button type="button" class="btn" disabled={!paged.hasPrev} onClick={paged.prevPage}>
                    ‹ Newer
                  </button>
                  <span class="muted">Page {paged.pageIndex + 1}</span>
                  <button type="button" class="btn" disabled={!paged.hasNext} onClick={paged.nextPage}>
                    Older ›
                  </button>
                </nav>
              )}
            </div>
          )}
        </Async>
      </Card>
    </>
  );
}

function AlertDetailPage(props: PageProps) {
  const id = props.params.id!;
  const state = useApi<AlertDetail>(`/api/v1/alerts/${encodeURIComponent(id)}`);
  const [dialog, setDialog] = useState<'dismissed' | 'resolved' | 'suppress' | undefined>();
  const connectors = useConnectors();
  const canWrite = allows(props.me, 'contributor');
  const a = state.data?.alert;
  const act = async (status: 'acknowledged' | 'resolved' | 'dismissed') => {
    if (status === 'acknowledged') {
      if (a && (await moveAlert(a.id, status))) state.reload();
    } else setDialog(status);
  };
  return (
    <>
      <PageHeader title={a?.title ?? `Alert ${id}`} crumbs={[{ href: LIST, label: 'Alerts' }]}>
        {canWrite && a && (
          <>
            {movesFrom(a.status).map((m) => (
              <button key={m} type="button" class={m === 'acknowledged' ? 'btn btn-primary' : 'btn'} onClick={() => act(m)}>
                {MOVE_LABEL[m]}
              </button>
            ))}
            <button type="button" class="btn" onClick={() => setDialog('suppress')}>
              Suppress…
            </button>
          </>
        )}
      </PageHeader>
      <Async state={state} emptyTitle="No such alert">
        {(d) => (
          <>
            <Card>
              <Facts
                items={[
                  ['Severity', <SeverityBadge severity={d.alert.severity} />],
                  ['Status', <StatusBadge status={d.alert.status} />],
                  ['Rule', <code>{`${d.alert.ruleId} · ${d.alert.slug}`}</code>],
                  ['Connector', connectors.find((c) => c.id === d.alert.connectorId)?.name ?? <code>{d.alert.connectorId}</code>],
                  ['Events', formatCount(d.alert.count)],
                  ['First seen', formatTime(d.alert.firstSeen)],
                  ['Last seen', formatTime(d.alert.lastSeen)],
                  ...(d.alert.statusBy ? ([['Status set by', `${d.alert.statusBy}, ${formatTime(d.alert.statusAt)}${d.alert.statusReason ? `: ${d.alert.statusReason}` : ''}`]] as Array<[string, string]>) : []),
                ]}
              />
              <p class="remediation alert-output">{d.alert.output}</p>
            </Card>
            <div class="grid grid-2">
              <Card title="MITRE ATT&CK" id="alert-mitre">
                {d.tactics.length || d.alert.mitre.techniques.length ? (
                  <Facts
                    items={[
                      ['Tactics', d.tactics.length ? d.tactics.map((t) => <span key={t.id} class="tag">{`${t.name} (${t.id})`}</span>) : '—'],
                      ['Techniques', d.alert.mitre.techniques.length ? d.alert.mitre.techniques.map((t) => <span key={t} class="tag">{t}</span>) : '—'],
                    ]}
                  />
                ) : (
                  <p class="muted">This rule maps to no MITRE tactic.</p>
                )}
                {Object.keys(d.alert.equivalents).length > 0 && (
                  <>
                    <h3>Equivalent rules</h3>
                    <Facts items={Object.entries(d.alert.equivalents).map(([tool, ids]) => [tool, ids.join(', ')] as [string, string])} />
                  </>
                )}
              </Card>
              <Card title="Entities" id="alert-entities">
                <Facts items={Object.entries(d.alert.entities).filter(([, v]) => v !== undefined && v !== null && v !== '').map(([k, v]) => [k, <code class="break">{typeof v === 'string' ? v : Array.isArray(v) ? v.join(', ') : JSON.stringify(v)}</code>] as [string, ComponentChildren])} />
              </Card>
            </div>
            <Card title={`Raw events (${d.events.length} of ${d.alert.count})`} id="alert-events">
              {d.events.length ? (
                d.events.map((e) => (
                  <details key={e.seq} open={d.events.length === 1}>
                    <summary>
                      Event {e.seq}, received {formatTime(e.receivedAt)}
                    </summary>
                    <pre>{JSON.stringify(e.event, null, 2)}</pre>
                  </details>
                ))
              ) : (
                <p class="muted">The journal no longer keeps this alert's events. Audit IDs: {d.alert.auditIds.join(', ') || '—'}</p>
              )}
            </Card>
          </>
        )}
      </Async>
      {a && (dialog === 'dismissed' || dialog === 'resolved') && <StatusDialog alert={a} status={dialog} onClose={() => setDialog(undefined)} onDone={state.reload} />}
      {a && dialog === 'suppress' && <SuppressDialog me={props.me} alert={a} onClose={() => setDialog(undefined)} />}
    </>
  );
}

function StatusDialog(props: { alert: Alert; status: 'dismissed' | 'resolved'; onClose: () => void; onDone: () => void }) {
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    const ok = await moveAlert(props.alert.id, props.status, reason || undefined);
    setBusy(false);
    if (ok) {
      props.onDone();
      props.onClose();
    }
  };
  return (
    <Modal
      title={`${MOVE_LABEL[props.status]} alert ${props.alert.id}`}
      onClose={props.onClose}
      footer={<DialogButtons form="status-form" label={MOVE_LABEL[props.status]} busy={busy} onCancel={props.onClose} />}
    >
      <form id="status-form" onSubmit={submit}>
        <TextField label="Reason" value={reason} onInput={setReason} required={props.status === 'dismissed'} multiline autofocus hint={props.status === 'dismissed' ? 'Why this is not a threat; kept with the alert.' : 'Optional: what was done.'} />
      </form>
    </Modal>
  );
}

function SuppressDialog(props: { me: Me; alert: Alert; onClose: () => void }) {
  const e = props.alert.entities;
  const [rule, setRule] = useState(props.alert.ruleId);
  const [user, setUser] = useState(e.user ?? '');
  const [namespace, setNamespace] = useState(e.namespace ?? '');
  const [resource, setResource] = useState([e.resource, e.subresource].filter(Boolean).join('/'));
  const [sourceIp, setSourceIp] = useState('');
  const [thisConnector, setThisConnector] = useState(true);
  const [reason, setReason] = useState('');
  const [owner, setOwner] = useState(props.me.actor.replace(/^user:/, ''));
  const [expires, setExpires] = useState(() => new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10));
  // Busy while the rule is created: the button is disabled, so a double click or Enter makes one rule, not two.
  const action = useAction();
  const submit = async (ev: Event) => {
    ev.preventDefault();
    const opt = (v: string) => (v.trim() ? v.trim() : undefined);
    const r = await action.run(() =>
      api.post<{ id: number }>('/api/v1/suppressions', {
        connectorId: thisConnector ? props.alert.connectorId : undefined,
        rule: opt(rule),
        user: opt(user),
        namespace: opt(namespace),
        resource: opt(resource),
        sourceIp: opt(sourceIp),
        reason,
        owner,
        expiresAt: expires ? `${expires}T23:59:59Z` : undefined,
      }),
    );
    if (!r.ok) return;
    toast(`Suppression ${r.value.id} created: matching alerts will not be raised`);
    props.onClose();
  };
  return (
    <Modal
      title="Suppress alerts like this one"
      wide
      onClose={props.onClose}
      footer={<DialogButtons form="suppress-form" label="Create suppression" busy={action.busy} onCancel={props.onClose} />}
    >
      <form id="suppress-form" onSubmit={submit}>
        <FormError error={action.error} />
        <p class="hint">An alert matching every field given is not raised (the match is counted). Empty fields match anything; `*` is a wildcard.</p>
        <div class="grid grid-2">
          <TextField label="Rule" value={rule} onInput={setRule} />
          <TextField label="User" value={user} onInput={setUser} />
          <TextField label="Namespace" value={namespace} onInput={setNamespace} />
          <TextField label="Resource" value={resource} onInput={setResource} hint="pods or pods/exec" />
          <TextField label="Source IP or CIDR" value={sourceIp} onInput={setSourceIp} />
          <TextField label="Expires on" type="date" value={expires} onInput={setExpires} />
        </div>
        <div class="field field-check">
          <input id="suppress-connector" type="checkbox" checked={thisConnector} onChange={(x) => setThisConnector(x.currentTarget.checked)} />
          <label for="suppress-connector">Only this alert's connector ({props.alert.connectorId})</label>
        </div>
        <TextField label="Reason" value={reason} onInput={setReason} required multiline autofocus />
        <TextField label="Owner" value={owner} onInput={setOwner} required />
      </form>
    </Modal>
  );
}

/** The alert timeline. */
export const alertsPage: PageDef = { path: LIST, title: 'Alerts', nav: true, minRole: 'reader', component: AlertsPage };
/** One alert: MITRE tactics, entities, raw events, lifecycle actions. */
export const alertDetailPage: PageDef = { path: DETAIL, title: 'Alert', nav: false, minRole: 'reader', component: AlertDetailPage };
