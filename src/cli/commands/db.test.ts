import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
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
});
