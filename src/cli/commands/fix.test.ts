import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyPatch } from 'diff';
import { describe, expect, it } from 'vitest';
import type { Io } from '../io.js';
import { main } from '../main.js';

function capture(): Io & { out: string; err: string } {
  const io = {
    out: '',
    err: '',
    stdout: (s: string) => void (io.out += s),
    stderr: (s: string) => void (io.err += s),
    stdoutIsTty: false,
    stderrIsTty: false,
    columns: 120,
    env: {} as NodeJS.ProcessEnv,
  };
  return io;
}

const run = async (args: string[]) => {
  const io = capture();
  return { code: await main(['node', 'palisade', ...args], io), io };
};

function tempDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'palisade-fix-cli-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  // An empty config next to the manifests keeps the working directory's palisade.yaml out of the test.
  writeFileSync(join(dir, 'palisade-test.yaml'), 'checks: {}\n');
  return dir;
}

const POD = `apiVersion: v1
kind: Pod
metadata:
  name: p   # keep this comment
spec:
  hostPID: true
  containers:
    - name: app
      image: app:1.0
      securityContext: {privileged: true}
`;
const ONLY = ['--check', 'privileged-container,host-pid'];

describe('palisade fix', () => {
  it('fixes in place, prints a summary and exits 0; a second run has nothing to do', async () => {
    const dir = tempDir({ 'p.yaml': POD });
    const cfg = ['-c', join(dir, 'palisade-test.yaml')];
    const r = await run(['fix', join(dir, 'p.yaml'), ...ONLY, ...cfg]);
    expect(r.code).toBe(0);
    expect(r.io.out).toContain('Fixed 2 findings in 1 file:');
    expect(r.io.out).toContain('PAL-002 host-pid  Pod/p: remove hostPID');
    expect(r.io.out).toMatch(/2 fixes applied in 1 file\n$/);
    expect(readFileSync(join(dir, 'p.yaml'), 'utf8')).toBe(POD.replace('  hostPID: true\n', '').replace('{privileged: true}', '{privileged: false}'));
    const again = await run(['fix', join(dir, 'p.yaml'), ...ONLY, ...cfg]);
    expect(again.code).toBe(0);
    expect(again.io.out).toBe('Nothing to fix\n');
  });

  it('--dry-run prints a unified diff that applies to the original, and writes nothing', async () => {
    const dir = tempDir({ 'p.yaml': POD });
    const file = join(dir, 'p.yaml');
    const r = await run(['fix', '--dry-run', file, ...ONLY, '-c', join(dir, 'palisade-test.yaml')]);
    expect(r.code).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(POD);
    expect(r.io.out.startsWith(`--- ${file}\n+++ ${file}\n@@ `)).toBe(true);
    expect(r.io.out).toContain('-  hostPID: true\n');
    expect(r.io.out).toContain('+      securityContext: {privileged: false}\n');
    expect(applyPatch(POD, r.io.out)).toBe(POD.replace('  hostPID: true\n', '').replace('{privileged: true}', '{privileged: false}'));
    expect(r.io.err).toContain('Would fix 2 findings in 1 file:');
    expect(r.io.err).toContain('(dry run: nothing written)');
  });

  it('lists findings without a mechanical fix as manual', async () => {
    const dir = tempDir({ 'p.yaml': POD });
    const r = await run(['fix', '--dry-run', join(dir, 'p.yaml'), '--check', 'host-pid,liveness-probe-missing', '-c', join(dir, 'palisade-test.yaml')]);
    expect(r.io.err).toMatch(/Manual fix needed \(1\):\n {2}\S+p\.yaml:\d+:\d+ {2}PAL-\d+ liveness-probe-missing/);
    expect(r.io.err).toContain('1 finding without a mechanical fix (manual)');
  });

  it('exits 2 and leaves a file alone when one of its documents does not parse', async () => {
    const broken = `${POD}---\nkind: [\n`;
    const dir = tempDir({ 'p.yaml': broken });
    const r = await run(['fix', join(dir, 'p.yaml'), ...ONLY, '-c', join(dir, 'palisade-test.yaml')]);
    expect(r.code).toBe(2);
    expect(readFileSync(join(dir, 'p.yaml'), 'utf8')).toBe(broken);
    expect(r.io.out).toContain('file not edited');
    expect(r.io.out).toContain('1 file skipped (parse errors)');
  });

  it('refuses stdin with a usage error', async () => {
    const r = await run(['fix', '-']);
    expect(r.code).toBe(64);
    expect(r.io.err).toContain('cannot read standard input');
  });

  it('requires a path', async () => {
    expect((await run(['fix'])).code).toBe(64);
  });
});
