import { describe, expect, it } from 'vitest';
import { PalisadeError } from '../../model/errors.js';
import type { Package } from '../../model/package.js';
import { parseSbom } from './index.js';

/**
 * The same small image (Debian 12 with libssl3 built from openssl, and lodash from npm) as each supported
 * CycloneDX and SPDX version writes it: the layout of metadata, tools and references changed between
 * versions, the component and package model did not.
 */
const LIBSSL = 'pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12.5';
const LODASH = 'pkg:npm/lodash@4.17.20';
const EXPECTED: Array<Partial<Package>> = [
  { ecosystem: 'debian', scheme: 'deb', name: 'libssl3', version: '3.0.11-1~deb12u2', arch: 'amd64', sourceName: 'openssl', sourceVersion: '3.0.11-1~deb12u2', purl: LIBSSL },
  { ecosystem: 'npm', scheme: 'semver', name: 'lodash', version: '4.17.20', purl: LODASH },
];

const cdxComponents = [
  { type: 'operating-system', name: 'debian', version: '12.5' },
  {
    type: 'library', name: 'libssl3', version: '3.0.11-1~deb12u2', purl: LIBSSL, 'bom-ref': LIBSSL,
    properties: [{ name: 'aquasecurity:trivy:SrcName', value: 'openssl' }, { name: 'aquasecurity:trivy:SrcVersion', value: '3.0.11-1~deb12u2' }],
  },
  { type: 'application', name: 'app/package-lock.json', components: [{ type: 'library', name: 'lodash', version: '4.17.20', purl: LODASH, licenses: [{ license: { id: 'MIT' } }] }] },
];

const CYCLONEDX: Record<string, unknown> = {
  '1.4': {
    $schema: 'http://cyclonedx.org/schema/bom-1.4.schema.json', bomFormat: 'CycloneDX', specVersion: '1.4', serialNumber: 'urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79', version: 1,
    metadata: { timestamp: '2024-01-01T00:00:00Z', tools: [{ vendor: 'aquasecurity', name: 'trivy', version: '0.48.0' }], component: { type: 'container', name: 'app:1', 'bom-ref': 'img' } },
    components: cdxComponents,
    dependencies: [{ ref: LIBSSL, dependsOn: [] }],
  },
  '1.5': {
    $schema: 'http://cyclonedx.org/schema/bom-1.5.schema.json', bomFormat: 'CycloneDX', specVersion: '1.5', serialNumber: 'urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79', version: 1,
    metadata: { timestamp: '2024-01-01T00:00:00Z', tools: { components: [{ type: 'application', group: 'aquasecurity', name: 'trivy', version: '0.50.0' }] }, component: { type: 'container', name: 'app:1', 'bom-ref': 'img' }, lifecycles: [{ phase: 'post-build' }] },
    components: cdxComponents,
  },
  '1.6': {
    $schema: 'http://cyclonedx.org/schema/bom-1.6.schema.json', bomFormat: 'CycloneDX', specVersion: '1.6', serialNumber: 'urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79', version: 1,
    metadata: { timestamp: '2024-01-01T00:00:00Z', tools: { components: [{ type: 'application', name: 'palisade', version: '0.1.0' }], services: [] }, component: { type: 'container', name: 'app:1', 'bom-ref': 'img' } },
    components: cdxComponents,
    vulnerabilities: [],
  },
};

