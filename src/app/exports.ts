/**
 * CSV exports of findings, image vulnerabilities and alerts. Each reads its table a page at a time and yields
 * the CSV of that page, so an export of any size holds one page in memory and starts answering at once.
 */
import { csvChunks, type CsvColumn } from '../report/csv.js';
import type { AlertStatus } from '../storage/audit/types.js';
import type { AlertRow, AssetRow, FindingRow, ImageVulnerabilityRow, Page, Store } from '../storage/store.js';
import { recommendationOf } from './connectors.js';
import type { Severity } from '../model/severity.js';
import type { DataScope } from './reports.js';

/** Rows read per query. */
const PAGE = 500;

/** Pages of a paged store listing until its end. */
async function* pagesOf<T>(read: (cursor: string | undefined) => Promise<Page<T>>): AsyncGenerator<T[]> {
  let cursor: string | undefined;
  do {
    const page = await read(cursor);
    yield page.items;
    cursor = page.next;
  } while (cursor);
}

/** A finding with its asset (when the asset is still there) and connector name. */
interface FindingLine {
  finding: FindingRow;
  asset: AssetRow | undefined;
  connector: string;
}

const FINDING_COLUMNS: Array<CsvColumn<FindingLine>> = [
  { header: 'findingId', value: (r) => r.finding.id },
  { header: 'connectorId', value: (r) => r.asset?.connectorId },
  { header: 'connector', value: (r) => r.connector },
  { header: 'assetType', value: (r) => r.asset?.type },
  { header: 'asset', value: (r) => r.asset?.key },
  { header: 'namespace', value: (r) => r.asset?.attributes.namespace },
  { header: 'checkId', value: (r) => r.finding.checkId },
  { header: 'slug', value: (r) => recommendationOf(r.finding.checkId, 'info').slug },
  { header: 'title', value: (r) => recommendationOf(r.finding.checkId, 'info').title },
  { header: 'severity', value: (r) => r.finding.severity },
  { header: 'path', value: (r) => r.finding.path },
  { header: 'message', value: (r) => r.finding.message },
  { header: 'firstSeen', value: (r) => r.finding.firstSeen },
  { header: 'lastSeen', value: (r) => r.finding.lastSeen },
];

/** Filters of the findings export. */
export interface FindingExportQuery extends DataScope {
  /** Only this severity. */
  severity?: Severity;
  checkId?: string;
}

/** The open findings in scope as CSV, by finding id. */
export async function* findingsCsv(store: Store, q: FindingExportQuery): AsyncGenerator<string> {
  const names = new Map((await store.listConnectors()).map((c) => [c.id, c.name]));
  async function* lines(): AsyncGenerator<FindingLine[]> {
    for await (const page of pagesOf((cursor) => store.listFindings({ connectorId: q.connectorId, connectorIds: q.connectorIds, checkId: q.checkId, limit: PAGE, cursor }))) {
      // The store pages findings without a severity filter: filtering a page costs nothing more.
      const kept = q.severity ? page.filter((f) => f.severity === q.severity) : page;
      // The page's assets in one query, not one round trip each.
      const assets = new Map((await store.getAssets([...new Set(kept.map((f) => f.assetId))])).map((a) => [a.id, a]));
      yield kept.map((finding) => {
        const asset = assets.get(finding.assetId);
        return { finding, asset, connector: (asset?.connectorId && names.get(asset.connectorId)) || '' };
      });
    }
  }
  yield* csvChunks(FINDING_COLUMNS, lines());
}

/** A vulnerability row with the references that name its image. */
interface VulnerabilityLine {
  row: ImageVulnerabilityRow;
  references: string[];
}

