import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as CDX from '@cyclonedx/cyclonedx-library';
import Ajv from 'ajv';
import AjvDraft04 from 'ajv-draft-04';
import { beforeAll, describe, expect, it } from 'vitest';
import { memoryBackend, sampleAdvisories, writeSampleImage } from '../../test/helpers/vuln-db.js';
import { scanImage, type ImageScanResult } from '../app/scan-image.js';
import { imageScanReportSchema } from '../model/image-report.js';
import { renderCycloneDx } from './cyclonedx.js';
import { renderImageJson } from './image-json.js';
import { renderImageSarif } from './image-sarif.js';
import { renderImageTable } from './image-table.js';
import { buildSpdx, renderSpdx } from './spdx.js';

// Both packages are CommonJS; under NodeNext their classes are the default export's `default`.
const Ajv4 = ((AjvDraft04 as unknown as { default?: unknown }).default ?? AjvDraft04) as unknown as typeof AjvDraft04.default;
const Ajv7 = ((Ajv as unknown as { default?: unknown }).default ?? Ajv) as unknown as typeof Ajv.default;
const require = createRequire(import.meta.url);

let result: ImageScanResult;
const sbomOpts = () => ({ toolVersion: result.report.tool.version, generatedAt: result.report.generatedAt });

beforeAll(async () => {
  const root = mkdtempSync(join(tmpdir(), 'palisade-image-report-'));
  await writeSampleImage(join(root, 'image'));
  const cwd = mkdtempSync(join(root, 'cwd-'));
  // One entry that applies, one that matches nothing: the report has both kinds to render.
  writeFileSync(join(cwd, '.palisadeignore.yaml'), 'vulnerabilities:\n  - id: CVE-2023-5678\n    reason: DH is not used\n  - id: CVE-2000-1\n    reason: stale\n');
  result = await scanImage({ source: join(root, 'image'), cwd, now: new Date('2026-06-15T12:00:00Z'), maxDbAgeHours: 12 }, memoryBackend(sampleAdvisories('2026-06-14T06:00:00Z')));
});

