import { minimatch } from 'minimatch';
import { openImage, parseReference, type RegistryOptions } from '../inputs/image/index.js';
import type { DetectedVulnerability } from '../model/advisory.js';
import { PalisadeError } from '../model/errors.js';
import type { OsInfo, Package } from '../model/package.js';
import type { AssetRow, ImageReferenceRow, ImageVulnerabilityRow, Store } from '../storage/store.js';
import { analyzeFiles, wantedByAny } from '../vuln/analyzers/run.js';
import { snapshotOf } from './connectors.js';
import { InProcessQueue, type JobQueue } from './jobs.js';
import { registryClientOptions, storedRegistryAuth, storedRegistrySettings } from './registry-connector.js';
import type { VulnBackend, VulnDatabase } from './scan-image.js';
import type { SecretBox } from './secrets.js';
import { loadVulnBackend } from './vuln-backend.js';

/** The job that scans one image reference. */
export const IMAGE_SCAN_JOB = 'image.scan';

/** Data of an {@link IMAGE_SCAN_JOB} job. */
export interface ImageScanJob {
  reference: string;
  /** Other references known to name the same image (a registry's tags of a digest). */
  aliases?: string[];
  /** Read the layers again even when the digest was scanned before. */
  force?: boolean;
  /** An OCI layout folder holding the image (a snapshot connector's offline images): read instead of pulling. */
  layout?: string;
}

/** Settings of the server's image scanning. */
export interface ImageScansOptions {
  store: Store;
  secrets: SecretBox;
  /** The job queue scans run on (default: an in-process queue of `concurrency` slots). */
  queue?: JobQueue;
  /** Scans at once on the default queue (default 2). */
  concurrency?: number;
  /** The vulnerability database and matcher (default: the SQLite database of `palisade db update`). */
  backend?: VulnBackend;
  /** Path of the vulnerability database (default: the backend's default path). */
  dbPath?: string;
  /** Registry client settings for every pull (timeouts, attempts); connectors add scheme, CA and credentials. */
  registryDefaults?: RegistryOptions;
  /** Platform of multi-platform images (default linux/amd64). */
  platform?: string;
  now?: () => Date;
  log?: (level: 'info' | 'warn', message: string) => void;
}

/** The outcome of scanning one reference. */
export type ImageScanOutcome = { ok: true; reference: string; digest: string; cached: boolean; vulnerabilities: number } | { ok: false; reference: string; code: string; error: string };

/** The summary an image asset carries once its reference was scanned: the `image has vulnerabilities` join. */
export interface ImageVulnerabilitySummary {
  status: ImageReferenceRow['status'];
  digest: string | null;
  total: number;
  critical: number;
  high: number;
  medium: number;
  low: number;
  fixable: number;
  scannedAt: string | null;
  error?: string;
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** The stored row of a detected vulnerability. */
export function vulnerabilityRow(digest: string, v: DetectedVulnerability): ImageVulnerabilityRow {
  return {
    digest,
    vulnId: v.id,
    package: v.package.name,
    installedVersion: v.installedVersion,
    packagePath: v.package.filePath ?? '',
    ecosystem: v.package.ecosystem,
    fixedVersion: v.fixedVersion ?? null,
    status: v.status,
    severity: v.severity,
    title: v.title ?? null,
    aliases: v.aliases,
    primaryUrl: v.primaryUrl ?? null,
    layer: v.layer ? { digest: v.layer.digest, index: v.layer.index, createdBy: v.layer.createdBy ?? null } : null,
  };
}

/**
 * Says in one line why an image could not be scanned and what to do, so an image whose registry is
 * unreachable is never mistaken for one without vulnerabilities.
 */
export function scanErrorMessage(reference: string, e: unknown): { code: string; error: string } {
  const code = e instanceof PalisadeError ? e.code : 'E_INTERNAL';
  let domain = reference;
  try {
    domain = parseReference(reference).domain;
  } catch {
    // an unparseable reference is reported below as it is
  }
  const m = message(e);
  switch (code) {
    case 'E_IMAGE_NETWORK':
      return { code, error: `registry ${domain} unreachable: ${m}. Check that the server can reach it; for a private registry onboard it as a registry connector (CA, plain HTTP, credentials)` };
    case 'E_IMAGE_AUTH':
      return { code, error: `registry ${domain} refused the pull: ${m}. Onboard ${domain} as a registry connector with credentials that may pull this repository` };
    case 'E_IMAGE_NOT_FOUND':
      return { code, error: `image ${reference} not found in ${domain}: ${m}` };
    default:
      return { code, error: `scanning ${reference} failed: ${m}` };
  }
}

/**
 * Whether a running image is left out of vulnerability scanning by a cluster connector's `excludeImages`
 * globs. Each pattern is tried on the reference as the pod spec writes it and on its normalised form
 * (`docker.io/library/nginx:1.25` for `nginx:1.25`), so `docker.io/**` also covers short names; `**`
 * crosses `/`.
 */
export function imageExcluded(reference: string, patterns: readonly string[]): boolean {
  if (patterns.length === 0) return false;
  let normalised = reference;
  try {
    normalised = parseReference(reference).normalized;
  } catch {
    // An unparsable reference is matched as written; its scan reports the parse error.
  }
  return patterns.some((g) => minimatch(reference, g) || minimatch(normalised, g));
}

/**
 * Vulnerability scanning of images in the server: every reference a registry sync discovers or a cluster
 * runs is queued as an {@link IMAGE_SCAN_JOB} (one waiting job per reference), resolved to its manifest
 * digest and scanned once per digest (the packages are stored, so a new database only needs matching
 * again). The outcome of each reference is stored, an error included, and copied onto the image assets
 * that name it.
 */
export class ImageScans {
  readonly queue: JobQueue;
  private readonly ownQueue: boolean;
  private readonly backend: VulnBackend;
  private readonly inflight = new Map<string, Promise<void>>();
  private readonly now: () => Date;

