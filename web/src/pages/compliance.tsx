/**
 * Compliance: the frameworks (CIS, NSA-CISA, ...) with their pass/fail counts and score, and one framework's
 * controls with the checks each maps to; a check leads to its recommendation and the resources it names.
 */
import { api } from '../api.js';
import { SeverityBadge } from '../components/badges.js';
import { LineChart } from '../components/charts.js';
import { ConnectorField, FiltersBar, useQueryFilters } from '../components/filters.js';
import { Card, PageHeader, Stat } from '../components/layout.js';
import { Link } from '../components/link.js';
import { PassFailBar, Pill, TableCard, type Tone } from '../components/admin.js';
import { DataTable } from '../components/table.js';
import { Async } from '../components/states.js';
import { useApi } from '../hooks.js';
import type { PageDef, PageProps } from '../page.js';
import { pathOf, withQuery } from '../router.js';

/** A framework in the list (`GET /api/v1/compliance/frameworks`). */
interface FrameworkSummary {
  id: string;
  name: string;
  version: string | null;
  controls: number;
  passed: number;
  failed: number;
  notApplicable: number;
  /** Controls that map no check and need a manual review. */
  manual: number;
  /** Passed controls in percent of those passed or failed; null when none was assessed. */
  score: number | null;
}

interface ControlCheck {
  checkId: string;
  slug: string;
  title: string;
  severity: string;
  passed: number;
  failed: number;
}

interface Control {
  id: string;
  title: string;
  section?: string;
  status: 'pass' | 'fail' | 'not-applicable' | 'manual';
  checks: ControlCheck[];
}

/** One framework (`GET /api/v1/compliance/frameworks/:id`): its counts and every control. */
interface FrameworkDetail extends Omit<FrameworkSummary, 'controls'> {
  url: string | null;
  description: string | null;
  controls: Control[];
}

/** One point of a framework's history (`GET /api/v1/compliance/frameworks/:id/history`): the counts at a time. */
type HistoryPoint = Pick<FrameworkSummary, 'passed' | 'failed' | 'notApplicable' | 'manual' | 'score'> & { at: string };

const STATUS_TONE: Record<Control['status'], Tone> = { pass: 'ok', fail: 'bad', manual: 'warn', 'not-applicable': 'neutral' };

/** The score as the API gives it, or a dash when no control was assessed. */
const scoreText = (score: number | null) => (score === null ? '—' : `${Math.round(score)}%`);

/** The framework's report as HTML (a new tab) and PDF (a download); plain links in a table row, buttons in a header. */
function ReportLinks(props: { id: string; connector: string; compact?: boolean }) {
  const base = `/api/v1/reports/compliance/${encodeURIComponent(props.id)}`;
  const query = { connectorId: props.connector || undefined };
  const cls = props.compact ? undefined : 'btn';
  return (
    <span class={props.compact ? 'nowrap' : 'btn-row'}>
      <a class={cls} href={api.href(`${base}.html`, query)} target="_blank" rel="noopener">
        HTML report
      </a>
      {props.compact && ' · '}
      <a class={cls} href={api.href(`${base}.pdf`, query)} download>
        PDF report
      </a>
    </span>
  );
}

/** The connector filter, kept in the URL (`?connector=`) so a framework link and a reload keep it. */
function useConnectorFilter(path: string, query: URLSearchParams) {
  const f = useQueryFilters(path, query);
  const connector = f.get('connector');
  const bar = (
    <FiltersBar label="Filter the compliance results">
      <ConnectorField value={connector} onChange={(v) => f.set({ connector: v || undefined })} />
    </FiltersBar>
  );
  return { connector, bar };
}

function ComplianceList(props: PageProps) {
  const { connector, bar } = useConnectorFilter('/compliance', props.query);
  const list = useApi<{ items: FrameworkSummary[] }>('/api/v1/compliance/frameworks', { connectorId: connector || undefined });
  const detailOf = (id: string) => withQuery(pathOf('/compliance/:framework', { framework: id }), { connector: connector || undefined });
  return (
    <>
      <PageHeader title="Compliance" subtitle="How the monitored clusters meet each framework's controls." />
      {bar}
      <TableCard
        state={list}
        emptyTitle="No compliance results yet"
        emptyHint="Frameworks appear here once the server reports compliance for a synced connector."
        label="Frameworks"
        rowKey={(f) => f.id}
        columns={[
          { key: 'name', label: 'Framework', sort: (f) => f.name, render: (f) => <Link href={detailOf(f.id)}>{f.name}</Link> },
          { key: 'version', label: 'Version', render: (f) => f.version ?? '—' },
          { key: 'controls', label: 'Controls', align: 'right', sort: (f) => f.controls, render: (f) => f.controls },
          { key: 'passed', label: 'Passed', align: 'right', sort: (f) => f.passed, render: (f) => f.passed },
          { key: 'failed', label: 'Failed', align: 'right', sort: (f) => f.failed, render: (f) => f.failed },
          { key: 'na', label: 'Not applicable', align: 'right', render: (f) => f.notApplicable },
          { key: 'manual', label: 'Manual', align: 'right', render: (f) => f.manual },
          {
            key: 'score',
            label: 'Score',
            sort: (f) => f.score ?? -1,
            render: (f) => (
              <span class="nowrap">
                <PassFailBar passed={f.passed} failed={f.failed} label={`${f.passed} of ${f.passed + f.failed} assessed controls passed`} /> {scoreText(f.score)}
              </span>
            ),
          },
          { key: 'report', label: 'Report', render: (f) => <ReportLinks id={f.id} connector={connector} compact /> },
        ]}
      />
    </>
  );
}