function spdx(version: 'SPDX-2.2' | 'SPDX-2.3'): unknown {
  const v23 = version === 'SPDX-2.3';
  // SPDX 2.2 has no primaryPackagePurpose and spells the category PACKAGE_MANAGER; trivy marks the OS by its SPDXID.
  const ref = (locator: string) => [{ referenceCategory: v23 ? 'PACKAGE-MANAGER' : 'PACKAGE_MANAGER', referenceType: 'purl', referenceLocator: locator }];
  return {
    spdxVersion: version, dataLicense: 'CC0-1.0', SPDXID: 'SPDXRef-DOCUMENT', name: 'app:1', documentNamespace: 'https://example.com/app-1',
    creationInfo: { created: '2024-01-01T00:00:00Z', creators: ['Tool: trivy-0.48.0'] },
    packages: [
      { SPDXID: 'SPDXRef-ContainerImage-1', name: 'app:1', downloadLocation: 'NONE', ...(v23 ? { primaryPackagePurpose: 'CONTAINER' } : {}) },
      { SPDXID: 'SPDXRef-OperatingSystem-1', name: 'debian', versionInfo: '12.5', downloadLocation: 'NONE', ...(v23 ? { primaryPackagePurpose: 'OPERATING_SYSTEM' } : {}) },
      { SPDXID: 'SPDXRef-Package-libssl3', name: 'libssl3', versionInfo: '3.0.11-1~deb12u2', downloadLocation: 'NONE', sourceInfo: 'built package from: openssl 3.0.11-1~deb12u2', externalRefs: ref(LIBSSL), ...(v23 ? { primaryPackagePurpose: 'LIBRARY' } : {}) },
      { SPDXID: 'SPDXRef-Package-lodash', name: 'lodash', versionInfo: '4.17.20', downloadLocation: 'NONE', licenseDeclared: 'MIT', externalRefs: ref(LODASH) },
    ],
    relationships: [
      { spdxElementId: 'SPDXRef-DOCUMENT', relationshipType: 'DESCRIBES', relatedSpdxElement: 'SPDXRef-ContainerImage-1' },
      { spdxElementId: 'SPDXRef-ContainerImage-1', relationshipType: 'CONTAINS', relatedSpdxElement: 'SPDXRef-OperatingSystem-1' },
      { spdxElementId: 'SPDXRef-OperatingSystem-1', relationshipType: 'CONTAINS', relatedSpdxElement: 'SPDXRef-Package-libssl3' },
    ],
  };
}

const essentials = (ps: Package[]) =>
  ps.map((p) => ({ ecosystem: p.ecosystem, scheme: p.scheme, name: p.name, version: p.version, arch: p.arch, sourceName: p.sourceName, sourceVersion: p.sourceVersion, purl: p.purl }))
    .sort((a, b) => a.purl.localeCompare(b.purl));
const expected = essentials(EXPECTED.map((p) => ({ arch: undefined, sourceName: undefined, sourceVersion: undefined, ...p }) as Package));

describe('every supported version reads to the same OS and packages', () => {
  for (const [version, doc] of Object.entries(CYCLONEDX)) {
    it(`CycloneDX ${version}`, () => {
      const sbom = parseSbom(doc, `bom-${version}.json`);
      expect(sbom).toMatchObject({ format: 'cyclonedx', specVersion: version, describes: 'app:1', os: { family: 'debian', version: '12.5' }, warnings: [] });
      expect(essentials(sbom.packages)).toEqual(expected);
      expect(sbom.packages.find((p) => p.name === 'lodash')?.licenses).toEqual(['MIT']);
    });
  }
  for (const version of ['SPDX-2.2', 'SPDX-2.3'] as const) {
    it(version, () => {
      const sbom = parseSbom(spdx(version), `${version}.json`);
      expect(sbom).toMatchObject({ format: 'spdx', specVersion: version, describes: 'app:1', os: { family: 'debian', version: '12.5' }, warnings: [] });
      expect(essentials(sbom.packages)).toEqual(expected);
    });
  }
});

/** Runs `parseSbom` on a copy of `doc` changed by `edit`, and returns the error it throws. */
function broken(doc: unknown, edit: (d: Record<string, unknown>) => void): PalisadeError {
  const copy = structuredClone(doc) as Record<string, unknown>;
  edit(copy);
  try {
    parseSbom(copy, 'broken.json');
  } catch (e) {
    expect(e).toBeInstanceOf(PalisadeError);
    return e as PalisadeError;
  }
  throw new Error('the document was accepted');
}

