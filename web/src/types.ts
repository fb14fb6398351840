/**
 * Shapes of the API answers the pages read (see /openapi.json; only the fields the dashboard uses). Where the
 * server has the type of what it sends (no dates: they travel as strings), it is imported rather than copied.
 */
import type { AlertRow, ImageVulnerabilityRow } from '../../src/storage/store.js';

/** `GET /api/v1/recommendations` item. */
export interface Recommendation {
  checkId: string;
  slug: string;
  title: string;
  category: string;
  severity: string;
  remediation: string;
  affected: number;
  findings: number;
  lastSeen: string;
}

/** An asset as lists and relations name it. */
export interface AssetRef {
  id: string;
  type: string;
  key: string;
  connectorId?: string | null;
}

/** `GET /api/v1/recommendations/:checkId`. */
/** A suggested fix of one affected resource: a JSON Patch against it as last synced, and the kubectl command. */
export interface ResourceFix {
  description: string;
  patch: Array<{ op: string; path: string; value?: unknown }>;
  command?: string;
}

export interface RecommendationDetail extends Recommendation {
  description?: string;
  fix?: unknown;
  suggestedFix?: unknown;
  affectedResources: Array<{ findingId: string; asset: AssetRef; path: string; message: string; firstSeen: string; lastSeen: string; fix?: ResourceFix }>;
  next?: string;
  [extra: string]: unknown;
}

/** `GET /api/v1/alerts` item: the server's row as JSON. */
export type Alert = AlertRow;

/** `GET /api/v1/alerts/:id`. */
export interface AlertDetail {
  alert: Alert;
  tactics: Array<{ id: string; name: string }>;
  events: Array<{ seq: number; receivedAt: string; event: unknown }>;
}

/** `GET /api/v1/vulnerabilities?view=image` item. */
export interface VulnerableImage {
  image: string;
  digest: string | null;
  references: Array<{ reference: string; digest: string | null; status: string; errorCode: string | null; error: string | null; attemptedAt: string; succeededAt: string | null }>;
  workloads: number;
  running: boolean;
  exposed: boolean;
  counts: Record<'critical' | 'high' | 'medium' | 'low' | 'info', number>;
  total: number;
  fixable: number;
  packageCount: number | null;
  scannedAt: string | null;
  matchedAt: string | null;
}

/** `GET /api/v1/vulnerabilities?view=cve` item. */
export interface CveSummary {
  vulnId: string;
  severity: string;
  title: string | null;
  images: number;
  runningImages: number;
  exposedImages: number;
  packages: string[];
  fixedVersions: string[];
}

/** One vulnerable package of an image (`view=rows`, and the image detail): the server's row as JSON. */
export type VulnRow = ImageVulnerabilityRow;

/** `GET /api/v1/vulnerabilities/images/:digest`. */
export interface ImageDetail extends VulnerableImage {
  os: unknown;
  platform: string | null;
  vulnerabilities: VulnRow[];
}

/** `GET /api/v1/assets` item. */
export interface Asset extends AssetRef {
  connectorId: string | null;
  attributes: Record<string, unknown>;
  firstSeen: string;
  lastSeen: string;
}

/** `GET /api/v1/assets/:id`. */
export interface AssetDetail extends Asset {
  relations: Array<{ kind: string; direction: 'out' | 'in'; asset: AssetRef }>;
  findings: Array<{ checkId: string; severity: string; path: string; message: string; firstSeen: string; lastSeen: string }>;
}

/** `GET /api/v1/connectors` item (the fields the filters use). */
export interface ConnectorInfo {
  id: string;
  name: string;
  kind: string;
}