function ControlChecks(props: { control: Control }) {
  if (props.control.checks.length === 0) return <span class="cell-sub">No automated check: review it by hand</span>;
  return (
    <ul class="checks">
      {props.control.checks.map((c) => (
        <li key={c.checkId}>
          <Link href={pathOf('/recommendations/:checkId', { checkId: c.checkId })}>
            <span class="mono">{c.checkId}</span> {c.title}
          </Link>{' '}
          <SeverityBadge severity={c.severity} />{' '}
          <span class="muted">
            {c.passed} passed, {c.failed} failed
          </span>
        </li>
      ))}
    </ul>
  );
}

/** A scale top for a count: a multiple of 4, so the chart's quarter ticks are whole numbers. */
const countScale = (n: number) => Math.max(4, Math.ceil(n / 4) * 4);

/**
 * The framework's last 30 days: its score and its failed controls, a point per sync of one connector, or a point
 * per day over several (their controls added up, so counts are of connector and control pairs).
 */
function ComplianceTrend(props: { id: string; connector: string }) {
  const history = useApi<{ points: HistoryPoint[] }>(`/api/v1/compliance/frameworks/${encodeURIComponent(props.id)}/history`, { connector: props.connector || undefined });
  return (
    <Card title="Trend (30 days)" id="compliance-trend">
      <Async state={history} empty={(d) => !d?.points.length} emptyTitle="No history yet" emptyHint="Every sync of a connector records the framework's results; the trend starts with the next one.">
        {({ points }) => {
          const failed = points.map((p) => ({ at: p.at, value: p.failed }));
          return (
            <div class="grid grid-2">
              <figure class="chart-figure">
                <figcaption class="legend">Score (% of assessed controls passed)</figcaption>
                <LineChart label="Compliance score over time" points={points.flatMap((p) => (p.score === null ? [] : [{ at: p.at, value: p.score }]))} format={(v) => `${v.toFixed(1)}%`} />
              </figure>
              <figure class="chart-figure">
                <figcaption class="legend">Failed controls</figcaption>
                <LineChart label="Failed controls over time" points={failed} max={countScale(Math.max(...failed.map((p) => p.value)))} format={(v) => String(Math.round(v))} />
              </figure>
            </div>
          );
        }}
      </Async>
    </Card>
  );
}

function ComplianceFramework(props: PageProps) {
  const id = props.params.framework ?? '';
  const { connector, bar } = useConnectorFilter(pathOf('/compliance/:framework', { framework: id }), props.query);
  const detail = useApi<FrameworkDetail>(`/api/v1/compliance/frameworks/${encodeURIComponent(id)}`, { connectorId: connector || undefined });
  const f = detail.data;
  // Controls keep the framework's order, grouped by their section.
  const sections = new Map<string, Control[]>();
  for (const c of f?.controls ?? []) sections.set(c.section ?? '', [...(sections.get(c.section ?? '') ?? []), c]);
  const sum = (c: Control, k: 'passed' | 'failed') => c.checks.reduce((n, x) => n + x[k], 0);
  return (
    <>
      <PageHeader title={f ? `${f.name}${f.version ? ` ${f.version}` : ''}` : id} crumbs={[{ href: withQuery('/compliance', { connector: connector || undefined }), label: 'Compliance' }]} subtitle={f?.description}>
        {f && <ReportLinks id={f.id} connector={connector} />}
      </PageHeader>
      {bar}
      {f && (
        <div class="stats">
          <Stat label="Score" value={scoreText(f.score)} />
          <Stat label="Passed" value={f.passed} />
          <Stat label="Failed" value={f.failed} tone={f.failed > 0 ? 'critical' : undefined} />
          <Stat label="Not applicable" value={f.notApplicable} />
          <Stat label="Manual review" value={f.manual} />
        </div>
      )}
      {f && <ComplianceTrend id={f.id} connector={connector} />}
      <Async state={detail} emptyTitle={`No framework "${id}"`} empty={(d) => !d?.controls.length}>
        {() =>
          [...sections].map(([section, controls]) => (
            <Card key={section} title={section ? `Section ${section}` : 'Controls'}>
              <DataTable
                label={section ? `Controls of section ${section}` : 'Controls'}
                rows={controls}
                rowKey={(c) => c.id}
                columns={[
                  { key: 'id', label: 'Control', width: '6rem', render: (c) => <span class="mono">{c.id}</span> },
                  {
                    key: 'title',
                    label: 'Title and checks',
                    render: (c) => (
                      <>
                        <span class="cell-title">{c.title}</span>
                        <ControlChecks control={c} />
                      </>
                    ),
                  },
                  { key: 'status', label: 'Status', render: (c) => <Pill tone={STATUS_TONE[c.status] ?? 'neutral'}>{c.status.replace(/-/g, ' ')}</Pill> },
                  { key: 'passed', label: 'Passed', align: 'right', render: (c) => sum(c, 'passed') },
                  { key: 'failed', label: 'Failed', align: 'right', render: (c) => sum(c, 'failed') },
                  { key: 'bar', label: 'Pass / fail', render: (c) => <PassFailBar passed={sum(c, 'passed')} failed={sum(c, 'failed')} /> },
                ]}
              />
            </Card>
          ))
        }
      </Async>
    </>
  );
}

/** The framework list. */
export const compliancePage: PageDef = { path: '/compliance', title: 'Compliance', nav: true, minRole: 'reader', component: ComplianceList };

/** One framework's controls. */
export const complianceFrameworkPage: PageDef = { path: '/compliance/:framework', title: 'Framework', nav: false, minRole: 'reader', component: ComplianceFramework };
