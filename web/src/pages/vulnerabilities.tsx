import { api } from '../api.js';
import { SeverityCounts, severityRank, SEVERITIES, StatusBadge } from '../components/badges.js';
import { CheckField, ConnectorField, FiltersBar, SelectField, useQueryFilters } from '../components/filters.js';
import { Card, Facts, PageHeader, ViewSwitch } from '../components/layout.js';
import { Link } from '../components/link.js';
import { Async } from '../components/states.js';
import { apiPaging, DataTable, severityColumn, TitleCell, useClientPages, type Column } from '../components/table.js';
import { formatCount, formatTime, relativeTime, shortDigest } from '../format.js';
import { useApi, usePaged, type Page } from '../hooks.js';
import type { PageDef, PageProps } from '../page.js';
import { pathOf, withQuery } from '../router.js';
import type { CveSummary, ImageDetail, VulnerableImage, VulnRow } from '../types.js';
import { useState } from 'preact/hooks';

const LIST = '/vulnerabilities';
const IMAGE = '/vulnerabilities/images/:digest';
const PAGE_SIZE = 50;

/** The name to show for an image: its first reference, else the digest. */
function imageName(i: Pick<VulnerableImage, 'image' | 'references'>): string {
  return i.references[0]?.reference ?? i.image;
}

function exposure(i: { exposed: boolean; running: boolean }) {
  return i.exposed ? <StatusBadge status="exposed" /> : i.running ? <StatusBadge status="running" /> : <span class="muted">not running</span>;
}

function VulnerabilitiesPage(props: PageProps) {
  const f = useQueryFilters(LIST, props.query);
  const view = f.get('view') === 'cve' ? 'cve' : f.get('cve') ? 'rows' : 'image';
  const filters = { severity: f.get('severity'), connector: f.get('connector'), running: f.get('running') || undefined, exposed: f.get('exposed') || undefined, fixable: f.get('fixable') || undefined };
  const apiQuery = { view, cve: f.get('cve') || undefined, ...filters };
  const paged = usePaged<Page<VulnerableImage | CveSummary | VulnRow>>('/api/v1/vulnerabilities', apiQuery, PAGE_SIZE);
  const keep = Object.fromEntries(props.query.entries());
  const csv = api.href('/api/v1/exports/vulnerabilities.csv', { ...filters, cve: f.get('cve') || undefined });
  return (
    <>
      <PageHeader title="Vulnerabilities" subtitle="Images that run exposed outside the cluster first, then running ones.">
        <a class="btn" href={csv} download>
          Download CSV
        </a>
      </PageHeader>
      <FiltersBar
        label="Filter vulnerabilities"
        actions={
          <ViewSwitch
            label="Group by"
            views={[
              { href: withQuery(LIST, { ...keep, view: undefined, cve: undefined }), label: 'By image', current: view === 'image' },
              { href: withQuery(LIST, { ...keep, view: 'cve', cve: undefined }), label: 'By CVE', current: view === 'cve' },
            ]}
          />
        }
      >
        <SelectField label="Minimum severity" value={filters.severity} any="Any severity" options={SEVERITIES} onChange={(v) => f.set({ severity: v })} />
        <ConnectorField value={filters.connector} onChange={(v) => f.set({ connector: v })} />
        <CheckField label="Running" checked={filters.running === 'true'} onChange={(v) => f.set({ running: v ? 'true' : undefined })} />
        <CheckField label="Exposed" checked={filters.exposed === 'true'} onChange={(v) => f.set({ exposed: v ? 'true' : undefined })} />
        <CheckField label="Fixable" checked={filters.fixable === 'true'} onChange={(v) => f.set({ fixable: v ? 'true' : undefined })} />
      </FiltersBar>
      {view === 'rows' && (
        <p>
          Images affected by <code>{f.get('cve')}</code> · <Link href={withQuery(LIST, { ...keep, cve: undefined, view: 'cve' })}>back to all CVEs</Link>
        </p>
      )}
      <Async state={paged} empty={(d) => !d?.items.length} emptyTitle="No vulnerabilities match" emptyHint="Images are scanned when a cluster or registry connector syncs; change the filters or onboard one.">
        {(d) =>
          view === 'cve' ? (
            <DataTable label="Vulnerabilities by CVE" rows={d.items as CveSummary[]} rowKey={(r) => r.vulnId} columns={CVE_COLUMNS} paging={apiPaging(paged, PAGE_SIZE)} />
          ) : view === 'rows' ? (
            <DataTable label="Affected images" rows={d.items as VulnRow[]} rowKey={(r) => `${r.digest} ${r.package} ${r.packagePath}`} columns={rowColumns(true)} paging={apiPaging(paged, PAGE_SIZE)} />
          ) : (
            <DataTable label="Vulnerable images" rows={d.items as VulnerableImage[]} rowKey={(r) => r.image} columns={IMAGE_COLUMNS} rowClass={(r) => (r.exposed ? 'row-exposed' : undefined)} paging={apiPaging(paged, PAGE_SIZE)} />
          )
        }
      </Async>
    </>
  );
}

