import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SqlStore } from '../sql/store.js';
import { openSqliteDriver } from '../sqlite/driver.js';
import { MIGRATIONS } from './index.js';

describe('migration 6: per-check totals', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('backfills the totals from the findings a database already holds, and starts the by-CVE view stale', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'palisade-m6-'));
    dirs.push(dir);
    const db = openSqliteDriver(join(dir, 'palisade.db'));
    await new SqlStore(db, MIGRATIONS.filter((m) => m.id < 6)).migrate();
    const at = '2026-01-01T00:00:00.000Z';
    await db.run("INSERT INTO connectors (id, kind, name, config, created_at, updated_at) VALUES ('c1', 'cluster', 'a', '{}', ?, ?)", [at, at]);
    for (const [id, connector] of [['a1', 'c1'], ['a2', 'c1'], ['a3', null]] as const) {
      await db.run("INSERT INTO assets (id, connector_id, type, key, attributes, first_seen, last_seen) VALUES (?, ?, 'workload', ?, '{}', ?, ?)", [id, connector, id, at, at]);
    }
    const findings = [
      ['f1', 'a1', 'C1', 'medium', 'p', '2026-01-02T00:00:00.000Z'],
      ['f2', 'a1', 'C1', 'critical', 'q', at],
      ['f3', 'a2', 'C1', 'low', 'p', at],
      ['f4', 'a3', 'C1', 'high', 'p', at],
      ['f5', 'a2', 'C2', 'whatever', 'p', at],
    ];
    for (const [id, asset, check, severity, path, seen] of findings) {
      await db.run("INSERT INTO findings (id, asset_id, check_id, severity, path, message, first_seen, last_seen) VALUES (?, ?, ?, ?, ?, 'm', ?, ?)", [id, asset, check, severity, path, seen, seen]);
    }

    const store = new SqlStore(db);
    expect((await store.migrate()).pending).toEqual([]);
    expect(await store.summarizeChecks()).toEqual([
      { checkId: 'C1', severity: 'critical', assets: 3, findings: 4, lastSeen: '2026-01-02T00:00:00.000Z' },
      { checkId: 'C2', severity: 'unknown', assets: 1, findings: 1, lastSeen: at },
    ]);
    expect(await store.summarizeChecks({ connectorId: 'c1', checkId: 'C1' })).toEqual([{ checkId: 'C1', severity: 'critical', assets: 2, findings: 3, lastSeen: '2026-01-02T00:00:00.000Z' }]);
    expect(await db.all("SELECT stale FROM summary_state WHERE name = 'vulnerabilities'")).toEqual([{ stale: 1 }]);
    await store.close();
  });
});
