import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { memoryBackend, sampleAdvisories, writeSampleImage } from '../../test/helpers/vuln-db.js';
import { parseSbom } from '../inputs/sbom/index.js';
import { imageScanReportSchema } from '../model/image-report.js';
import type { Package } from '../model/package.js';
import { renderCycloneDx } from '../report/cyclonedx.js';
import { renderSpdx } from '../report/spdx.js';
import { parseIgnoreFile } from './ignore-file.js';
import { inventoryImage, parseDuration, scanImage, type ScanImageOptions } from './scan-image.js';

const now = new Date('2026-06-15T12:00:00Z');
const backend = memoryBackend(sampleAdvisories('2026-06-14T06:00:00Z'));
let root: string;
let imageDir: string;
/** An empty working folder, so no stray .palisadeignore.yaml is picked up. */
let cwd: string;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'palisade-scan-image-'));
  imageDir = join(root, 'image');
  cwd = mkdtempSync(join(root, 'cwd-'));
  await writeSampleImage(imageDir);
});

const scan = (opts: Partial<ScanImageOptions> = {}, b = backend) => scanImage({ source: imageDir, cwd, now, ...opts }, b);

describe('scanImage', () => {
  it('finds the OS, packages with their layers, and the vulnerabilities, most severe first', async () => {
    const { report, inventory } = await scan();
    expect(imageScanReportSchema.parse(report)).toEqual(report);
    expect(report.target).toMatchObject({ name: imageDir, kind: 'oci-layout', platform: 'linux/amd64' });
    expect(report.target.layers?.map((l) => l.createdBy)).toEqual(['ADD rootfs.tar.xz /', 'COPY app /app']);
    expect(report.os).toMatchObject({ family: 'debian', version: '12.5', codename: 'bookworm' });
    // 10 installed Debian packages (the fixture also holds a config-files and a half-installed one) and 2 npm.
    expect(report.summary.packages).toBe(12);
    expect(inventory.packages.filter((p) => p.ecosystem === 'npm').map((p) => [p.name, p.layer?.index])).toEqual([['@types/node', 1], ['lodash', 1]]);
    expect(report.vulnerabilities.map((v) => [v.id, v.package.name, v.severity, v.fixedVersion ?? v.status])).toEqual([
      ['CVE-2023-45853', 'zlib1g', 'critical', 'will-not-fix'],
      ['GHSA-35jh-r3h4-6jhm', 'lodash', 'high', '4.17.21'],
      ['CVE-2024-0727', 'libssl3', 'medium', '3.0.20-1~deb12u1'],
      ['CVE-2023-5678', 'libssl3', 'low', '3.0.20-1~deb12u1'],
    ]);
    expect(report.vulnerabilities[0].layer?.index).toBe(0);
    expect(report.summary).toMatchObject({ vulnerabilities: 4, fixable: 3, vulnerablePackages: 3, bySeverity: { critical: 1, high: 1, medium: 1, low: 1, info: 0 }, ignored: 0, filtered: 0, errors: 0 });
    expect(report.db).toEqual({ path: '/test/vuln.db', updatedAt: '2026-06-14T06:00:00Z', ageHours: 30, maxAgeHours: 168, stale: false, sources: backend.openDb('/test/vuln.db').sources() });
    expect(report.warnings).toEqual([]);
  });

  it('applies --severity and --ignore-unfixed after matching, and counts what they leave out', async () => {
    const { report } = await scan({ severities: ['critical', 'medium'], ignoreUnfixed: true });
    expect(report.vulnerabilities.map((v) => v.id)).toEqual(['CVE-2024-0727']);
    expect(report.filters).toEqual({ severities: ['critical', 'medium'], ignoreUnfixed: true });
    expect(report.summary.filtered).toBe(3);
  });

  it('fails before reading the image when there is no database, telling how to get one', async () => {
    await expect(scan({ source: join(root, 'no-such-image'), dbPath: join(root, 'none.db') })).rejects.toMatchObject({
      code: 'E_VULN_DB_MISSING',
      message: expect.stringMatching(/palisade db update/),
    });
  });

  it('warns when the database is older than the allowed age, or does not say when it was updated', async () => {
    const old = await scan({ maxDbAgeHours: 24 });
    expect(old.report.db).toMatchObject({ stale: true, ageHours: 30, maxAgeHours: 24 });
    expect(old.report.warnings).toEqual(['vulnerability database /test/vuln.db was last updated 2026-06-14 (30h ago, over the 24h allowed by --max-db-age): run `palisade db update`']);
    const unknown = await scan({}, memoryBackend({ ...sampleAdvisories(''), updatedAt: undefined }));
    expect(unknown.report.db?.stale).toBe(true);
    expect(unknown.report.warnings[0]).toMatch(/does not say when it was last updated/);
  });

  it('reads durations for --max-db-age', () => {
    expect(parseDuration('7d')).toBe(168);
    expect(parseDuration('36h')).toBe(36);
    expect(parseDuration('2w')).toBe(336);
    expect(parseDuration(3)).toBe(72);
    expect(() => parseDuration('soon')).toThrow(/--max-db-age: "soon" is not a duration like 7d/);
    expect(() => parseDuration('0d')).toThrow(/not a duration/);
  });
});

