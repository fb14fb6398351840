import { SeverityBadge, SeverityCounts, SEVERITIES } from '../components/badges.js';
import { Bars, LineChart, ScoreRing, StackedBars } from '../components/charts.js';
import { ConnectorField, useQueryFilters } from '../components/filters.js';
import { Card, PageHeader, Stat } from '../components/layout.js';
import { Link } from '../components/link.js';
import { Empty, ErrorState, Loading } from '../components/states.js';
import { formatCount, shortDigest } from '../format.js';
import { useApi } from '../hooks.js';
import type { PageDef, PageProps } from '../page.js';
import { pathOf } from '../router.js';
import type { Recommendation } from '../types.js';

/** `GET /api/v1/overview`: everything the landing page shows, in one call. */
export interface Overview {
  score: { current: number | null; trend: Array<{ at: string; score: number }> };
  recommendations: { total: number; bySeverity: Record<string, number>; top: Array<Partial<Recommendation> & { checkId: string; title: string; severity: string }> };
  alerts: { open: number; bySeverity: Record<string, number>; daily: Array<{ day: string; critical: number; high: number; medium: number; low: number }> };
  assets: { byType: Array<{ type: string; count: number }> };
  vulnerableRunningImages: Array<{ digest: string | null; ref: string; critical: number; high: number; medium: number; low: number; workloads: number; exposed: boolean }>;
}

function OverviewPage(props: PageProps) {
  const f = useQueryFilters('/', props.query);
  const connector = f.get('connector') || undefined;
  const overview = useApi<Overview>('/api/v1/overview', { connector });
  const { data, error } = overview;
  return (
    <>
      <PageHeader title="Overview" subtitle="Secure score, what to fix first, threats detected and where the exposure is.">
        <ConnectorField value={connector ?? ''} onChange={(v) => f.set({ connector: v })} />
      </PageHeader>
      {error ? <ErrorState error={error} onRetry={overview.reload} /> : !data ? <Loading /> : <OverviewBody o={data} />}
    </>
  );
}

function OverviewBody({ o }: { o: Overview }) {
  const recTotal = o.recommendations.total;
  return (
    <>
      <div class="stats">
        <Stat label="Secure score" value={o.score.current === null ? '—' : `${o.score.current.toFixed(0)}%`} tone={o.score.current !== null && o.score.current >= 80 ? 'good' : 'medium'} />
        <Stat label="Recommendations" value={formatCount(recTotal)} href="/recommendations" />
        <Stat label="Critical recommendations" value={formatCount(o.recommendations.bySeverity.critical ?? 0)} tone="critical" href="/recommendations?severity=critical" />
        <Stat label="Open alerts" value={formatCount(o.alerts.open)} tone={o.alerts.open ? 'high' : undefined} href="/alerts?status=new" />
        <Stat label="Vulnerable running images" value={formatCount(o.vulnerableRunningImages.length)} href="/vulnerabilities?running=true" />
        <Stat label="Assets" value={formatCount(o.assets.byType.reduce((n, t) => n + t.count, 0))} href="/inventory" />
      </div>
      <div class="grid grid-2">
        <Card title="Secure score" id="ov-score">
          {o.score.current === null && !o.score.trend.length ? (
            <Empty title="No score yet">Onboard a cluster: the score is computed after its first sync.</Empty>
          ) : (
            <div class="score-row">
              <ScoreRing score={o.score.current} />
              <LineChart label="Secure score over time" points={o.score.trend.map((p) => ({ at: p.at, value: p.score }))} />
            </div>
          )}
        </Card>
        <Card title="Top recommendations" id="ov-recs" actions={<Link href="/recommendations">All {formatCount(recTotal)}</Link>}>
          {!o.recommendations.top.length ? (
            <Empty title="No recommendations">Nothing failed the checks, or no cluster is onboarded yet.</Empty>
          ) : (
            <>
              <p class="muted">
                <SeverityCounts counts={o.recommendations.bySeverity} />
              </p>
              <ul class="list">
                {o.recommendations.top.map((r) => (
                  <li key={r.checkId}>
                    <SeverityBadge severity={r.severity} />
                    <Link href={pathOf('/recommendations/:checkId', { checkId: r.checkId })} class="grow">
                      {r.title}
                    </Link>
                    {r.affected !== undefined && <span class="muted nowrap">{formatCount(r.affected)} affected</span>}
                  </li>
                ))}
              </ul>
            </>
          )}
        </Card>
        <Card title="Alerts per day" id="ov-alerts" actions={<Link href="/alerts">Open alerts: {formatCount(o.alerts.open)}</Link>}>
          {o.alerts.daily.every((d) => !d.critical && !d.high && !d.medium && !d.low) ? (
            <Empty title={`No alerts in the last ${o.alerts.daily.length} days`}>Alerts come from each cluster's audit webhook.</Empty>
          ) : (
            <StackedBars label="Alerts raised per day by severity" series={SEVERITIES.slice(0, 4)} days={o.alerts.daily.map((d) => ({ day: d.day, values: { critical: d.critical, high: d.high, medium: d.medium, low: d.low } }))} />
          )}
        </Card>
        <Card title="Assets by type" id="ov-assets" actions={<Link href="/inventory">Inventory</Link>}>
          {!o.assets.byType.length ? <Empty title="No assets yet">The inventory fills in when a connector syncs.</Empty> : <Bars label="Assets by type" items={o.assets.byType.slice(0, 12).map((t) => ({ label: t.type, value: t.count }))} />}
        </Card>
      </div>
      <Card title="Vulnerable running images" id="ov-images" actions={<Link href="/vulnerabilities?running=true">All images</Link>}>
        {!o.vulnerableRunningImages.length ? (
          <Empty title="No vulnerable running image">Running images are scanned once a cluster and its registries are onboarded.</Empty>
        ) : (
          <div class="table-wrap">
            <table class="data-table" aria-label="Vulnerable running images">
              <thead>
                <tr>
                  <th scope="col">Image</th>
                  <th scope="col">Vulnerabilities</th>
                  <th scope="col" class="align-right">
                    Workloads
                  </th>
                  <th scope="col">Exposure</th>
                </tr>
              </thead>
              <tbody>
                {o.vulnerableRunningImages.map((i) => (
                  <tr key={i.digest ?? i.ref} class={i.exposed ? 'row-exposed' : undefined}>
                    <td>
                      <Link href={pathOf('/vulnerabilities/images/:digest', { digest: i.digest ?? i.ref })}>{i.ref}</Link>
                      <span class="cell-sub mono">{shortDigest(i.digest)}</span>
                    </td>
                    <td>
                      <SeverityCounts counts={{ critical: i.critical, high: i.high, medium: i.medium, low: i.low }} />
                    </td>
                    <td class="align-right">{i.workloads}</td>
                    <td>{i.exposed ? <span class="pill status-exposed">exposed</span> : <span class="pill status-running">running</span>}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Card>
    </>
  );
}

/** The landing page. */
export const overviewPage: PageDef = { path: '/', title: 'Overview', nav: true, minRole: 'reader', component: OverviewPage };
