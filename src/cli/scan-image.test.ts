import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as CDX from '@cyclonedx/cyclonedx-library';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { image, layer, writeOciLayout, type BuiltImage } from '../../test/helpers/oci-image.js';
import { hasRegistry, pushImage, startRegistry, type RunningRegistry } from '../../test/helpers/registry.js';
import { DEBIAN_FIXTURES, memoryBackend, sampleAdvisories, writeSampleImage } from '../../test/helpers/vuln-db.js';
import { imageScanReportSchema } from '../model/image-report.js';
import type { Io } from './io.js';
import { main } from './main.js';

function capture(opts: { tty?: boolean; stdin?: string } = {}): Io & { out: string; err: string } {
  const io = {
    out: '',
    err: '',
    stdout: (s: string) => void (io.out += s),
    stderr: (s: string) => void (io.err += s),
    stdoutIsTty: opts.tty ?? false,
    stderrIsTty: opts.tty ?? false,
    columns: 120,
    env: {} as NodeJS.ProcessEnv,
    ...(opts.stdin !== undefined ? { readStdin: async () => opts.stdin! } : {}),
  };
  return io;
}

// The database was updated a day before "now" (the real clock), so it is fresh by default.
const updatedAt = new Date(Date.now() - 24 * 3_600_000).toISOString();
const backend = memoryBackend(sampleAdvisories(updatedAt), '/test/vuln.db');
const run = async (args: string[], io = capture()) => ({ code: await main(['node', 'palisade', ...args], io, { vulnBackend: backend }), io });

let root: string;
let img: string;
let built: BuiltImage;
let cwd: string;
const prevCwd = process.cwd();

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'palisade-cli-image-'));
  img = join(root, 'image');
  built = await writeSampleImage(img);
  // Run from an empty folder so that no .palisadeignore.yaml or palisade.yaml is picked up by accident.
  cwd = join(root, 'cwd');
  mkdirSync(cwd);
  process.chdir(cwd);
});
afterAll(() => process.chdir(prevCwd));

