import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFeedMirror } from '../../test/helpers/feed-mirror.js';
import { PalisadeError } from '../model/errors.js';
import * as store from '../storage/vulndb/index.js';
import { dbStatus, exportDb, importDb, lockVulnDb, updateVulnDb } from './db.js';

describe('db update, status, export and import with the SQLite store', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'palisade-db-store-'));
    writeFeedMirror(join(dir, 'mirror'));
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
    const { status } = await dbStatus({ dbPath });
    expect(status.totals).toMatchObject({ sources: status.sources.length, documents: first.documents.length });
    expect(status.sources.find((x) => x.id === 'debian-tracker')).toMatchObject({ documents: 1, affected: 16 });
    expect(existsSync(`${dbPath}.lock`)).toBe(false);

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

  it('lets one update at a time change a database: the second stops at once, naming the first', async () => {
    const dbPath = join(dir, 'locked.db');
    const source = join(dir, 'mirror');
    const [a, b] = await Promise.allSettled([updateVulnDb({ dbPath, source }), updateVulnDb({ dbPath, source })]);
    expect(a.status).toBe('fulfilled');
    expect(b.status).toBe('rejected');
    const err = (b as PromiseRejectedResult).reason as PalisadeError;
    expect(err.code).toBe('E_VULN_DB_LOCKED');
    expect(err.message).toMatch(new RegExp(`locked\\.db is being changed by \`palisade db update\` \\(process ${process.pid} on .*, since .*\\): wait for it to finish, or remove .*locked\\.db\\.lock`));
    expect((a as PromiseFulfilledResult<{ failed: number }>).value.failed).toBe(0);
    // The first one finished and released the lock: the database is whole and a new update runs.
    expect(existsSync(`${dbPath}.lock`)).toBe(false);
    const again = await updateVulnDb({ dbPath, source });
    expect(again.documents.every((d) => d.result === 'unchanged')).toBe(true);
  });

  it('refuses an import while an update holds the lock, and takes over the lock of a process that is gone', async () => {
    const dbPath = join(dir, 'held.db');
    const release = lockVulnDb(dbPath, 'db update');
    try {
      await expect(importDb(join(dir, 'export.db'), { dbPath })).rejects.toMatchObject({ code: 'E_VULN_DB_LOCKED' });
    } finally {
      release();
    }
    expect(existsSync(`${dbPath}.lock`)).toBe(false);
    // A lock left by a process of this machine that has exited.
    const gone = Number(execFileSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }));
    writeFileSync(`${dbPath}.lock`, JSON.stringify({ pid: gone, host: hostname(), command: 'db update', startedAt: '2020-01-01T00:00:00Z' }));
    const r = await updateVulnDb({ dbPath, source: join(dir, 'mirror'), feeds: ['debian-tracker'] });
    expect(r.failed).toBe(0);
    expect(existsSync(`${dbPath}.lock`)).toBe(false);
    // A lock of another machine (a shared folder) is never taken over.
    writeFileSync(`${dbPath}.lock`, JSON.stringify({ pid: gone, host: 'elsewhere.example', command: 'db import', startedAt: '2020-01-01T00:00:00Z' }));
    await expect(updateVulnDb({ dbPath, source: join(dir, 'mirror') })).rejects.toThrow(/`palisade db import` \(process \d+ on elsewhere\.example/);
    expect(readFileSync(`${dbPath}.lock`, 'utf8')).toContain('elsewhere.example');
  });
});
