import { ConnectorField, FiltersBar, SearchField, SelectField, useQueryFilters } from '../components/filters.js';
import { Card, Facts, PageHeader } from '../components/layout.js';
import { Link } from '../components/link.js';
import { Async } from '../components/states.js';
import { apiPaging, DataTable, severityColumn, TitleCell } from '../components/table.js';
import { formatTime, relativeTime } from '../format.js';
import { useApi, useConnectors, usePaged, type Page } from '../hooks.js';
import type { PageDef, PageProps } from '../page.js';
import { pathOf, withQuery } from '../router.js';
import type { Asset, AssetDetail } from '../types.js';

const LIST = '/inventory';
const DETAIL = '/inventory/:id';
const PAGE_SIZE = 50;
const TYPES = ['cluster', 'node', 'namespace', 'workload', 'pod', 'container', 'image', 'service', 'ingress', 'service-account', 'role', 'role-binding', 'network-policy'];

function InventoryPage(props: PageProps) {
  const f = useQueryFilters(LIST, props.query);
  const filters = { type: f.get('type'), connector: f.get('connector'), namespace: f.get('namespace'), q: f.get('q') };
  const paged = usePaged<Page<Asset>>('/api/v1/assets', filters, PAGE_SIZE);
  const connectors = useConnectors();
  const connectorName = (id: string | null) => (id ? (connectors.find((c) => c.id === id)?.name ?? id) : '—');
  return (
    <>
      <PageHeader title="Inventory" subtitle="Every object the connectors found, with what runs it, what it exposes and who can reach it." />
      <FiltersBar label="Filter assets">
        <SearchField label="Search" value={filters.q} placeholder="Text in the key" onChange={(v) => f.set({ q: v })} />
        <SelectField label="Type" value={filters.type} any="Any type" options={TYPES} onChange={(v) => f.set({ type: v })} />
        <SearchField label="Namespace" value={filters.namespace} onChange={(v) => f.set({ namespace: v })} />
        <ConnectorField value={filters.connector} onChange={(v) => f.set({ connector: v })} />
      </FiltersBar>
      <Async state={paged} empty={(d) => !d?.items.length} emptyTitle="No assets match" emptyHint="The inventory fills in when a connector syncs; change the filters or onboard a cluster.">
        {(d) => (
          <DataTable
            label="Assets"
            rows={d.items}
            rowKey={(a) => a.id}
            paging={apiPaging(paged, PAGE_SIZE)}
            columns={[
              { key: 'key', label: 'Asset', render: (a) => <TitleCell href={pathOf(DETAIL, { id: a.id })} title={a.key} />, sort: (a) => a.key },
              { key: 'type', label: 'Type', render: (a) => <Link href={withQuery(LIST, { ...filters, type: a.type })} class="tag">{a.type}</Link>, sort: (a) => a.type },
              { key: 'connector', label: 'Connector', render: (a) => connectorName(a.connectorId), sort: (a) => connectorName(a.connectorId) },
              { key: 'first', label: 'First seen', render: (a) => formatTime(a.firstSeen), sort: (a) => a.firstSeen },
              { key: 'last', label: 'Last seen', render: (a) => <span title={formatTime(a.lastSeen)}>{relativeTime(a.lastSeen)}</span>, sort: (a) => a.lastSeen },
            ]}
          />
        )}
      </Async>
    </>
  );
}

type Relation = AssetDetail['relations'][number];

/** How a relation reads from this asset's side, and which of the three questions it answers. */
const PHRASES: Record<string, { out: string; in: string }> = {
  runs: { out: 'Runs', in: 'Run by' },
  contains: { out: 'Contains', in: 'Part of' },
  exposes: { out: 'Exposes', in: 'Exposed by' },
  'routes-to': { out: 'Routes to', in: 'Reached through' },
  grants: { out: 'Grants', in: 'Granted by' },
  binds: { out: 'Binds', in: 'Bound by' },
  uses: { out: 'Uses', in: 'Used by' },
  owns: { out: 'Owns', in: 'Owned by' },
};