  constructor(private readonly opts: ImageScansOptions) {
    this.ownQueue = !opts.queue;
    this.queue = opts.queue ?? new InProcessQueue(opts.concurrency ?? 2, (job, e) => opts.log?.('warn', `job ${job.name} ${job.id} failed: ${message(e)}`));
    this.backend = opts.backend ?? loadVulnBackend();
    this.now = opts.now ?? (() => new Date());
    this.queue.register<ImageScanJob>(IMAGE_SCAN_JOB, async (data) => {
      await this.scan(data.reference, { aliases: data.aliases, force: data.force, layout: data.layout });
    });
  }

  /** Starts the default queue (a queue given in the options is started by its owner). */
  async start(): Promise<void> {
    if (this.ownQueue) await this.queue.start();
  }

  /** Stops the default queue, waiting for scans running. */
  async stop(): Promise<void> {
    if (this.ownQueue) await this.queue.stop();
  }

  /** Resolves when no scan waits or runs (tests). */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  private dbPath(): string {
    return this.opts.dbPath ?? this.backend.defaultDbPath();
  }

  /** The update time of the vulnerability database, or undefined when there is none (or it does not say). */
  dbUpdatedAt(): string | undefined {
    let db: VulnDatabase;
    try {
      db = this.backend.openDb(this.dbPath());
    } catch {
      return undefined;
    }
    try {
      return db.updatedAt();
    } finally {
      db.close();
    }
  }

  /** Queues a scan of a reference; a reference never seen is recorded as pending. False when one already waits. */
  async enqueue(reference: string, opts: { aliases?: string[]; force?: boolean; layout?: string } = {}): Promise<boolean> {
    if (!(await this.opts.store.getImageReference(reference))) {
      await this.opts.store.putImageReference({ reference, digest: null, status: 'pending', errorCode: null, error: null, attemptedAt: this.now().toISOString(), succeededAt: null });
    }
    const id = await this.queue.enqueue<ImageScanJob>(IMAGE_SCAN_JOB, { reference, aliases: opts.aliases, force: opts.force, ...(opts.layout ? { layout: opts.layout } : {}) }, { singletonKey: `image:${reference}`, retryLimit: 0 });
    return id !== undefined;
  }

