import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SCENARIOS } from '../../app/simulate.js';
import type { Io } from '../io.js';
import { main } from '../main.js';

const run = async (args: string[]) => {
  const io = { out: '', err: '', stdout: (s: string) => void (io.out += s), stderr: (s: string) => void (io.err += s), stdoutIsTty: false, stderrIsTty: false, env: {} as NodeJS.ProcessEnv } satisfies Io & { out: string; err: string };
  return { code: await main(['node', 'palisade', ...args], io), io };
};

describe('palisade simulate', () => {
  it('writes each scenario to a file that audit scan turns into the expected alerts', async () => {
    const d = mkdtempSync(join(tmpdir(), 'palisade-simulate-'));
    for (const s of SCENARIOS) {
      const file = join(d, `${s.name}.jsonl`);
      expect((await run(['simulate', s.name, '--out', file, '--start', '2024-05-14T10:00:00Z'])).code).toBe(0);
      const scan = await run(['audit', 'scan', file, '-o', 'json']);
      const raised = new Set((JSON.parse(scan.io.out) as { alerts: Array<{ ruleId: string }> }).alerts.map((a) => a.ruleId));
      expect(s.expectedRules.filter((id) => !raised.has(id)), s.name).toEqual([]);
    }
  });

  it('rejects an unknown scenario and a bad start time', async () => {
    expect((await run(['simulate', 'nope'])).code).not.toBe(0);
    const bad = await run(['simulate', 'web-shell', '--start', 'yesterday']);
    expect(bad.code).not.toBe(0);
    expect(bad.io.err).toMatch(/--start/);
  });
});