describe('palisade scan image', () => {
  it('prints the table and exits 0 without --fail-on', async () => {
    const r = await run(['scan', 'image', img]);
    expect(r.code).toBe(0);
    expect(r.io.out).toContain('CVE-2023-45853');
    expect(r.io.out).toMatch(/4 vulnerabilities \(1 critical, 1 high, 1 medium, 1 low\) in 3 of 12 packages/);
    expect(r.io.out).not.toContain('\u001b[');
    expect(r.io.err).toBe('');
  });

  it('writes the versioned JSON report, and the options after the image reach the subcommand', async () => {
    const r = await run(['scan', 'image', img, '-o', 'json', '--severity', 'critical,high']);
    expect(r.code).toBe(0);
    const report = imageScanReportSchema.parse(JSON.parse(r.io.out));
    expect(report.vulnerabilities.map((v) => v.id)).toEqual(['CVE-2023-45853', 'GHSA-35jh-r3h4-6jhm']);
    expect(report.filters.severities).toEqual(['critical', 'high']);
  });

  it('exits 1 when a reported vulnerability reaches --fail-on, after filters and ignores', async () => {
    expect((await run(['scan', 'image', img, '-o', 'json', '--fail-on', 'high'])).code).toBe(1);
    expect((await run(['scan', 'image', img, '-o', 'json', '--fail-on', 'critical', '--ignore-unfixed'])).code).toBe(0);
    expect((await run(['scan', 'image', img, '-o', 'json', '--fail-on', 'low', '--severity', 'info'])).code).toBe(0);
    const ign = join(root, 'ignore.yaml');
    writeFileSync(ign, 'vulnerabilities:\n  - id: CVE-2023-45853\n    reason: minizip is not shipped\n');
    const r = await run(['scan', 'image', img, '-o', 'json', '--fail-on', 'critical', '--ignore-file', ign]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.io.out).ignored[0].ignore.reason).toBe('minizip is not shipped');
  });

  it('reads .palisadeignore.yaml from the working folder and reports expired and unmatched entries on stderr', async () => {
    writeFileSync(join(cwd, '.palisadeignore.yaml'), 'vulnerabilities:\n  - id: CVE-2024-0727\n    reason: old\n    expires: 2020-01-01\n  - id: CVE-1999-0001\n    reason: stale\n');
    try {
      const r = await run(['scan', 'image', img, '-o', 'json']);
      expect(r.code).toBe(0);
      const report = JSON.parse(r.io.out);
      expect(report.ignoreFile).toBe('.palisadeignore.yaml');
      expect(report.ignoreIssues.map((i: { kind: string }) => i.kind)).toEqual(['expired', 'unmatched']);
      expect(report.vulnerabilities.map((v: { id: string }) => v.id)).toContain('CVE-2024-0727');
      expect(r.io.err).toMatch(/warning: \.palisadeignore\.yaml:2: ignore entry for CVE-2024-0727 expired on 2020-01-01/);
      expect(r.io.err).toMatch(/warning: \.palisadeignore\.yaml:5: ignore entry for CVE-1999-0001 matched no vulnerability/);
      const table = await run(['scan', 'image', img]);
      expect(table.io.out).toContain('Ignore file issues (2)');
    } finally {
      writeFileSync(join(cwd, '.palisadeignore.yaml'), '');
    }
  });

  it('stops with exit 78 and tells how to get a database when there is none', async () => {
    const r = await run(['scan', 'image', img, '--db', join(root, 'missing.db')]);
    expect(r.code).toBe(78);
    expect(r.io.out).toBe('');
    expect(r.io.err).toMatch(/^palisade: no vulnerability database at .*missing\.db: run `palisade db update` \(or `palisade db import <file>`\)\n$/);
  });

  it('warns on stderr when the database is older than --max-db-age, and in the table', async () => {
    const r = await run(['scan', 'image', img, '-o', 'sarif', '--max-db-age', '12h']);
    expect(r.code).toBe(0);
    expect(r.io.err).toMatch(/warning: vulnerability database \/test\/vuln\.db was last updated .* over the 12h allowed by --max-db-age/);
    const t = await run(['scan', 'image', img, '--max-db-age', '12h']);
    expect(t.io.out).toContain('Warnings (1)');
    expect((await run(['scan', 'image', img, '--max-db-age', 'soon'])).code).toBe(64);
  });

  it('takes vulnerabilities.maxDbAge from the config file', async () => {
    const cfg = join(root, 'palisade.yaml');
    writeFileSync(cfg, 'vulnerabilities:\n  maxDbAge: 6h\n');
    const r = await run(['scan', 'image', img, '-o', 'json', '-c', cfg]);
    expect(JSON.parse(r.io.out).db).toMatchObject({ maxAgeHours: 6, stale: true });
    writeFileSync(cfg, 'vulnerabilities:\n  maxDbAge: soon\n');
    const bad = await run(['scan', 'image', img, '-c', cfg]);
    expect(bad.code).toBe(78);
    expect(bad.io.err).toMatch(/palisade\.yaml:2 \(vulnerabilities\.maxDbAge\): expected a duration/);
  });

  it('sets the input-error bit (2) when a file in the image cannot be analysed', async () => {
    const base = await layer([{ name: 'app/node_modules/broken/package.json', content: '{ "name": "broken", ' }, { name: 'app/node_modules/lodash/package.json', content: '{"name":"lodash","version":"4.17.20"}' }]);
    const dir = join(root, 'broken');
    await writeOciLayout(dir, [image([base])]);
    const r = await run(['scan', 'image', dir, '-o', 'json', '--fail-on', 'high']);
    expect(r.code).toBe(3);
    const report = JSON.parse(r.io.out);
    expect(report.errors).toEqual([expect.objectContaining({ analyzer: 'npm', path: '/app/node_modules/broken/package.json' })]);
    expect(report.vulnerabilities.map((v: { id: string }) => v.id)).toEqual(['GHSA-35jh-r3h4-6jhm']);
    expect(r.io.err).toMatch(/palisade: npm: \/app\/node_modules\/broken\/package\.json: /);
  });

  it('writes CycloneDX with vulnerabilities and SPDX, to stdout or --output-file', async () => {
    const c = await run(['scan', 'image', img, '-o', 'cyclonedx']);
    expect(c.code).toBe(0);
    expect(await new CDX.Validation.JsonStrictValidator(CDX.Spec.Version.v1dot6).validate(c.io.out)).toBeNull();
    expect(JSON.parse(c.io.out).vulnerabilities.length).toBe(4);
    const file = join(root, 'out.spdx.json');
    const s = await run(['scan', 'image', img, '-o', 'spdx', '--output-file', file]);
    expect(s.code).toBe(0);
    expect(s.io.out).toBe('');
    expect(JSON.parse(readFileSync(file, 'utf8')).spdxVersion).toBe('SPDX-2.3');
  });

  it('scans an SBOM file as it would the image', async () => {
    const bom = join(root, 'app.cdx.json');
    expect((await run(['sbom', img, '--output-file', bom])).code).toBe(0);
    const fromSbom = JSON.parse((await run(['scan', 'image', bom, '-o', 'json'])).io.out);
    const fromImage = JSON.parse((await run(['scan', 'image', img, '-o', 'json'])).io.out);
    expect(fromSbom.target).toMatchObject({ name: bom, kind: 'sbom', digest: built.manifestDigest });
    expect(fromSbom.vulnerabilities.map((v: { id: string }) => v.id)).toEqual(fromImage.vulnerabilities.map((v: { id: string }) => v.id));
  });

  it('writes SARIF 2.1.0 with one result per reported vulnerability; --ignore-unfixed leaves out those without a fix', async () => {
    const all = JSON.parse((await run(['scan', 'image', img, '-o', 'sarif'])).io.out);
    expect(all.version).toBe('2.1.0');
    const ids = (doc: { runs: Array<{ results: Array<{ ruleId: string }> }> }) => doc.runs[0].results.map((r) => r.ruleId).sort();
    expect(ids(all)).toEqual(['CVE-2023-45853', 'CVE-2023-5678', 'CVE-2024-0727', 'GHSA-35jh-r3h4-6jhm']);
    const fixedOnly = await run(['scan', 'image', img, '-o', 'sarif', '--ignore-unfixed']);
    expect(ids(JSON.parse(fixedOnly.io.out))).toEqual(['CVE-2023-5678', 'CVE-2024-0727', 'GHSA-35jh-r3h4-6jhm']);
    const table = await run(['scan', 'image', img, '--ignore-unfixed', '--severity', 'medium,low']);
    expect(table.io.out).toContain('CVE-2024-0727');
    expect(table.io.out).not.toContain('CVE-2023-45853');
    expect(table.io.out).not.toContain('GHSA-35jh-r3h4-6jhm');
  });

  it('shows progress only on a terminal', async () => {
    const tty = await run(['scan', 'image', img, '-o', 'json'], capture({ tty: true }));
    expect(tty.io.err).toMatch(/Reading layers \d\/2 [\d.]+ MB decompressed/);
    const piped = await run(['scan', 'image', img, '-o', 'json']);
    expect(piped.io.err).toBe('');
  });

  it('refuses bad flags as usage errors (exit 64)', async () => {
    expect((await run(['scan', 'image', img, '-o', 'yaml'])).code).toBe(64);
    expect((await run(['scan', 'image', img, '--severity', 'urgent'])).code).toBe(64);
    expect((await run(['scan', 'image', img, '--username', 'u'])).io.err).toMatch(/--username needs --password-stdin/);
    expect((await run(['scan', 'image', img, '--password-stdin'], capture({ stdin: 'x' }))).code).toBe(64);
    expect((await run(['scan', 'image'])).code).toBe(64);
  });

  it('leaves `palisade scan <paths>` as it was', async () => {
    const dir = join(root, 'manifests');
    mkdirSync(dir);
    writeFileSync(join(dir, 'p.yaml'), 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - name: a\n      image: a:1\n      securityContext: {privileged: true}\n');
    const r = await run(['scan', dir, '-o', 'json', '--fail-on', 'critical']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.io.out).schema).toBe('palisade.dev/scan-report/v1');
    expect((await run(['scan', '-o', 'json', dir])).code).toBe(0);
    expect((await run(['scan', dir, '-o', 'cyclonedx'])).code).toBe(64);
  });
});