  /** Registry settings for a reference: those of the registry connector of its host, else anonymous HTTPS. */
  private async registryOptionsFor(reference: string): Promise<RegistryOptions> {
    const domain = parseReference(reference).domain;
    const c = (await this.opts.store.listConnectors()).find((x) => x.kind === 'registry' && storedRegistrySettings(x).host === domain);
    if (!c) return { ...this.opts.registryDefaults, dockerConfig: false };
    return registryClientOptions(storedRegistrySettings(c), storedRegistryAuth(this.opts.secrets, c), this.opts.registryDefaults);
  }

  /**
   * Scans one reference now: resolves its manifest (and config) to learn the digest; reads the layers only
   * when that digest was never scanned (or `force`); matches the packages; stores packages, vulnerabilities
   * and the reference's outcome; and refreshes the image assets that name it. Never throws: a failure is
   * stored on the reference, with what to do. With `layout`, the image is read from that OCI layout folder
   * rather than pulled.
   */
  async scan(reference: string, opts: { aliases?: string[]; force?: boolean; layout?: string } = {}): Promise<ImageScanOutcome> {
    const refs = [reference, ...(opts.aliases ?? [])];
    const attemptedAt = this.now().toISOString();
    try {
      const db = this.backend.openDb(this.dbPath());
      let digest: string;
      let cached = true;
      try {
        const img = opts.layout
          ? await openImage({ kind: 'oci-layout', path: opts.layout }, { platform: this.opts.platform })
          : await openImage({ kind: 'registry', reference }, { platform: this.opts.platform, registry: await this.registryOptionsFor(reference) });
        try {
          if (!img.digest) throw new PalisadeError('E_IMAGE_FORMAT', `${reference}: the image has no manifest digest`);
          digest = img.digest;
          const running = this.inflight.get(digest);
          if (running) await running;
          else if (opts.force || !(await this.opts.store.getImageScan(digest))) {
            cached = false;
            const work = this.read(reference, digest, img, db);
            this.inflight.set(digest, work);
            try {
              await work;
            } finally {
              this.inflight.delete(digest);
            }
          }
        } finally {
          await img.close();
        }
      } finally {
        db.close();
      }
      for (const r of refs) await this.opts.store.putImageReference({ reference: r, digest, status: 'ok', errorCode: null, error: null, attemptedAt, succeededAt: attemptedAt });
      await this.refreshAssets(refs);
      const vulnerabilities = (await this.opts.store.listImageVulnerabilities({ image: digest, limit: 1000 })).items.length;
      return { ok: true, reference, digest, cached, vulnerabilities };
    } catch (e) {
      const { code, error } = scanErrorMessage(reference, e);
      this.opts.log?.('warn', error);
      for (const r of refs) await this.opts.store.putImageReference({ reference: r, digest: null, status: 'error', errorCode: code, error, attemptedAt, succeededAt: null });
      await this.refreshAssets(refs).catch(() => undefined);
      return { ok: false, reference, code, error };
    }
  }

  /** Streams the layers once for the files the analyzers want, matches the packages and stores both. */
  private async read(reference: string, digest: string, img: Awaited<ReturnType<typeof openImage>>, db: VulnDatabase): Promise<void> {
    const files = await img.walk((p) => wantedByAny(p));
    const analysis = await analyzeFiles(files.map((f) => ({ path: f.path, content: f.content, layer: f.layer })));
    const now = this.now();
    const matched = this.backend.match(analysis.os, analysis.packages, db, { now });
    await this.opts.store.putImageScan(
      {
        digest,
        reference,
        platform: `${img.platform.os}/${img.platform.architecture}${img.platform.variant ? `/${img.platform.variant}` : ''}`,
        os: analysis.os ?? null,
        packages: analysis.packages,
        layers: img.layers,
        packageCount: analysis.packages.length,
        scannedAt: now.toISOString(),
        matchedAt: now.toISOString(),
        dbUpdatedAt: db.updatedAt() ?? null,
      },
      matched.vulnerabilities.map((v) => vulnerabilityRow(digest, v)),
    );
  }

