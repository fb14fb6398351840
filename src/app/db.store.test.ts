import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFeedMirror } from '../../test/helpers/feed-mirror.js';
import type { AdvisoryLookup, AdvisoryWriter } from '../model/advisory.js';
import { dbStatus, exportDb, importDb, updateVulnDb } from './db.js';

/** The SQLite store, through the same API `db.ts` loads it by. */
const STORE = join(import.meta.dirname, '../storage/vulndb/index.ts');
interface StoreModule {
  openVulnDb(path: string, opts?: { readonly?: boolean; create?: boolean }): AdvisoryLookup & AdvisoryWriter & { close(): void };
}

describe.skipIf(!existsSync(STORE))('db update, status, export and import with the SQLite store', () => {
  let dir: string;
  let store: StoreModule;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'palisade-db-store-'));
    writeFeedMirror(join(dir, 'mirror'));
    store = (await import(/* @vite-ignore */ STORE)) as StoreModule;
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('imports a mirror, then finds it unchanged; status, export and import round-trip', async () => {
    const dbPath = join(dir, 'vuln.db');
    const first = await updateVulnDb({ dbPath, source: join(dir, 'mirror') });
    expect(first.failed).toBe(0);
    expect(first.documents.every((d) => d.result === 'imported')).toBe(true);
    const second = await updateVulnDb({ dbPath, source: join(dir, 'mirror') });
    expect(second.documents.every((d) => d.result === 'unchanged')).toBe(true);

    const db = store.openVulnDb(dbPath, { readonly: true });
    try {
      expect(db.affected('debian:12', 'openssl').filter((a) => a.source === 'debian-tracker').map((a) => a.vulnerabilityId).sort()).toEqual(['CVE-2010-0928', 'CVE-2023-0286', 'CVE-2024-2511']);
      expect(db.vulnerability('GHSA-35jh-r3h4-6jhm')?.aliases).toEqual(['CVE-2021-23337']);
      expect(db.documentState('debian-tracker', 'tracker')).toMatchObject({ vulnerabilities: 7, affected: 16 });
    } finally {
      db.close();
    }
    expect((await dbStatus({ dbPath })).status).toBeTruthy();

    const file = join(dir, 'export.db');
    await exportDb(file, { dbPath });
    const copy = join(dir, 'copy', 'vuln.db');
    await importDb(file, { dbPath: copy });
    const imported = store.openVulnDb(copy, { readonly: true });
    try {
      expect(imported.affected('npm', 'lodash').map((a) => a.vulnerabilityId).sort()).toEqual(['GHSA-35jh-r3h4-6jhm', 'GHSA-p6mc-m468-83gw']);
    } finally {
      imported.close();
    }
  });
});