const IMAGE_COLUMNS: Column<VulnerableImage>[] = [
  { key: 'image', label: 'Image', render: (i) => <TitleCell href={pathOf(IMAGE, { digest: i.digest ?? i.image })} title={imageName(i)} sub={shortDigest(i.digest)} subMono />, sort: (i) => imageName(i) },
  { key: 'exposure', label: 'Exposure', render: exposure, sort: (i) => (i.exposed ? 0 : i.running ? 1 : 2) },
  { key: 'workloads', label: 'Workloads', render: (i) => i.workloads, sort: (i) => i.workloads, align: 'right' },
  { key: 'counts', label: 'By severity', render: (i) => <SeverityCounts counts={i.counts} />, sort: (i) => -(i.counts.critical * 1e6 + i.counts.high * 1e3 + i.counts.medium) },
  { key: 'total', label: 'Total', render: (i) => formatCount(i.total), sort: (i) => i.total, align: 'right' },
  { key: 'fixable', label: 'Fixable', render: (i) => formatCount(i.fixable), sort: (i) => i.fixable, align: 'right' },
  { key: 'scanned', label: 'Scanned', render: (i) => <span title={formatTime(i.scannedAt)}>{relativeTime(i.scannedAt)}</span>, sort: (i) => i.scannedAt ?? '' },
];

const CVE_COLUMNS: Column<CveSummary>[] = [
  severityColumn((r) => r.severity),
  { key: 'id', label: 'Vulnerability', render: (r) => <TitleCell href={withQuery(LIST, { cve: r.vulnId })} title={r.vulnId} sub={r.title} />, sort: (r) => r.vulnId },
  { key: 'packages', label: 'Packages', render: (r) => r.packages.join(', '), sort: (r) => r.packages.join(',') },
  { key: 'fixed', label: 'Fixed in', render: (r) => (r.fixedVersions.length ? r.fixedVersions.join(', ') : <span class="muted">no fix</span>) },
  { key: 'exposed', label: 'Exposed images', render: (r) => r.exposedImages, sort: (r) => r.exposedImages, align: 'right' },
  { key: 'running', label: 'Running images', render: (r) => r.runningImages, sort: (r) => r.runningImages, align: 'right' },
  { key: 'images', label: 'Images', render: (r) => r.images, sort: (r) => r.images, align: 'right' },
];

/** Columns of vulnerable packages: with the image (one CVE across images) or without (one image). */
function rowColumns(withImage: boolean): Column<VulnRow>[] {
  const cols: Column<VulnRow>[] = [
    severityColumn((r) => r.severity),
    {
      key: 'id',
      label: 'Vulnerability',
      render: (r) => (
        <>
          {r.primaryUrl ? (
            <a href={r.primaryUrl} target="_blank" rel="noopener noreferrer" class="cell-title">
              {r.vulnId}
            </a>
          ) : (
            <span class="cell-title">{r.vulnId}</span>
          )}
          {r.title && <span class="cell-sub">{r.title}</span>}
        </>
      ),
      sort: (r) => r.vulnId,
    },
    {
      key: 'package',
      label: 'Package',
      render: (r) => (
        <>
          {r.package}
          <span class="cell-sub">{r.ecosystem}</span>
        </>
      ),
      sort: (r) => r.package,
    },
    { key: 'installed', label: 'Installed', render: (r) => <code>{r.installedVersion}</code> },
    { key: 'fixed', label: 'Fixed', render: (r) => (r.fixedVersion ? <code>{r.fixedVersion}</code> : <span class="muted">{r.status === 'fixed' ? '—' : r.status}</span>), sort: (r) => (r.fixedVersion ? 0 : 1) },
    {
      key: 'layer',
      label: 'Layer',
      render: (r) =>
        r.layer ? (
          <span title={r.layer.createdBy ?? r.layer.digest}>
            #{r.layer.index} <span class="cell-sub mono">{(r.layer.createdBy ?? shortDigest(r.layer.digest)).slice(0, 60)}</span>
          </span>
        ) : (
          <span class="muted">—</span>
        ),
      sort: (r) => r.layer?.index ?? -1,
    },
  ];
  if (withImage) cols.splice(1, 0, { key: 'image', label: 'Image', render: (r) => <Link href={pathOf(IMAGE, { digest: r.digest })} class="mono">{shortDigest(r.digest)}</Link>, sort: (r) => r.digest });
  else cols.push({ key: 'path', label: 'Path', render: (r) => <code class="break">{r.packagePath}</code> });
  return cols;
}

