import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { zipSync } from 'fflate';
import { z } from 'zod';
import { DEFAULT_MAX_BATCH_EVENTS, parseEventList } from '../inputs/audit/webhook.js';
import { PalisadeError } from '../model/errors.js';
import type { ConnectorRow, Store } from '../storage/store.js';
import { loadThreatRules } from './audit.js';
import { createSnapshotConnector, lastSyncOf, snapshotConnectorConfig, syncConnector, type NewSnapshotConnector, type SyncResult } from './connectors.js';
import { PACKAGE_ROOT } from './content.js';
import { updateVulnDb } from './db.js';
import { ImageScans } from './image-scans.js';
import type { PreparedServer } from './serve.js';
import { ServerAudit } from './server-audit.js';
import { addUser, generatePassword, hashPassword, type Actor } from './users.js';

/** The bundled demo environment (`examples/demo`, see its README). */
export const DEMO_DIR = join(PACKAGE_ROOT, 'examples', 'demo');

/** The folder, under the normal data directory, that `serve --demo` uses when no data directory is given. */
export const DEMO_DATA_FOLDER = 'palisade-demo';

/** The file in the demo data directory that keeps the demo Owner's login (mode 0600). */
export const DEMO_LOGIN_FILE = 'demo-login.json';

const ACTOR: Actor = { name: 'demo', role: 'owner' };

/** `examples/demo/demo.json`: what the demo is made of, paths relative to its folder. */
const DemoManifest = z.object({
  connector: z.string().min(1),
  snapshot: z.string().min(1),
  auditLog: z.string().min(1),
  /** The moment the audit log was recorded: its events are shifted by (now - auditBase). */
  auditBase: z.iso.datetime(),
  /** Image reference (as the snapshot's workloads run it) -> OCI layout folder. */
  images: z.record(z.string(), z.string()),
  /** OSV JSON files, one folder per OSV ecosystem (`Debian/`). */
  advisories: z.string().min(1),
});
type DemoManifest = z.infer<typeof DemoManifest>;

/** What {@link loadDemoEnvironment} found or made. */
export interface DemoSummary {
  connectorId: string;
  connectorName: string;
  /** True when this load created the connector (a first start). */
  created: boolean;
  /** The sync this load ran; undefined when an earlier one had already worked. */
  sync?: SyncResult;
  /** The vulnerability database built from the bundled advisories. */
  dbPath: string;
  /** Audit events newly journaled (0 on later loads: events are deduplicated by audit ID). */
  auditEvents: number;
  /** Stored findings, alerts and running-image vulnerabilities of the demo connector. */
  findings: number;
  alerts: number;
  vulnerabilities: number;
  images: Array<{ reference: string; digest: string | null; status: string; error?: string }>;
}