const GROUPS: Array<{ title: string; id: string; test: (r: Relation) => boolean; empty: string }> = [
  { title: 'What runs it', id: 'rel-runs', test: (r) => r.direction === 'in' && (r.kind === 'runs' || r.kind === 'contains' || r.kind === 'owns'), empty: 'Nothing runs or contains it.' },
  { title: 'What it runs and exposes', id: 'rel-exposes', test: (r) => r.direction === 'out' && r.kind !== 'grants' && r.kind !== 'binds', empty: 'It runs and exposes nothing.' },
  { title: 'Who can reach it', id: 'rel-reach', test: (r) => (r.direction === 'in' && r.kind !== 'runs' && r.kind !== 'contains' && r.kind !== 'owns') || r.kind === 'grants' || r.kind === 'binds', empty: 'No Service, Ingress or role reaches it.' },
];

function Relations(props: { relations: Relation[] }) {
  return (
    <div class="grid grid-3">
      {GROUPS.map((g) => {
        const rs = props.relations.filter(g.test);
        return (
          <Card key={g.id} id={g.id} title={`${g.title} (${rs.length})`}>
            {rs.length ? (
              <ul class="list">
                {rs.map((r) => (
                  <li key={`${r.kind}-${r.direction}-${r.asset.id}`}>
                    <span class="muted nowrap">{PHRASES[r.kind]?.[r.direction] ?? `${r.kind} (${r.direction})`}</span>
                    <Link href={pathOf(DETAIL, { id: r.asset.id })} class="grow">
                      {r.asset.key}
                    </Link>
                    <span class="tag">{r.asset.type}</span>
                  </li>
                ))}
              </ul>
            ) : (
              <p class="muted">{g.empty}</p>
            )}
          </Card>
        );
      })}
    </div>
  );
}

function AssetPage(props: PageProps) {
  const id = props.params.id!;
  const state = useApi<AssetDetail>(`/api/v1/assets/${encodeURIComponent(id)}`);
  const connectors = useConnectors();
  const a = state.data;
  return (
    <>
      <PageHeader title={a?.key ?? id} crumbs={[{ href: LIST, label: 'Inventory' }]} />
      <Async state={state} emptyTitle="No such asset" emptyHint="It may have been deleted from the cluster, or its connector offboarded.">
        {(d) => (
          <>
            <Card>
              <Facts
                items={[
                  ['Type', <span class="tag">{d.type}</span>],
                  ['Key', <code class="break">{d.key}</code>],
                  ['Connector', d.connectorId ? (connectors.find((c) => c.id === d.connectorId)?.name ?? d.connectorId) : '—'],
                  ['First seen', formatTime(d.firstSeen)],
                  ['Last seen', formatTime(d.lastSeen)],
                  ['Findings', String(d.findings.length)],
                ]}
              />
            </Card>
            <Relations relations={d.relations} />
            <Card title={`Findings (${d.findings.length})`} id="asset-findings">
              {d.findings.length ? (
                <DataTable
                  label="Findings"
                  rows={d.findings}
                  rowKey={(x) => `${x.checkId} ${x.path}`}
                  columns={[
                    severityColumn((x: AssetDetail['findings'][number]) => x.severity),
                    { key: 'check', label: 'Check', render: (x) => <Link href={pathOf('/recommendations/:checkId', { checkId: x.checkId })}>{x.checkId}</Link>, sort: (x) => x.checkId },
                    { key: 'msg', label: 'Finding', render: (x) => x.message },
                    { key: 'path', label: 'Field', render: (x) => <code class="break">{x.path}</code> },
                    { key: 'first', label: 'First seen', render: (x) => formatTime(x.firstSeen), sort: (x) => x.firstSeen },
                  ]}
                />
              ) : (
                <p class="muted">No finding on this asset.</p>
              )}
            </Card>
            {Object.keys(d.attributes).length > 0 && (
              <Card title="Attributes" id="asset-attributes">
                <pre>{JSON.stringify(d.attributes, null, 2)}</pre>
              </Card>
            )}
          </>
        )}
      </Async>
    </>
  );
}

/** The inventory list. */
export const inventoryPage: PageDef = { path: LIST, title: 'Inventory', nav: true, minRole: 'reader', component: InventoryPage };
/** One asset with its relationships and findings. */
export const assetPage: PageDef = { path: DETAIL, title: 'Asset', nav: false, minRole: 'reader', component: AssetPage };