function ImagePage(props: PageProps) {
  const digest = props.params.digest!;
  const state = useApi<ImageDetail>(`/api/v1/vulnerabilities/images/${encodeURIComponent(digest)}`);
  const [severity, setSeverity] = useState('');
  const [fixable, setFixable] = useState(false);
  const rows = (state.data?.vulnerabilities ?? []).filter((v) => (!severity || severityRank(v.severity) <= severityRank(severity)) && (!fixable || v.fixedVersion));
  const pages = useClientPages(rows, PAGE_SIZE);
  const name = state.data ? imageName(state.data) : shortDigest(digest);
  const os = state.data?.os as { name?: string; version?: string; family?: string } | null | undefined;
  return (
    <>
      <PageHeader title={name} crumbs={[{ href: LIST, label: 'Vulnerabilities' }]}>
        <a class="btn" href={api.href('/api/v1/exports/vulnerabilities.csv', { image: digest })} download>
          Download CSV
        </a>
      </PageHeader>
      <Async state={state} emptyTitle="No such image" emptyHint="It was never scanned, or its scan was removed.">
        {(i) => (
          <>
            <Card>
              <Facts
                items={[
                  ['Digest', <code class="break">{i.digest ?? '—'}</code>],
                  ['Exposure', exposure(i)],
                  ['Workloads', formatCount(i.workloads)],
                  ['Vulnerabilities', <SeverityCounts counts={i.counts} />],
                  ['Fixable', formatCount(i.fixable)],
                  ['Packages', formatCount(i.packageCount)],
                  ['OS', os ? [os.name ?? os.family, os.version].filter(Boolean).join(' ') || '—' : '—'],
                  ['Platform', i.platform ?? '—'],
                  ['Scanned', formatTime(i.scannedAt)],
                  ['Matched', formatTime(i.matchedAt)],
                ]}
              />
            </Card>
            <Card title="References" id="img-refs">
              <ul class="list">
                {i.references.map((r) => (
                  <li key={r.reference}>
                    <span class="grow mono">{r.reference}</span>
                    <StatusBadge status={r.status} />
                    {r.error && <span class="muted">{r.error}</span>}
                    <span class="muted nowrap">{relativeTime(r.attemptedAt)}</span>
                  </li>
                ))}
              </ul>
            </Card>
            <FiltersBar label="Filter this image's vulnerabilities">
              <SelectField label="Minimum severity" value={severity} any="Any severity" options={SEVERITIES} onChange={setSeverity} />
              <CheckField label="Fixable" checked={fixable} onChange={setFixable} />
            </FiltersBar>
            {rows.length ? <DataTable label="Vulnerable packages" rows={pages.rows} rowKey={(r) => `${r.vulnId} ${r.package} ${r.packagePath}`} columns={rowColumns(false)} paging={pages.paging} /> : <p class="muted">No vulnerability matches.</p>}
          </>
        )}
      </Async>
    </>
  );
}

/** Vulnerabilities by image and by CVE. */
export const vulnerabilitiesPage: PageDef = { path: LIST, title: 'Vulnerabilities', nav: true, minRole: 'reader', component: VulnerabilitiesPage };
/** One scanned image. */
export const imagePage: PageDef = { path: IMAGE, title: 'Image', nav: false, minRole: 'reader', component: ImagePage };