describe('image scan formats', () => {
  it('has vulnerabilities, an ignored one, an ignore issue and a warning to render', () => {
    expect(result.report.vulnerabilities.length).toBe(3);
    expect(result.report.ignored.length).toBe(1);
    expect(result.report.ignoreIssues.length).toBe(1);
    expect(result.report.warnings.length).toBe(1);
  });

  it('table groups by target and package, most severe first, plain when colour is off', () => {
    const text = renderImageTable(result.report, { color: false });
    expect(text).not.toContain('\u001b[');
    const lines = text.split('\n');
    const at = (s: string) => lines.findIndex((l) => l.includes(s));
    expect(at('debian 12.5 (bookworm) packages (/var/lib/dpkg/status)')).toBeGreaterThan(0);
    expect(at('/app/node_modules/lodash/package.json (npm)')).toBeGreaterThan(0);
    // Under the OS group, zlib1g (critical) comes before libssl3 (medium).
    expect(at('zlib1g 1:1.2.13.dfsg-1')).toBeLessThan(at('libssl3 3.0.19-1~deb12u2'));
    expect(lines[at('zlib1g 1:1.2.13.dfsg-1')]).toContain('(source zlib)');
    expect(lines[at('CVE-2023-45853')]).toMatch(/CRITICAL +CVE-2023-45853 +will not fix/);
    expect(lines[at('CVE-2024-0727')]).toMatch(/MEDIUM +CVE-2024-0727 +fixed in 3\.0\.20-1~deb12u1/);
    expect(text).toContain('Ignored (1)');
    expect(text).toMatch(/CVE-2023-5678 in libssl3 3\.0\.19-1~deb12u2: DH is not used \(\.palisadeignore\.yaml:2\)/);
    expect(text).toMatch(/UNMATCHED +\.palisadeignore\.yaml:4: ignore entry for CVE-2000-1 matched no vulnerability/);
    expect(text).toMatch(/Warnings \(1\)\n {2}vulnerability database \/test\/vuln\.db was last updated/);
    expect(lines.filter(Boolean).pop()).toBe('3 vulnerabilities (1 critical, 1 high, 1 medium) in 3 of 12 packages, 2 fixable, 1 ignored');
  });

  it('table colours severities on a terminal and cuts long titles to the width', () => {
    const text = renderImageTable(result.report, { color: true, width: 40 });
    expect(text).toContain('\u001b[31m');
    const long = { ...result.report, vulnerabilities: result.report.vulnerabilities.map((v) => ({ ...v, title: 'x'.repeat(200) })) };
    const cut = renderImageTable(long, { color: false, width: 60 }).split('\n').filter((l) => l.includes('xxxx'));
    expect(cut.length).toBe(3);
    for (const l of cut) expect(l.length).toBeLessThanOrEqual(60);
  });

  it('json is the versioned report and passes its own schema', () => {
    const j = JSON.parse(renderImageJson(result.report));
    expect(j.schema).toBe('palisade.dev/image-scan-report/v1');
    expect(imageScanReportSchema.safeParse(j).success).toBe(true);
    expect(imageScanReportSchema.safeParse({ ...j, surprise: 1 }).success).toBe(false);
    expect(imageScanReportSchema.safeParse({ ...j, vulnerabilities: [{ ...j.vulnerabilities[0], severity: 'urgent' }] }).success).toBe(false);
  });

  it('sarif is valid SARIF 2.1.0: one rule per id, results at the package file, ignored ones suppressed', () => {
    const schema = JSON.parse(readFileSync(require.resolve('@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json'), 'utf8'));
    const validate = new Ajv4({ allErrors: true, strict: false, validateFormats: false, unicodeRegExp: false }).compile(schema);
    const sarif = JSON.parse(renderImageSarif(result.report));
    expect(validate(sarif), JSON.stringify(validate.errors)).toBe(true);
    const run = sarif.runs[0];
    const ids = [...result.report.vulnerabilities, ...result.report.ignored].map((v) => v.id);
    expect(run.tool.driver.rules.map((r: { id: string }) => r.id).sort()).toEqual([...new Set(ids)].sort());
    expect(run.results.length).toBe(ids.length);
    for (const r of run.results) expect(run.tool.driver.rules[r.ruleIndex].id).toBe(r.ruleId);
    const zlib = run.results.find((r: { ruleId: string }) => r.ruleId === 'CVE-2023-45853');
    expect(zlib.locations[0].physicalLocation.artifactLocation).toEqual({ uri: 'var/lib/dpkg/status', uriBaseId: 'ROOTPATH' });
    expect(zlib.locations[0].logicalLocations[0].fullyQualifiedName).toMatch(/^pkg:deb\/debian\/zlib1g@/);
    const lodash = run.results.find((r: { ruleId: string }) => r.ruleId === 'GHSA-35jh-r3h4-6jhm');
    expect(lodash.locations[0].physicalLocation.artifactLocation.uri).toBe('app/node_modules/lodash/package.json');
    // security-severity is the highest CVSS base score, else the severity's bucket.
    const rule = (id: string) => run.tool.driver.rules.find((r: { id: string }) => r.id === id);
    expect(rule('CVE-2023-45853').properties['security-severity']).toBe('9.8');
    expect(rule('CVE-2023-5678').properties['security-severity']).toBe('3.0');
    expect(run.results.filter((r: { suppressions?: unknown[] }) => r.suppressions).map((r: { ruleId: string }) => r.ruleId)).toEqual(['CVE-2023-5678']);
    expect(run.invocations[0].toolExecutionNotifications.length).toBe(2);
    sarif.runs[0].results[0].level = 'fatal';
    expect(validate(sarif)).toBe(false);
  });

  it('cyclonedx is a valid CycloneDX 1.6 BOM with the image, the OS, every package and the vulnerabilities', async () => {
    const text = renderCycloneDx(result.inventory, { ...sbomOpts(), vulnerabilities: result.report.vulnerabilities, ignored: result.report.ignored });
    const validator = new CDX.Validation.JsonStrictValidator(CDX.Spec.Version.v1dot6);
    expect(await validator.validate(text)).toBeNull();
    const bom = JSON.parse(text);
    expect(bom.specVersion).toBe('1.6');
    expect(bom.serialNumber).toMatch(/^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(bom.metadata.component).toMatchObject({ type: 'container', name: result.inventory.target.name, version: result.inventory.target.digest });
    expect(bom.components.filter((c: { type: string }) => c.type === 'operating-system')).toEqual([expect.objectContaining({ name: 'debian', version: '12.5' })]);
    const libs = bom.components.filter((c: { type: string }) => c.type === 'library');
    expect(libs.map((c: { purl: string }) => c.purl).sort()).toEqual(result.inventory.packages.map((p) => p.purl).sort());
    const ssl = libs.find((c: { name: string }) => c.name === 'libssl3');
    const prop = (name: string) => ssl.properties.find((p: { name: string }) => p.name === name)?.value;
    expect(prop('palisade:package:source-name')).toBe('openssl');
    expect(prop('palisade:package:layer-digest')).toBe(result.inventory.packages.find((p) => p.name === 'libssl3')!.layer!.digest);
    // The OS depends on the OS packages, the image on the OS and the language packages.
    const deps = new Map(bom.dependencies.map((d: { ref: string; dependsOn?: string[] }) => [d.ref, d.dependsOn ?? []]));
    expect(deps.get('palisade:image')).toEqual(expect.arrayContaining(['palisade:os', 'pkg:npm/lodash@4.17.20']));
    expect(deps.get('palisade:os')).toContain(ssl['bom-ref']);
    const vulns = new Map(bom.vulnerabilities.map((v: { id: string }) => [v.id, v]));
    expect([...vulns.keys()].sort()).toEqual(['CVE-2023-45853', 'CVE-2023-5678', 'CVE-2024-0727', 'GHSA-35jh-r3h4-6jhm']);
    const ghsa = vulns.get('GHSA-35jh-r3h4-6jhm') as { affects: Array<{ ref: string }>; references: Array<{ id: string }>; ratings: Array<{ method?: string; score?: number; severity?: string }>; recommendation: string };
    expect(ghsa.affects).toEqual([{ ref: 'pkg:npm/lodash@4.17.20', versions: [{ version: '4.17.20', status: 'affected' }] }]);
    expect(ghsa.references).toEqual([{ id: 'CVE-2021-23337', source: { name: 'NVD', url: 'https://nvd.nist.gov/vuln/detail/CVE-2021-23337' } }]);
    expect(ghsa.ratings).toEqual(expect.arrayContaining([expect.objectContaining({ method: 'CVSSv31', score: 7.2 }), expect.objectContaining({ severity: 'high' })]));
    expect(ghsa.recommendation).toBe('Upgrade lodash to 4.17.21');
    expect(vulns.get('CVE-2023-5678')).toMatchObject({ analysis: { detail: 'ignored by .palisadeignore.yaml:2: DH is not used' } });
    // The validator is real: a broken BOM fails.
    const broken = JSON.parse(text);
    broken.components[0].type = 'spaceship';
    expect(await validator.validate(JSON.stringify(broken))).not.toBeNull();
  });

  it('cyclonedx without vulnerabilities (palisade sbom) is valid and has none; repeated purls get distinct refs', async () => {
    const inv = { ...result.inventory, packages: [...result.inventory.packages, { ...result.inventory.packages[0], filePath: '/other' }] };
    const text = renderCycloneDx(inv, sbomOpts());
    expect(await new CDX.Validation.JsonStrictValidator(CDX.Spec.Version.v1dot6).validate(text)).toBeNull();
    const bom = JSON.parse(text);
    expect(bom.vulnerabilities).toBeUndefined();
    const refs = bom.components.map((c: { 'bom-ref': string }) => c['bom-ref']);
    expect(new Set(refs).size).toBe(refs.length);
  });

  it('spdx is valid SPDX 2.3 JSON with purls, DESCRIBES/CONTAINS/GENERATED_FROM and unique SPDXIDs', () => {
    const schema = JSON.parse(readFileSync(join(process.cwd(), 'test/schemas/spdx-2.3.schema.json'), 'utf8'));
    const validate = new Ajv7({ allErrors: true, strict: false }).compile(schema);
    const text = renderSpdx(result.inventory, { ...sbomOpts(), vulnerabilities: result.report.vulnerabilities });
    const doc = JSON.parse(text);
    expect(validate(doc), JSON.stringify(validate.errors)).toBe(true);
    expect(doc.spdxVersion).toBe('SPDX-2.3');
    expect(doc.documentNamespace).toMatch(/^https:\/\/palisade\.dev\/spdxdocs\/.+-[0-9a-f-]{36}$/);
    expect(doc.creationInfo.created).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    const ids: string[] = doc.packages.map((p: { SPDXID: string }) => p.SPDXID);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^SPDXRef-[A-Za-z0-9.-]+$/);
    const known = new Set([...ids, 'SPDXRef-DOCUMENT']);
    for (const r of doc.relationships) {
      expect(known.has(r.spdxElementId)).toBe(true);
      expect(known.has(r.relatedSpdxElement)).toBe(true);
    }
    const withPurl = doc.packages.filter((p: { externalRefs?: Array<{ referenceType: string }> }) => p.externalRefs?.some((r) => r.referenceType === 'purl'));
    expect(withPurl.length).toBe(result.inventory.packages.length);
    const byName = (n: string) => doc.packages.find((p: { name: string }) => p.name === n);
    const rel = (a: string, type: string, b: string) => doc.relationships.some((r: { spdxElementId: string; relationshipType: string; relatedSpdxElement: string }) => r.spdxElementId === a && r.relationshipType === type && r.relatedSpdxElement === b);
    expect(rel('SPDXRef-DOCUMENT', 'DESCRIBES', 'SPDXRef-Image')).toBe(true);
    expect(rel('SPDXRef-Image', 'CONTAINS', 'SPDXRef-OperatingSystem')).toBe(true);
    expect(rel('SPDXRef-OperatingSystem', 'CONTAINS', byName('libssl3').SPDXID)).toBe(true);
    expect(rel('SPDXRef-Image', 'CONTAINS', byName('lodash').SPDXID)).toBe(true);
    expect(rel(byName('libssl3').SPDXID, 'GENERATED_FROM', byName('openssl').SPDXID)).toBe(true);
    expect(byName('openssl').primaryPackagePurpose).toBe('SOURCE');
    expect(byName('lodash').licenseDeclared).toBe('MIT');
    expect(byName('lodash').externalRefs).toContainEqual({ referenceCategory: 'SECURITY', referenceType: 'advisory', referenceLocator: 'https://github.com/advisories/GHSA-35jh-r3h4-6jhm', comment: 'GHSA-35jh-r3h4-6jhm' });
    // The schema check is real: a package without downloadLocation fails.
    delete doc.packages[1].downloadLocation;
    expect(validate(doc)).toBe(false);
  });

  it('spdx turns licenses that are not SPDX expressions into LicenseRefs with the text', () => {
    const inv = { ...result.inventory, packages: [{ ...result.inventory.packages[0], licenses: ['GPL-2+ with some exception'] }, { ...result.inventory.packages[1], licenses: ['MIT', 'Apache-2.0 OR BSD-3-Clause'] }] };
    const doc = buildSpdx(inv, sbomOpts());
    const [a, b] = doc.packages.filter((p) => p.primaryPackagePurpose === 'LIBRARY');
    expect(a.licenseDeclared).toMatch(/^LicenseRef-GPL-2-with-some-exception-[0-9a-f]{6}$/);
    expect(doc.hasExtractedLicensingInfos).toEqual([{ licenseId: a.licenseDeclared, name: 'GPL-2+ with some exception', extractedText: 'GPL-2+ with some exception' }]);
    expect(b.licenseDeclared).toBe('MIT AND (Apache-2.0 OR BSD-3-Clause)');
  });
});