const VULNERABILITY_COLUMNS: Array<CsvColumn<VulnerabilityLine>> = [
  { header: 'digest', value: (r) => r.row.digest },
  { header: 'references', value: (r) => r.references },
  { header: 'vulnId', value: (r) => r.row.vulnId },
  { header: 'severity', value: (r) => r.row.severity },
  { header: 'package', value: (r) => r.row.package },
  { header: 'installedVersion', value: (r) => r.row.installedVersion },
  { header: 'fixedVersion', value: (r) => r.row.fixedVersion },
  { header: 'status', value: (r) => r.row.status },
  { header: 'ecosystem', value: (r) => r.row.ecosystem },
  { header: 'packagePath', value: (r) => r.row.packagePath },
  { header: 'title', value: (r) => r.row.title },
  { header: 'aliases', value: (r) => r.row.aliases },
  { header: 'primaryUrl', value: (r) => r.row.primaryUrl },
  { header: 'layerDigest', value: (r) => r.row.layer?.digest },
  { header: 'layerIndex', value: (r) => r.row.layer?.index },
  { header: 'layerCreatedBy', value: (r) => r.row.layer?.createdBy },
];

/** Filters of the vulnerabilities export (those of `GET /api/v1/vulnerabilities?view=rows`). */
export interface VulnerabilityExportQuery extends DataScope {
  /** At least this severity. */
  severity?: Severity;
  image?: string;
  vulnId?: string;
  running?: boolean;
  exposed?: boolean;
  fixable?: boolean;
}

/** The vulnerabilities of scanned images in scope as CSV, most severe first. */
export async function* vulnerabilitiesCsv(store: Store, q: VulnerabilityExportQuery): AsyncGenerator<string> {
  async function* lines(): AsyncGenerator<VulnerabilityLine[]> {
    // The names of every image, read once. A caller limited to some connectors sees only the names their image
    // assets carry: another connector's registry or tags are not theirs to learn from a shared digest.
    const scoped = q.connectorId !== undefined || q.connectorIds !== undefined;
    const visible = new Set<string>();
    if (scoped) for await (const page of pagesOf((cursor) => store.listAssets({ type: 'image', connectorId: q.connectorId, connectorIds: q.connectorIds, limit: 1000, cursor }))) for (const a of page) visible.add(a.key);
    const refs = new Map<string, string[]>();
    for (const r of await store.listImageReferences()) {
      if (!r.digest || (scoped && !visible.has(r.reference))) continue;
      const list = refs.get(r.digest);
      if (list) list.push(r.reference);
      else refs.set(r.digest, [r.reference]);
    }
    for await (const page of pagesOf((cursor) => store.listImageVulnerabilities({ ...q, limit: PAGE, cursor }))) yield page.map((row) => ({ row, references: refs.get(row.digest) ?? [] }));
  }
  yield* csvChunks(VULNERABILITY_COLUMNS, lines());
}

const ALERT_COLUMNS: Array<CsvColumn<AlertRow>> = [
  { header: 'id', value: (a) => a.id },
  { header: 'connectorId', value: (a) => a.connectorId },
  { header: 'status', value: (a) => a.status },
  { header: 'severity', value: (a) => a.severity },
  { header: 'ruleId', value: (a) => a.ruleId },
  { header: 'slug', value: (a) => a.slug },
  { header: 'title', value: (a) => a.title },
  { header: 'output', value: (a) => a.output },
  { header: 'count', value: (a) => a.count },
  { header: 'firstSeen', value: (a) => a.firstSeen },
  { header: 'lastSeen', value: (a) => a.lastSeen },
  { header: 'mitreTactics', value: (a) => a.mitre.tactics },
  { header: 'mitreTechniques', value: (a) => a.mitre.techniques },
  { header: 'user', value: (a) => a.entities.user },
  { header: 'namespace', value: (a) => a.entities.namespace },
  { header: 'statusBy', value: (a) => a.statusBy },
  { header: 'statusAt', value: (a) => a.statusAt },
  { header: 'statusReason', value: (a) => a.statusReason },
];

/** Filters of the alerts export (those of `GET /api/v1/alerts`). */
export interface AlertExportQuery extends DataScope {
  severities?: readonly Severity[];
  statuses?: readonly AlertStatus[];
  ruleId?: string;
  since?: string;
  until?: string;
}

/** The alerts in scope as CSV, newest first. */
export function alertsCsv(store: Store, q: AlertExportQuery): AsyncGenerator<string> {
  return csvChunks(ALERT_COLUMNS, pagesOf((cursor) => store.listAlerts({ ...q, limit: PAGE, cursor })));
}
