import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { PalisadeError } from '../model/errors.js';
import { CONNECTOR_DATA_KINDS, type ConnectorDataKind, type ConnectorRef, type Store } from '../storage/store.js';

/** `format` of an offboarding bundle's manifest. */
export const BUNDLE_FORMAT = 'palisade-offboarding-bundle';
/** The manifest's file name in a bundle. */
export const MANIFEST_FILE = 'manifest.json';
/** Checksums in the format of `sha256sum`, so `sha256sum -c SHA256SUMS` verifies a bundle without Palisade. */
export const SUMS_FILE = 'SHA256SUMS';

/** One NDJSON file of a bundle. */
export interface BundleFile {
  kind: ConnectorDataKind;
  file: string;
  rows: number;
  bytes: number;
  sha256: string;
}

/** `manifest.json` of a bundle. */
export interface BundleManifest {
  format: typeof BUNDLE_FORMAT;
  version: 1;
  createdAt: string;
  connector: { id: string; name: string; kind: string };
  reason: string;
  files: BundleFile[];
}

/** A bundle as the offboarding report records it. */
export interface BundleInfo {
  dir: string;
  createdAt: string;
  files: BundleFile[];
  rows: number;
  /** SHA-256 of manifest.json. */
  manifestSha256: string;
}

/** The outcome of {@link verifyBundle}: every file present, of the size, row count and SHA-256 the manifest says. */
export interface BundleVerification {
  ok: boolean;
  problems: string[];
}

const PAGE = 1000;

function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * Writes an export bundle of everything the store keeps about a connector: one NDJSON file per kind of data
 * (`<kind>.ndjson`, one JSON object a line, in a stable order), `manifest.json` with the row count, size and
 * SHA-256 of each file, and `SHA256SUMS`. The bundle is written to `<dir>.partial` (0700, files 0600: it holds
 * the inventory of a cluster), flushed to disk, verified, and only then renamed to `dir`, so a bundle under its
 * final name is always complete. A leftover `.partial` of an interrupted run is removed first; an existing
 * `dir` is refused unless `replace`.
 */
export async function writeBundle(store: Store, c: ConnectorRef & { kind: string }, dir: string, reason: string, opts: { now?: Date; replace?: boolean } = {}): Promise<BundleInfo> {
  const now = opts.now ?? new Date();
  const partial = `${dir}.partial`;
  await rm(partial, { recursive: true, force: true });
  // `replace`: the folder is the caller's own from an interrupted run (the workflow checked it was new at the start).
  if (opts.replace) await rm(dir, { recursive: true, force: true });
  try {
    await stat(dir);
    throw new PalisadeError('E_USAGE', `bundle folder ${dir} already exists; give another folder (nothing is ever overwritten)`);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  await mkdir(partial, { recursive: true, mode: 0o700 });
  const files: BundleFile[] = [];
  for (const kind of CONNECTOR_DATA_KINDS) {
    const file = `${kind}.ndjson`;
    const hash = createHash('sha256');
    const fh = await open(join(partial, file), 'wx', 0o600);
    let rows = 0;
    let bytes = 0;
    try {
      let cursor: string | undefined;
      do {
        const p = await store.exportConnectorData(c, kind, { limit: PAGE, cursor });
        if (p.items.length > 0) {
          const chunk = Buffer.from(p.items.map((r) => `${JSON.stringify(r)}\n`).join(''), 'utf8');
          hash.update(chunk);
          await fh.write(chunk);
          rows += p.items.length;
          bytes += chunk.length;
        }
        cursor = p.next;
      } while (cursor);
      await fh.sync();
    } finally {
      await fh.close();
    }
    files.push({ kind, file, rows, bytes, sha256: hash.digest('hex') });
  }
  const manifest: BundleManifest = { format: BUNDLE_FORMAT, version: 1, createdAt: now.toISOString(), connector: { id: c.id, name: c.name, kind: c.kind }, reason, files };
  const manifestText = `${JSON.stringify(manifest, null, 2)}\n`;
  await writeFile(join(partial, MANIFEST_FILE), manifestText, { mode: 0o600, flag: 'wx' });
  const sums = [...files.map((f) => `${f.sha256}  ${f.file}`), `${sha256Hex(manifestText)}  ${MANIFEST_FILE}`].join('\n');
  await writeFile(join(partial, SUMS_FILE), `${sums}\n`, { mode: 0o600, flag: 'wx' });
  const check = await verifyBundle(partial);
  if (!check.ok) throw new PalisadeError('E_READ', `the export bundle in ${partial} does not verify after writing: ${check.problems.join('; ')}`);
  await rename(partial, dir);
  return { dir, createdAt: manifest.createdAt, files, rows: files.reduce((n, f) => n + f.rows, 0), manifestSha256: sha256Hex(manifestText) };
}

/** SHA-256, size and line count of a file, read as a stream. */
async function digestFile(path: string): Promise<{ sha256: string; bytes: number; rows: number; bad?: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  const stream = createReadStream(path);
  stream.on('data', (b) => {
    hash.update(b as Buffer);
    bytes += (b as Buffer).length;
  });
  let rows = 0;
  let bad: number | undefined;
  for await (const line of createInterface({ input: stream, crlfDelay: Infinity })) {
    rows++;
    if (bad === undefined) {
      try {
        JSON.parse(line);
      } catch {
        bad = rows;
      }
    }
  }
  return { sha256: hash.digest('hex'), bytes, rows, ...(bad !== undefined ? { bad } : {}) };
}

/** Checks a bundle against its manifest: each file present, with the size, rows (valid JSON lines) and SHA-256 listed. */
export async function verifyBundle(dir: string): Promise<BundleVerification> {
  const problems: string[] = [];
  let manifest: BundleManifest;
  try {
    manifest = JSON.parse(await readFile(join(dir, MANIFEST_FILE), 'utf8')) as BundleManifest;
  } catch (e) {
    return { ok: false, problems: [`${join(dir, MANIFEST_FILE)}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : (e as Error).message}`] };
  }
  if (manifest.format !== BUNDLE_FORMAT || !Array.isArray(manifest.files)) return { ok: false, problems: [`${MANIFEST_FILE}: not a ${BUNDLE_FORMAT} manifest`] };
  for (const f of manifest.files) {
    try {
      const d = await digestFile(join(dir, f.file));
      if (d.sha256 !== f.sha256) problems.push(`${f.file}: SHA-256 ${d.sha256} differs from the manifest's ${f.sha256}`);
      if (d.bytes !== f.bytes) problems.push(`${f.file}: ${d.bytes} bytes, the manifest says ${f.bytes}`);
      if (d.rows !== f.rows) problems.push(`${f.file}: ${d.rows} rows, the manifest says ${f.rows}`);
      if (d.bad !== undefined) problems.push(`${f.file}: line ${d.bad} is not JSON`);
    } catch (e) {
      problems.push(`${f.file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : (e as Error).message}`);
    }
  }
  return { ok: problems.length === 0, problems };
}