describe('malformed documents fail with E_SBOM_FORMAT naming the file and field', () => {
  const cdx = CYCLONEDX['1.5'];
  const cases: Array<[string, unknown, (d: Record<string, unknown>) => void, string | undefined, RegExp]> = [
    ['CycloneDX: components is not a list', cdx, (d) => void (d.components = { a: 1 }), 'components', /not a valid CycloneDX document: .*expected array/],
    ['CycloneDX: specVersion is a number', cdx, (d) => void (d.specVersion = 1.5), 'specVersion', /expected string/],
    ['CycloneDX: specVersion is missing', cdx, (d) => void delete d.specVersion, 'specVersion', /expected string/],
    ['CycloneDX: specVersion 1.3', cdx, (d) => void (d.specVersion = '1.3'), 'specVersion', /specVersion "1\.3" is not supported \(1\.4, 1\.5, 1\.6\)/],
    ['CycloneDX: specVersion 2.0', cdx, (d) => void (d.specVersion = '2.0'), 'specVersion', /specVersion "2\.0" is not supported/],
    ['CycloneDX: metadata is a string', cdx, (d) => void (d.metadata = 'trivy'), 'metadata', /expected object/],
    ['CycloneDX: bomFormat of another format', cdx, (d) => void (d.bomFormat = 'SPDX'), 'bomFormat', /bomFormat "SPDX" is not CycloneDX/],
    ['SPDX 2.3: packages is an object', spdx('SPDX-2.3'), (d) => void (d.packages = {}), 'packages', /not a valid SPDX document: .*expected array/],
    ['SPDX 2.3: SPDXID is missing', spdx('SPDX-2.3'), (d) => void delete d.SPDXID, 'SPDXID', /expected string/],
    ['SPDX 2.2: name is a number', spdx('SPDX-2.2'), (d) => void (d.name = 7), 'name', /expected string/],
    ['SPDX 2.2: a relationship without its type', spdx('SPDX-2.2'), (d) => void delete (d.relationships as Array<Record<string, unknown>>)[1].relationshipType, 'relationships[1].relationshipType', /expected string/],
    ['SPDX 2.3: licence info without an id', spdx('SPDX-2.3'), (d) => void (d.hasExtractedLicensingInfos = [{ name: 'x' }]), 'hasExtractedLicensingInfos[0].licenseId', /expected string/],
    ['SPDX: spdxVersion is a number', spdx('SPDX-2.3'), (d) => void (d.spdxVersion = 2.3), 'spdxVersion', /expected string/],
    ['SPDX: version 2.1', spdx('SPDX-2.3'), (d) => void (d.spdxVersion = 'SPDX-2.1'), 'spdxVersion', /spdxVersion "SPDX-2\.1" is not supported \(SPDX-2\.2, SPDX-2\.3\)/],
    ['SPDX: version 3.0', spdx('SPDX-2.3'), (d) => void (d.spdxVersion = 'SPDX-3.0'), 'spdxVersion', /not supported/],
    ['neither format', { name: 'x', packages: [] }, () => undefined, undefined, /neither bomFormat nor spdxVersion/],
  ];
  for (const [name, doc, edit, field, message] of cases) {
    it(name, () => {
      const e = broken(doc, edit);
      expect(e.code).toBe('E_SBOM_FORMAT');
      expect(e.position?.file).toBe('broken.json');
      expect(e.position?.field).toBe(field);
      expect(e.message).toMatch(message);
      if (field) expect(e.message.startsWith(`broken.json (${field}): `)).toBe(true);
    });
  }

  it('a broken entry is skipped with a warning naming its field; the rest of the document is read', () => {
    const doc = structuredClone(CYCLONEDX['1.4']) as { components: Array<Record<string, unknown>> };
    doc.components.push({ type: 'library', name: 42, purl: 'pkg:npm/x@1.0.0' }, { type: 'library', name: 'y', purl: 'pkg:npm/y' });
    const sbom = parseSbom(doc, 'bom.json');
    expect(essentials(sbom.packages)).toEqual(expected);
    expect(sbom.warnings).toEqual([
      'bom.json: components[3].name: Invalid input: expected string, received number; skipped',
      'bom.json: components[4].purl: "pkg:npm/y" has no version; skipped',
    ]);
    const s = structuredClone(spdx('SPDX-2.2')) as { packages: Array<Record<string, unknown>> };
    s.packages.push({ SPDXID: 'SPDXRef-bad', name: 'bad', externalRefs: [{ referenceCategory: 'PACKAGE_MANAGER', referenceType: 'purl' }] });
    const back = parseSbom(s, 'doc.json');
    expect(essentials(back.packages)).toEqual(expected);
    expect(back.warnings).toEqual(['doc.json: packages[4].externalRefs[0].referenceLocator: Invalid input: expected string, received undefined; skipped']);
  });
});