describe('ignore file', () => {
  const text = `# accepted risks
vulnerabilities:
  - id: CVE-2023-45853
    package: zlib
    reason: minizip is not shipped in this image
  - id: GHSA-35jh-r3h4-6jhm
    reason: template strings are never user input
    expires: 2026-01-31
  - id: CVE-2020-0001
    reason: left over from the old base image
`;

  it('suppresses matches, reports expired and unmatched entries with their lines, and keeps ignored ones in the report', async () => {
    const dir = mkdtempSync(join(root, 'ign-'));
    writeFileSync(join(dir, '.palisadeignore.yaml'), text);
    const { report } = await scan({ cwd: dir });
    expect(report.ignoreFile).toBe('.palisadeignore.yaml');
    expect(report.ignored.map((v) => [v.id, v.package.name, v.ignore.source])).toEqual([['CVE-2023-45853', 'zlib1g', '.palisadeignore.yaml:3']]);
    expect(report.vulnerabilities.map((v) => v.id)).toEqual(['GHSA-35jh-r3h4-6jhm', 'CVE-2024-0727', 'CVE-2023-5678']);
    expect(report.ignoreIssues.map((i) => [i.kind, i.source, i.id])).toEqual([
      ['expired', '.palisadeignore.yaml:6', 'GHSA-35jh-r3h4-6jhm'],
      ['unmatched', '.palisadeignore.yaml:9', 'CVE-2020-0001'],
    ]);
    expect(report.summary).toMatchObject({ ignored: 1, ignoreIssues: 2 });
    expect(imageScanReportSchema.safeParse(report).success).toBe(true);
  });

  it('takes --ignore-file over the default, and a bare list too', async () => {
    const path = join(root, 'my-ignores.yaml');
    writeFileSync(path, '- id: CVE-2023-5678\n  reason: DH is not used\n');
    const { report } = await scan({ ignoreFile: path });
    expect(report.ignored.map((v) => v.id)).toEqual(['CVE-2023-5678']);
    expect(report.ignored[0].ignore.source).toBe(`${path}:1`);
  });

  it('names the file, line and field of a bad entry, and refuses a missing --ignore-file', async () => {
    expect(() => parseIgnoreFile('vulnerabilities:\n  - id: CVE-1\n    reason: ok\n  - id: CVE-2\n', 'x.yaml')).toThrow(/^x\.yaml:4 \(vulnerabilities\[1\]\.reason\): /);
    expect(() => parseIgnoreFile('vulnerabilities:\n  - id: CVE-1\n    reason: ok\n    expires: someday\n', 'x.yaml')).toThrow(/x\.yaml:4 \(vulnerabilities\[0\]\.expires\): expected a date/);
    expect(() => parseIgnoreFile('vulnerabilities:\n  - id: CVE-1\n    reason: ok\n    cve: x\n', 'x.yaml')).toThrow(/Unrecognized key: "cve"/);
    expect(() => parseIgnoreFile('vulnerabilities: [\n', 'x.yaml')).toThrow(/invalid YAML/);
    expect(parseIgnoreFile('', 'empty.yaml')).toEqual([]);
    await expect(scan({ ignoreFile: join(root, 'nope.yaml') })).rejects.toMatchObject({ code: 'E_CONFIG', message: expect.stringMatching(/nope\.yaml: ignore file not found/) });
  });
});

describe('SBOM round trip', () => {
  /** The fields an SBOM carries; `createdBy` stays with the image, not each package. */
  const comparable = (ps: Package[]) =>
    ps.map((p) => ({ ...p, layer: p.layer ? { digest: p.layer.digest, diffId: p.layer.diffId, index: p.layer.index } : undefined })).sort((a, b) => a.purl.localeCompare(b.purl) || (a.filePath ?? '').localeCompare(b.filePath ?? ''));
  const opts = { toolVersion: '0.0.0-test', generatedAt: now.toISOString() };

  it('image -> CycloneDX -> read back gives the same OS and packages, and the same vulnerabilities', async () => {
    const inv = await inventoryImage({ source: imageDir });
    expect(inv.inventory.packages.length).toBe(12);
    const back = parseSbom(JSON.parse(renderCycloneDx(inv.inventory, opts)), 'bom.json');
    expect(back.warnings).toEqual([]);
    expect({ family: back.os?.family, version: back.os?.version }).toEqual({ family: 'debian', version: '12.5' });
    expect(comparable(back.packages)).toEqual(comparable(inv.inventory.packages));
    expect(back.target).toMatchObject({ digest: inv.inventory.target.digest, platform: 'linux/amd64' });

    const bomFile = join(root, 'image.cdx.json');
    writeFileSync(bomFile, renderCycloneDx(inv.inventory, opts));
    const fromImage = await scan();
    const fromSbom = await scan({ source: bomFile });
    expect(fromSbom.report.target.kind).toBe('sbom');
    const ids = (r: typeof fromImage) => r.report.vulnerabilities.map((v) => `${v.id} ${v.package.purl} ${v.layer?.digest}`);
    expect(ids(fromSbom)).toEqual(ids(fromImage));
  });

  it('image -> SPDX -> read back gives the same OS and packages', async () => {
    const inv = await inventoryImage({ source: imageDir });
    const back = parseSbom(JSON.parse(renderSpdx(inv.inventory, opts)), 'doc.spdx.json');
    expect(back.warnings).toEqual([]);
    expect(back.os).toMatchObject({ family: 'debian', version: '12.5' });
    expect(comparable(back.packages)).toEqual(comparable(inv.inventory.packages));
    // Source packages are their own SPDX elements, linked by GENERATED_FROM: libssl3 comes from openssl.
    expect(back.packages.find((p) => p.name === 'libssl3')).toMatchObject({ sourceName: 'openssl', sourceVersion: '3.0.19-1~deb12u2' });
  });
});