function readManifest(demoDir: string): DemoManifest {
  const file = join(demoDir, 'demo.json');
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new PalisadeError('E_CONFIG', `cannot read the demo manifest ${file}: ${(e as Error).message}`);
  }
  const parsed = DemoManifest.safeParse(raw);
  if (!parsed.success) throw new PalisadeError('E_CONFIG', `${file}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

/** The demo connector: the cluster connector marked `demo`, found again on every later start. */
async function ensureConnector(store: Store, input: NewSnapshotConnector): Promise<{ row: ConnectorRow; created: boolean }> {
  let row = (await store.listConnectors()).find((c) => c.kind === 'cluster' && c.config.demo === true);
  const created = !row;
  if (!row) {
    const view = await createSnapshotConnector(store, ACTOR, input);
    row = (await store.getConnector(view.id))!;
  }
  // Paths are refreshed each time: the package may have moved since the connector was created.
  const config = { ...row.config, ...snapshotConnectorConfig(input), demo: true };
  row = (await store.updateConnector(row.id, { config }))!;
  return { row, created };
}

/**
 * Builds the vulnerability database from the bundled OSV files the way `palisade db update --source <dir>`
 * does: they are packed as the mirror layout the OSV feed reads (`osv/<Ecosystem>/all.zip`) and imported.
 * Fixed timestamps keep the archive's bytes, and so its digest, the same: a later load finds it unchanged.
 */
async function buildVulnDb(advisories: string, dataDir: string, now: Date): Promise<string> {
  const mirror = join(dataDir, 'demo-advisories');
  const ecosystems = readdirSync(advisories, { withFileTypes: true }).filter((d) => d.isDirectory());
  for (const eco of ecosystems) {
    const files: Record<string, [Uint8Array, { mtime: Date }]> = {};
    for (const f of readdirSync(join(advisories, eco.name)).filter((n) => n.endsWith('.json')).sort()) {
      files[f] = [readFileSync(join(advisories, eco.name, f)), { mtime: new Date('2025-01-01T00:00:00Z') }];
    }
    mkdirSync(join(mirror, 'osv', eco.name), { recursive: true });
    writeFileSync(join(mirror, 'osv', eco.name, 'all.zip'), zipSync(files));
  }
  const dbPath = join(dataDir, 'vuln.db');
  const result = await updateVulnDb({ dbPath, source: mirror, feeds: ['osv'], now: () => now });
  // The mirror holds only the bundled ecosystems: the others' documents are missing, as expected.
  const bundled = new Set(ecosystems.map((e) => e.name));
  const failed = result.documents.filter((d) => d.result === 'failed' && bundled.has(d.location.split(/[\\/]/).at(-2) ?? ''));
  if (failed.length > 0) throw new PalisadeError('E_CONFIG', `the demo advisories could not be imported: ${failed.map((d) => `${d.document}: ${d.message}`).join('; ')}`);
  return dbPath;
}

/** Each event's times moved by `shiftMs`, so the recorded timeline ends about now. */
function shiftedEvents(file: string, shiftMs: number): unknown[] {
  const shift = (v: unknown) => (typeof v === 'string' && !Number.isNaN(Date.parse(v)) ? new Date(Date.parse(v) + shiftMs).toISOString() : v);
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const e = JSON.parse(l) as Record<string, unknown>;
      return { ...e, requestReceivedTimestamp: shift(e.requestReceivedTimestamp), stageTimestamp: shift(e.stageTimestamp) };
    });
}

/**
 * Replays the audit log through the server's own ingest (journal, threat rules, stateful detectors, alerts),
 * as if the cluster's webhook had sent it. Events keep their audit IDs, so a replay on a later start is a
 * duplicate and raises nothing twice.
 */
async function replayAudit(store: Store, connectorId: string, file: string, shiftMs: number, now: Date): Promise<number> {
  const audit = new ServerAudit({ store, ruleSet: loadThreatRules(), now: () => now });
  const events = shiftedEvents(file, shiftMs);
  let accepted = 0;
  for (let i = 0; i < events.length; i += 500) {
    const body = Buffer.from(JSON.stringify({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', items: events.slice(i, i + 500) }));
    const batch = parseEventList(body, `connector:${connectorId}`, 'demo', { maxEventBytes: audit.limits.maxEventBytes, maxBatchEvents: DEFAULT_MAX_BATCH_EVENTS });
    accepted += (await audit.ingest(connectorId, batch)).accepted;
  }
  await audit.saveStates();
  return accepted;
}

/**
 * Loads the bundled demo environment into a server's store and data directory: a cluster connector reading
 * the demo snapshot (synced by the same code as any cluster: inventory, posture findings, one score point), a
 * vulnerability database built from the bundled advisories, the bundled image scanned from its OCI layout and
 * recorded under the reference the snapshot's workloads run, and the audit log replayed through the threat
 * rules into alerts. Idempotent: a later load finds the demo connector, syncs it only if no sync ever worked,
 * and the replay and scan find their work done.
 */
export async function loadDemoEnvironment(server: Pick<PreparedServer, 'store' | 'secrets'>, opts: { dataDir: string; now?: Date; demoDir?: string }): Promise<DemoSummary> {
  const now = opts.now ?? new Date();
  const demoDir = resolve(opts.demoDir ?? DEMO_DIR);
  const m = readManifest(demoDir);
  const { store, secrets } = server;
  mkdirSync(opts.dataDir, { recursive: true });

  const images = Object.fromEntries(Object.entries(m.images).map(([ref, dir]) => [ref, join(demoDir, dir)]));
  const { row, created } = await ensureConnector(store, { name: m.connector, snapshot: join(demoDir, m.snapshot), images });
  const sync = lastSyncOf(row)?.lastSuccessAt ? undefined : await syncConnector(store, secrets, ACTOR, row, { now });

  const dbPath = await buildVulnDb(join(demoDir, m.advisories), opts.dataDir, now);
  const scans = new ImageScans({ store, secrets, dbPath, concurrency: 1, now: () => now });
  await scans.start();
  try {
    await scans.queueRunningImages(row.id);
    await scans.idle();
  } finally {
    await scans.stop();
  }

  const auditEvents = await replayAudit(store, row.id, join(demoDir, m.auditLog), now.getTime() - Date.parse(m.auditBase), now);

  const findings = (await store.summarizeFindings({ connectorId: row.id })).reduce((n, s) => n + s.findings, 0);
  const alerts = (await store.listAlerts({ connectorId: row.id, limit: 1000 })).items.length;
  const vulnerabilities = (await store.listImageVulnerabilities({ connectorId: row.id, running: true, limit: 1000 })).items.length;
  const refs = await Promise.all(Object.keys(m.images).map(async (reference) => {
    const r = await store.getImageReference(reference);
    return { reference, digest: r?.digest ?? null, status: r?.status ?? 'missing', ...(r?.error ? { error: r.error } : {}) };
  }));
  return { connectorId: row.id, connectorName: row.name, created, ...(sync ? { sync } : {}), dbPath, auditEvents, findings, alerts, vulnerabilities, images: refs };
}

/** The demo Owner's login as kept in the demo data directory. */
export interface DemoLogin {
  username: string;
  /** Undefined when PALISADE_ADMIN_PASSWORD sets it (it is then not written anywhere). */
  password?: string;
  /** The 0600 file holding it. */
  file: string;
  /** True when this call wrote the file (a first start, or the file was removed). */
  created: boolean;
}

const LoginFile = z.object({ username: z.string().min(1), password: z.string().min(1) });

/**
 * The demo Owner's login: PALISADE_ADMIN_USER / PALISADE_ADMIN_PASSWORD when set, else the one kept in
 * `demo-login.json` (mode 0600) in the demo data directory, generated on the first start. Unlike a real
 * server's one-time password it is kept, so every demo start can print it; the file is readable only by its
 * owner, and the demo's data directory holds nothing but demo data.
 */
export function demoLogin(dataDir: string, env: NodeJS.ProcessEnv = process.env): DemoLogin {
  const file = join(dataDir, DEMO_LOGIN_FILE);
  const username = env.PALISADE_ADMIN_USER || 'admin';
  if (env.PALISADE_ADMIN_PASSWORD) return { username, file, created: false };
  if (existsSync(file)) {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(file, 'utf8'));
    } catch {
      raw = undefined;
    }
    const parsed = LoginFile.safeParse(raw);
    if (!parsed.success) throw new PalisadeError('E_CONFIG', `${file} is not a demo login file: remove it and start again`);
    return { ...parsed.data, file, created: false };
  }
  mkdirSync(dataDir, { recursive: true });
  const password = generatePassword();
  writeFileSync(file, `${JSON.stringify({ username, password }, null, 2)}\n`, { mode: 0o600 });
  return { username, password, file, created: true };
}

/**
 * When the login file was just written, makes sure the demo Owner exists with its password, also in a demo
 * store that already had users (the file was removed): the login printed must work.
 */
export async function applyDemoLogin(store: Store, login: DemoLogin): Promise<void> {
  if (!login.created || !login.password) return;
  const user = await store.getUserByName(login.username);
  if (user) await store.setUserPassword(user.id, await hashPassword(login.password));
  else await addUser(store, ACTOR, { username: login.username, role: 'owner', password: login.password });
}