  /**
   * Matches the stored packages of every image matched against another database than the current one
   * again (after `palisade db update`): no pull. Returns how many images were matched again.
   */
  async rematch(): Promise<{ images: number; dbUpdatedAt?: string }> {
    let db: VulnDatabase;
    try {
      db = this.backend.openDb(this.dbPath());
    } catch (e) {
      // No database yet is the normal state of a new server; anything else is worth a line in the log.
      if (!(e instanceof PalisadeError && e.code === 'E_VULN_DB_MISSING')) this.opts.log?.('warn', `matching images again skipped: ${message(e)}`);
      return { images: 0 };
    }
    try {
      const updatedAt = db.updatedAt();
      if (!updatedAt) return { images: 0 };
      let images = 0;
      for (const digest of await this.opts.store.listImageScanDigests({ notMatchedAt: updatedAt })) {
        const scan = await this.opts.store.getImageScan(digest);
        if (!scan) continue;
        const now = this.now();
        const matched = this.backend.match((scan.os ?? undefined) as OsInfo | undefined, scan.packages as Package[], db, { now });
        await this.opts.store.rematchImage(digest, matched.vulnerabilities.map((v) => vulnerabilityRow(digest, v)), now.toISOString(), updatedAt);
        images++;
      }
      if (images > 0) {
        for (const r of await this.opts.store.listImageReferences({ status: 'ok' })) await this.refreshAssets([r.reference]);
      }
      return { images, dbUpdatedAt: updatedAt };
    } finally {
      db.close();
    }
  }

  /** The vulnerability summary of a reference, as image assets carry it. */
  async summary(reference: string): Promise<ImageVulnerabilitySummary | undefined> {
    const ref = await this.opts.store.getImageReference(reference);
    if (!ref) return undefined;
    const out: ImageVulnerabilitySummary = { status: ref.status, digest: ref.digest, total: 0, critical: 0, high: 0, medium: 0, low: 0, fixable: 0, scannedAt: null };
    if (ref.error) out.error = ref.error;
    if (ref.digest) {
      const [img] = (await this.opts.store.listVulnerableImages({ image: ref.digest, limit: 1 })).items;
      if (img) Object.assign(out, { total: img.total, critical: img.counts.critical, high: img.counts.high, medium: img.counts.medium, low: img.counts.low, fixable: img.fixable, scannedAt: img.matchedAt });
    }
    return out;
  }

  /** Copies the outcome of references onto the image assets keyed by them (`attributes.vulnerabilities`). */
  private async refreshAssets(references: string[]): Promise<void> {
    for (const reference of references) {
      const assets = await this.imageAssets(reference);
      if (assets.length === 0) continue;
      const summary = await this.summary(reference);
      for (const a of assets) {
        await this.opts.store.upsertAssets([{ connectorId: a.connectorId, type: a.type, key: a.key, attributes: { ...a.attributes, vulnerabilities: summary } }], a.lastSeen);
      }
    }
  }

  private async imageAssets(reference: string): Promise<AssetRow[]> {
    const out: AssetRow[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.opts.store.listAssets({ type: 'image', q: reference, limit: 1000, cursor });
      out.push(...page.items.filter((a) => a.key === reference));
      cursor = page.next;
    } while (cursor);
    return out;
  }

  /**
   * After a cluster connector's sync: records which of its images run and which are exposed, queues a scan of
   * every image it found, and puts the known outcome back on its image assets at once (a sync rewrites their
   * attributes). Returns how many were queued.
   */
  async queueRunningImages(connectorId: string): Promise<number> {
    await this.opts.store.refreshImageExposure(connectorId);
    const connector = await this.opts.store.getConnector(connectorId);
    const excluded = (connector?.config.scope as { excludeImages?: string[] } | undefined)?.excludeImages ?? [];
    // A snapshot connector (an offline cluster) scans only the images it has as OCI layouts: nothing is pulled.
    const layouts = connector && snapshotOf(connector) !== undefined ? ((connector.config.images ?? {}) as Record<string, string>) : undefined;
    const refs = new Set<string>();
    let cursor: string | undefined;
    do {
      const page = await this.opts.store.listAssets({ type: 'image', connectorId, limit: 1000, cursor });
      for (const a of page.items) if (!imageExcluded(a.key, excluded) && (!layouts || typeof layouts[a.key] === 'string')) refs.add(a.key);
      cursor = page.next;
    } while (cursor);
    let queued = 0;
    for (const reference of refs) {
      if (await this.opts.store.getImageReference(reference)) await this.refreshAssets([reference]);
      if (await this.enqueue(reference, layouts ? { layout: layouts[reference] } : {})) queued++;
    }
    return queued;
  }
}