describe('palisade sbom', () => {
  it('writes a valid CycloneDX BOM by default and SPDX with -o spdx, without a database', async () => {
    const noDb = { vulnBackend: memoryBackend(sampleAdvisories(updatedAt), '/elsewhere') };
    const io = capture();
    expect(await main(['node', 'palisade', 'sbom', img], io, noDb)).toBe(0);
    expect(await new CDX.Validation.JsonStrictValidator(CDX.Spec.Version.v1dot6).validate(io.out)).toBeNull();
    const bom = JSON.parse(io.out);
    expect(bom.components.length).toBe(13);
    expect(bom.vulnerabilities).toBeUndefined();
    const spdx = await run(['sbom', img, '-o', 'spdx']);
    expect(spdx.code).toBe(0);
    expect(JSON.parse(spdx.io.out).packages.filter((p: { primaryPackagePurpose: string }) => p.primaryPackagePurpose === 'LIBRARY').length).toBe(12);
  });

  it('reads a root file system folder too', async () => {
    const dir = join(root, 'rootfs');
    mkdirSync(join(dir, 'etc'), { recursive: true });
    mkdirSync(join(dir, 'var/lib/dpkg'), { recursive: true });
    writeFileSync(join(dir, 'etc/os-release'), readFileSync(DEBIAN_FIXTURES.osRelease));
    writeFileSync(join(dir, 'var/lib/dpkg/status'), readFileSync(DEBIAN_FIXTURES.dpkgStatus));
    for (const format of ['cyclonedx', 'spdx']) {
      const r = await run(['sbom', `rootfs:${dir}`, '-o', format]);
      expect(r.code).toBe(0);
      if (format === 'cyclonedx') {
        expect(await new CDX.Validation.JsonStrictValidator(CDX.Spec.Version.v1dot6).validate(r.io.out)).toBeNull();
        expect(JSON.parse(r.io.out).metadata.component).toMatchObject({ type: 'application', name: dir });
      } else {
        expect(JSON.parse(r.io.out).packages.filter((p: { primaryPackagePurpose: string }) => p.primaryPackagePurpose === 'LIBRARY').length).toBe(10);
      }
    }
  });

  it('converts an SPDX document to CycloneDX with the same packages', async () => {
    const spdxFile = join(root, 'conv.spdx.json');
    await run(['sbom', img, '-o', 'spdx', '--output-file', spdxFile]);
    const r = await run(['sbom', spdxFile, '-o', 'cyclonedx']);
    expect(r.code).toBe(0);
    const purls = (t: string) => JSON.parse(t).components.filter((c: { purl?: string }) => c.purl).map((c: { purl: string }) => c.purl).sort();
    expect(purls(r.io.out)).toEqual(purls((await run(['sbom', img])).io.out));
  });

  it('round trip: image -> sbom -o cyclonedx|spdx -> scan image gives the same vulnerabilities; every component has a purl', async () => {
    const key = (t: string) =>
      (JSON.parse(t) as { vulnerabilities: Array<{ id: string; package: { purl: string }; installedVersion: string; fixedVersion?: string; severity: string; status: string; layer?: { digest: string } }> }).vulnerabilities
        .map((v) => [v.id, v.package.purl, v.installedVersion, v.fixedVersion ?? '-', v.severity, v.status, v.layer?.digest ?? '-'].join(' '));
    const fromImage = key((await run(['scan', 'image', img, '-o', 'json'])).io.out);
    expect(fromImage.length).toBe(4);
    for (const format of ['cyclonedx', 'spdx'] as const) {
      const file = join(root, `trip.${format}.json`);
      const made = await run(['sbom', img, '-o', format, '--output-file', file]);
      expect(made.code).toBe(0);
      const text = readFileSync(file, 'utf8');
      if (format === 'cyclonedx') {
        expect(await new CDX.Validation.JsonStrictValidator(CDX.Spec.Version.v1dot6).validate(text)).toBeNull();
        const components = JSON.parse(text).components as Array<{ type: string; name: string; purl?: string }>;
        expect(components.filter((c) => c.type !== 'operating-system' && !c.purl).map((c) => c.name)).toEqual([]);
        expect(components.filter((c) => c.purl).length).toBe(12);
      } else {
        const packages = JSON.parse(text).packages as Array<{ name: string; primaryPackagePurpose?: string; externalRefs?: Array<{ referenceType: string }> }>;
        const libs = packages.filter((p) => p.primaryPackagePurpose === 'LIBRARY');
        expect(libs.filter((p) => !p.externalRefs?.some((r) => r.referenceType === 'purl')).map((p) => p.name)).toEqual([]);
      }
      const scanned = await run(['scan', 'image', file, '-o', 'json']);
      expect(scanned.code).toBe(0);
      expect(JSON.parse(scanned.io.out).target).toMatchObject({ kind: 'sbom', digest: built.manifestDigest });
      expect(key(scanned.io.out), format).toEqual(fromImage);
    }
  });

  it('says which image source it could not read', async () => {
    const r = await run(['sbom', join(root, 'nothing-here')]);
    expect(r.code).toBe(64);
    expect(r.io.err).toMatch(/^palisade: /);
  });
});

