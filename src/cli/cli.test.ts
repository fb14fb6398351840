import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Io } from './io.js';
import { main } from './main.js';

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

const run = async (args: string[], io = capture()) => ({ code: await main(['node', 'palisade', ...args], io), io });

function tempDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'palisade-cli-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

const privileged = `apiVersion: v1
kind: Pod
metadata: {name: p, namespace: apps}
spec:
  containers:
    - name: app
      image: app:1.0
      securityContext: {privileged: true}
`;

describe('palisade scan', () => {
  it('exits 0 with findings when no --fail-on is given, and 1 with --fail-on', async () => {
    const dir = tempDir({ 'p.yaml': privileged });
    expect((await run(['scan', dir, '-o', 'json'])).code).toBe(0);
    expect((await run(['scan', dir, '-o', 'json', '--fail-on', 'critical'])).code).toBe(1);
    expect((await run(['scan', dir, '-o', 'json', '--check', 'host-pid', '--fail-on', 'low'])).code).toBe(0);
  });

  it('sets the input-error bit (2) apart from the policy bit (1)', async () => {
    const dir = tempDir({ 'p.yaml': privileged, 'bad.yaml': 'kind: [\n' });
    const r = await run(['scan', dir, '-o', 'json', '--fail-on', 'high']);
    expect(r.code).toBe(3);
    const report = JSON.parse(r.io.out);
    expect(report.errors[0]).toMatchObject({ code: 'E_YAML_SYNTAX', file: join(dir, 'bad.yaml') });
    expect(report.findings.length).toBeGreaterThan(0);
  });

  it('writes the same report with --threads 0 and --threads 1 as by default, and rejects a bad count', async () => {
    const files: Record<string, string> = {};
    // Enough files for the worker threads to start.
    for (let i = 0; i < 80; i++) files[`p${i}.yaml`] = privileged.replace('name: p,', `name: p${i},`);
    const dir = tempDir(files);
    const strip = (out: string) => JSON.stringify({ ...JSON.parse(out), generatedAt: undefined });
    const byDefault = strip((await run(['scan', dir, '-o', 'json'])).io.out);
    expect(JSON.parse(byDefault).findings.length).toBeGreaterThan(80);
    expect(strip((await run(['scan', dir, '-o', 'json', '--threads', '0'])).io.out)).toBe(byDefault);
    expect(strip((await run(['scan', dir, '-o', 'json', '--threads', '1'])).io.out)).toBe(byDefault);
    const bad = await run(['scan', dir, '--threads', '-1']);
    expect(bad.code).toBe(64);
    expect(bad.io.err).toContain('--threads');
  });

  it('fails on --min-score above the score', async () => {
    const dir = tempDir({ 'p.yaml': privileged });
    const r = await run(['scan', dir, '-o', 'json', '--min-score', '99']);
    expect(JSON.parse(r.io.out).score.value).toBeLessThan(99);
    expect(r.code).toBe(1);
  });

  it('reads palisade.yaml given by --config and reports config errors with file and line (exit 78)', async () => {
    const dir = tempDir({ 'p.yaml': privileged, 'bad-config.yaml': 'failOn: extreme\n', 'ok-config.yaml': 'checks:\n  disabled: [privileged-container]\n' });
    const bad = await run(['scan', join(dir, 'p.yaml'), '--config', join(dir, 'bad-config.yaml')]);
    expect(bad.code).toBe(78);
    expect(bad.io.err).toContain('bad-config.yaml:1');
    const ok = await run(['scan', join(dir, 'p.yaml'), '--config', join(dir, 'ok-config.yaml'), '-o', 'json']);
    expect(JSON.parse(ok.io.out).findings.filter((f: { slug: string }) => f.slug === 'privileged-container')).toEqual([]);
  });

  it('takes failOn and minScore from the config when the flags are absent', async () => {
    const dir = tempDir({ 'p.yaml': privileged, 'c.yaml': 'failOn: critical\n' });
    expect((await run(['scan', join(dir, 'p.yaml'), '--config', join(dir, 'c.yaml'), '-o', 'json'])).code).toBe(1);
    expect((await run(['scan', join(dir, 'p.yaml'), '--config', join(dir, 'c.yaml'), '-o', 'json', '--fail-on', 'none'])).code).toBe(0);
  });

  it('rejects unknown output formats and check ids as usage errors (exit 64)', async () => {
    expect((await run(['scan', '.', '-o', 'xml'])).code).toBe(64);
    const r = await run(['scan', '.', '--check', 'nope']);
    expect(r.code).toBe(64);
    expect(r.io.err).toContain('"nope"');
  });

  it('writes no colour codes when not on a terminal, and colour on one', async () => {
    const dir = tempDir({ 'p.yaml': privileged });
    expect((await run(['scan', dir])).io.out).not.toContain('\u001b[');
    expect((await run(['scan', dir], capture(true))).io.out).toContain('\u001b[');
  });

  it('limits a scan to a framework and prints its controls', async () => {
    const dir = tempDir({ 'p.yaml': privileged });
    const r = await run(['scan', dir, '--framework', 'pss-baseline', '-o', 'json']);
    const report = JSON.parse(r.io.out);
    expect(report.framework).toBe('pss-baseline');
    expect(report.frameworks).toHaveLength(1);
    expect(report.frameworks[0].failed).toBeGreaterThan(0);
  });

  it('reads stdin when given -', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', "import('./src/cli/main.ts').then(async (m) => { process.exitCode = await m.main(process.argv.slice(0, 1).concat(['palisade', 'scan', '-', '-o', 'json'])); })"], {
      input: privileged,
      encoding: 'utf8',
      cwd: process.cwd(),
    });
    expect(r.stderr).toBe('');
    const report = JSON.parse(r.stdout);
    expect(report.findings[0].location.file).toBe('<stdin>');
    expect(report.findings[0].location.line).toBe(8);
  });
});

describe('palisade checks', () => {
  it('lists the catalogue as JSON with equivalents', async () => {
    const r = await run(['checks', 'list', '-o', 'json']);
    const list = JSON.parse(r.io.out);
    expect(list.length).toBeGreaterThan(1);
    expect(list.find((c: { id: string }) => c.id === 'PAL-001').equivalents.checkov).toContain('CKV_K8S_16');
  });

  it('shows a check found by a peer tool id', async () => {
    const r = await run(['checks', 'show', 'CKV_K8S_16']);
    expect(r.code).toBe(0);
    expect(r.io.out).toContain('PAL-001 privileged-container');
    expect((await run(['checks', 'show', 'nope'])).code).toBe(64);
  });
});
