import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryVulnDb, memoryVulnDbStore, writeFeedMirror } from '../../../test/helpers/feed-mirror.js';
import { FEEDS } from '../../vuln/feeds/index.js';
import type { Io } from '../io.js';
import { main } from '../main.js';

function capture(tty = false): Io & { out: string; err: string } {
  const io = {
    out: '',
    err: '',
    stdout: (s: string) => void (io.out += s),
    stderr: (s: string) => void (io.err += s),
    stdoutIsTty: tty,
    stderrIsTty: tty,
    columns: 120,
    env: {} as NodeJS.ProcessEnv,
  };
  return io;
}

let dir: string;
let db: MemoryVulnDb;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'palisade-cli-db-'));
  db = new MemoryVulnDb();
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const run = async (args: string[], io = capture()) => ({ code: await main(['node', 'palisade', 'db', ...args], io, { vulnDbStore: memoryVulnDbStore(db), fetch: () => Promise.reject(new Error('no network in tests')) }), io });
const total = FEEDS.reduce((n, f) => n + f.documents().length, 0);

describe('palisade db', () => {
  it('update from a mirror folder: summary on stdout, skipped entries on stderr, exit 0; quiet when piped', async () => {
    const mirror = join(dir, 'mirror');
    writeFeedMirror(mirror);
    const r = await run(['update', '--source', mirror, '--db', join(dir, 'v.db')]);
    expect(r.code).toBe(0);
    expect(r.io.out).toMatch(new RegExp(`^Updated .*v\\.db: ${total} documents imported \\(\\d+ vulnerabilities, \\d+ affected-package rows\\)\\n$`));
    expect(r.io.err).toContain('palisade: warning: osv/npm: 3 entries did not validate and were left out:\n  GHSA-9999-bad1-0001.json: not an OSV record');
    expect(r.io.err).not.toContain('\r');
    const again = await run(['update', '--source', mirror, '--db', join(dir, 'v.db'), '--feed', 'debian-tracker']);
    expect(again.io.out).toMatch(/: 0 documents imported \(0 vulnerabilities, 0 affected-package rows\), 1 unchanged\n$/);
  });

  it('update exits 2 when a document failed, naming it, and shows progress on a terminal', async () => {
    const mirror = join(dir, 'mirror');
    writeFeedMirror(mirror, ['alpine-secdb']);
    rmSync(join(mirror, 'alpine-secdb', 'edge', 'community.json'));
    const r = await run(['update', '--source', mirror, '--feed', 'alpine-secdb', '--db', join(dir, 'v.db')], capture(true));
    expect(r.code).toBe(2);
    expect(r.io.err).toMatch(/palisade: alpine-secdb\/edge\/community \(.*community\.json\): not found in the mirror; its previous rows are kept\n/);
    expect(r.io.err).toContain('\r\u001b[2KUpdating vulnerability database');
    expect(r.io.out).toMatch(/^Partly updated .*: 23 documents imported .*, 1 failed\n$/);
  });

  it('update refuses an unknown feed with a usage error', async () => {
    const r = await run(['update', '--feed', 'nvd', '--source', dir]);
    expect(r.code).toBe(64);
    expect(r.io.err).toMatch(/--feed: unknown feed "nvd"/);
  });

  it('status prints a table or JSON', async () => {
    const mirror = join(dir, 'mirror');
    writeFeedMirror(mirror, ['debian-tracker']);
    await run(['update', '--source', mirror, '--feed', 'debian-tracker', '--db', join(dir, 'v.db')]);
    const table = await run(['status', '--db', join(dir, 'v.db')]);
    expect(table.code).toBe(0);
    expect(table.io.out).toMatch(/SOURCE\s+DOCUMENT\s+IMPORTED \(UTC\)\s+VULNS\s+AFFECTED\ndebian-tracker\s+tracker\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s+7\s+16\n/);
    const json = await run(['status', '-o', 'json', '--db', join(dir, 'v.db')]);
    expect(JSON.parse(json.io.out)).toMatchObject({ path: join(dir, 'v.db'), documents: [{ source: 'debian-tracker', documentKey: 'tracker', vulnerabilities: 7, affected: 16 }] });
  });

  it('status of the SQLite store: file, totals, one line per source and per document', async () => {
    const mirror = join(dir, 'mirror');
    writeFeedMirror(mirror, ['debian-tracker', 'alpine-secdb']);
    const dbPath = join(dir, 'real.db');
    const real = (args: string[]) => main(['node', 'palisade', 'db', ...args], capture(), {});
    const io = capture();
    expect(await main(['node', 'palisade', 'db', 'update', '--source', mirror, '--feed', 'debian-tracker,alpine-secdb', '--db', dbPath], io, {})).toBe(0);
    const table = capture();
    expect(await main(['node', 'palisade', 'db', 'status', '--db', dbPath], table, {})).toBe(0);
    const out = table.out;
    expect(out).toMatch(new RegExp(`^Database: .*real\\.db\nSchema:   \\d+, \\d+ kB\nUpdated:  \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d UTC\nTotals:   \\d+ vulnerabilities, \\d+ affected-package rows from 2 sources \\(25 documents\\)\n`));
    expect(out).toMatch(/SOURCE\s+NAME\s+LAST IMPORT \(UTC\)\s+DOCS\s+VULNS\s+AFFECTED\n/);
    expect(out).toMatch(/\ndebian-tracker\s+.+\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s+1\s+\d+\s+16\n/);
    expect(out).toMatch(/\nalpine-secdb\s+.+\s+24\s+\d+\s+\d+\n/);
    expect(out).toMatch(/SOURCE\s+DOCUMENT\s+IMPORTED \(UTC\)\s+VULNS\s+AFFECTED\n/);
    expect(out).not.toMatch(/undefined|NaN/);
    const json = capture();
    await main(['node', 'palisade', 'db', 'status', '-o', 'json', '--db', dbPath], json, {});
    expect(JSON.parse(json.out)).toMatchObject({ path: dbPath, totals: { sources: 2, documents: 25 } });
    expect(await real(['status', '--db', join(dir, 'none.db')])).toBe(78);
  });

  it('a second update of a database being updated stops with exit 75, naming the process that holds it', async () => {
    const dbPath = join(dir, 'v.db');
    writeFileSync(`${dbPath}.lock`, JSON.stringify({ pid: process.pid, host: hostname(), command: 'db update', startedAt: '2026-01-01T00:00:00.000Z' }));
    const r = await run(['update', '--source', dir, '--db', dbPath]);
    expect(r.code).toBe(75);
    expect(r.io.err).toMatch(/^palisade: .*v\.db is being changed by `palisade db update` \(process \d+ on .*, since 2026-01-01T00:00:00\.000Z\): wait for it to finish, or remove .*v\.db\.lock if no such process runs\n$/);
    expect(r.io.out).toBe('');
  });
});