describe.skipIf(!hasRegistry())('palisade scan image from a registry with --password-stdin', () => {
  let reg: RunningRegistry;
  beforeAll(async () => {
    reg = await startRegistry({ auth: { htpasswd: { username: 'scanner', password: 'pa55:word' } } });
    await pushImage({ url: reg.url, repository: 'team/app', authorization: `Basic ${Buffer.from('scanner:pa55:word').toString('base64')}` }, built, '1.0');
  });
  afterAll(async () => {
    await reg?.stop();
  });

  it('pulls with the password read from stdin and reports the registry reference and digest', async () => {
    const ref = `${reg.host}/team/app:1.0`;
    const r = await run(['scan', 'image', ref, '--insecure', '--username', 'scanner', '--password-stdin', '-o', 'json'], capture({ stdin: 'pa55:word\n' }));
    expect(r.io.err).toBe(`palisade: warning: sending credentials to ${reg.host} over plain HTTP\n`);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.io.out);
    expect(report.target).toMatchObject({ kind: 'registry', digest: built.manifestDigest });
    expect(report.vulnerabilities.length).toBe(4);
    const denied = await run(['scan', 'image', ref, '--insecure', '--username', 'scanner', '--password-stdin', '-o', 'json'], capture({ stdin: 'wrong\n' }));
    expect(denied.code).toBe(64);
    expect(denied.io.err).toMatch(/palisade: .*(denied|unauthorized|credentials)/i);
  });
});
