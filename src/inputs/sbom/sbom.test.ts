import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PalisadeError } from '../../model/errors.js';
import { looksLikeJsonFile, packageFromPurl, parseSbom, readSbomFile } from './index.js';

const dir = mkdtempSync(join(tmpdir(), 'palisade-sbom-'));
let n = 0;
function file(doc: unknown): string {
  const p = join(dir, `doc${n++}.json`);
  writeFileSync(p, typeof doc === 'string' ? doc : JSON.stringify(doc));
  return p;
}

function expectError(f: () => unknown, message: RegExp, field?: string): void {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(PalisadeError);
  expect((err as PalisadeError).code).toBe('E_SBOM_FORMAT');
  expect((err as PalisadeError).message).toMatch(message);
  if (field) expect((err as PalisadeError).position?.field).toBe(field);
}

const cdx = (components: unknown[], extra: Record<string, unknown> = {}) => ({ bomFormat: 'CycloneDX', specVersion: '1.6', version: 1, components, ...extra });

describe('purls', () => {
  it('gives ecosystem, scheme and name per type, with namespaces joined the way each ecosystem names packages', () => {
    const ok = (p: string) => {
      const r = packageFromPurl(p, undefined);
      if (!r.ok) throw new Error(r.message);
      return r.pkg;
    };
    expect(ok('pkg:npm/%40babel/core@7.24.0')).toMatchObject({ ecosystem: 'npm', scheme: 'semver', name: '@babel/core', version: '7.24.0', osPackage: false });
    expect(ok('pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1')).toMatchObject({ ecosystem: 'maven', scheme: 'maven', name: 'org.apache.logging.log4j:log4j-core' });
    expect(ok('pkg:golang/github.com/gin-gonic/gin@v1.9.0')).toMatchObject({ ecosystem: 'go', scheme: 'go', name: 'github.com/gin-gonic/gin', version: 'v1.9.0' });
    expect(ok('pkg:pypi/django@4.2.1')).toMatchObject({ ecosystem: 'pypi', scheme: 'pep440', name: 'django' });
    expect(ok('pkg:apk/alpine/musl@1.2.4-r2?arch=x86_64&distro=alpine-3.19.1')).toMatchObject({ ecosystem: 'alpine', scheme: 'apk', arch: 'x86_64', distro: { family: 'alpine', version: '3.19.1' } });
    expect(ok('pkg:rpm/rhel/openssl-libs@3.0.7-25.el9_3?arch=x86_64&epoch=1&distro=rhel-9.3')).toMatchObject({ ecosystem: 'redhat', scheme: 'rpm', version: '1:3.0.7-25.el9_3', distro: { family: 'redhat', version: '9.3' } });
  });

  it('reads the epoch qualifier and syft upstream qualifier of Debian purls', () => {
    const r = packageFromPurl('pkg:deb/debian/libgcc-s1@12.2.0-14?arch=amd64&upstream=gcc-12&distro=debian-12', undefined);
    expect(r).toMatchObject({ ok: true, pkg: { ecosystem: 'debian', scheme: 'deb', sourceName: 'gcc-12', sourceVersion: '12.2.0-14' } });
    const e = packageFromPurl('pkg:deb/debian/bsdutils@2.38.1-5%2Bdeb12u3?epoch=1&upstream=util-linux%402.38.1-5%2Bdeb12u3', undefined);
    expect(e).toMatchObject({ ok: true, pkg: { version: '1:2.38.1-5+deb12u3', sourceName: 'util-linux', sourceVersion: '2.38.1-5+deb12u3' } });
  });

  it('takes the ecosystem of an OS package without namespace from its distro, else the OS', () => {
    expect(packageFromPurl('pkg:deb/curl@7.88.1-10', { family: 'ubuntu', version: '22.04' })).toMatchObject({ ok: true, pkg: { ecosystem: 'ubuntu' } });
    expect(packageFromPurl('pkg:deb/curl@7.88.1-10', undefined)).toMatchObject({ ok: true, pkg: { ecosystem: 'debian' } });
  });

  it('knows the SUSE, Photon and Azure Linux families by namespace and distro', () => {
    expect(packageFromPurl('pkg:rpm/opensuse/bash@5.2-1?distro=opensuse-leap-15.5', undefined)).toMatchObject({ ok: true, pkg: { ecosystem: 'opensuse-leap', distro: { family: 'opensuse-leap', version: '15.5' } } });
    expect(packageFromPurl('pkg:rpm/sle-micro/bash@5.2-1?distro=sle-micro-5.5', undefined)).toMatchObject({ ok: true, pkg: { ecosystem: 'sle-micro', distro: { family: 'sle-micro', version: '5.5' } } });
    expect(packageFromPurl('pkg:rpm/sles/openssl@3.1.4-1', undefined)).toMatchObject({ ok: true, pkg: { ecosystem: 'sles' } });
    expect(packageFromPurl('pkg:rpm/photon/curl@8.5.0-1.ph5', undefined)).toMatchObject({ ok: true, pkg: { ecosystem: 'photon' } });
    expect(packageFromPurl('pkg:rpm/mariner/curl@8.5.0-1.cm2', undefined)).toMatchObject({ ok: true, pkg: { ecosystem: 'azurelinux' } });
    expect(packageFromPurl('pkg:rpm/curl@8.5.0-1.azl3?distro=azurelinux-3.0', undefined)).toMatchObject({ ok: true, pkg: { ecosystem: 'azurelinux' } });
  });

  it('refuses types and distributions Palisade cannot match, and purls that are not purls', () => {
    expect(packageFromPurl('pkg:cargo/serde@1.0.0', undefined)).toMatchObject({ ok: false, kind: 'unsupported', type: 'cargo' });
    expect(packageFromPurl('pkg:rpm/mageia/bash@5.2-1', undefined)).toMatchObject({ ok: false, kind: 'unsupported', message: expect.stringMatching(/mageia/) });
    expect(packageFromPurl('npm/lodash@1', undefined)).toMatchObject({ ok: false, kind: 'invalid' });
    expect(packageFromPurl('pkg:npm/lodash', undefined)).toMatchObject({ ok: false, kind: 'invalid', message: expect.stringMatching(/no version/) });
  });
});

describe('CycloneDX', () => {
  it('reads packages (nested too), the OS component, source packages, files and layers from properties', async () => {
    const doc = cdx(
      [
        { type: 'operating-system', name: 'ubuntu', version: '22.04' },
        {
          type: 'library',
          name: 'libssl3',
          version: '3.0.2-0ubuntu1.10',
          purl: 'pkg:deb/ubuntu/libssl3@3.0.2-0ubuntu1.10?arch=amd64&distro=ubuntu-22.04',
          licenses: [{ license: { id: 'Apache-2.0' } }],
          properties: [
            { name: 'palisade:package:source-name', value: 'openssl' },
            { name: 'palisade:package:source-version', value: '3.0.2-0ubuntu1.10' },
            { name: 'palisade:package:file-path', value: '/var/lib/dpkg/status' },
            { name: 'palisade:package:layer-digest', value: 'sha256:aa' },
            { name: 'palisade:package:layer-diff-id', value: 'sha256:bb' },
            { name: 'palisade:package:layer-index', value: '0' },
          ],
        },
        {
          type: 'application',
          name: 'app',
          components: [{ type: 'library', name: 'lodash', version: '4.17.20', purl: 'pkg:npm/lodash@4.17.20', licenses: [{ expression: 'MIT OR Apache-2.0' }] }],
        },
      ],
      { metadata: { component: { type: 'container', name: 'registry.example/app:1', properties: [{ name: 'palisade:image:digest', value: 'sha256:dd' }] } } },
    );
    const sbom = await readSbomFile(file(doc));
    expect(sbom.format).toBe('cyclonedx');
    expect(sbom.os).toEqual({ family: 'ubuntu', version: '22.04' });
    expect(sbom.describes).toBe('registry.example/app:1');
    expect(sbom.target).toMatchObject({ kind: 'sbom', digest: 'sha256:dd', os: { family: 'ubuntu' } });
    expect(sbom.packages).toEqual([
      {
        ecosystem: 'ubuntu', scheme: 'deb', name: 'libssl3', version: '3.0.2-0ubuntu1.10', arch: 'amd64',
        purl: 'pkg:deb/ubuntu/libssl3@3.0.2-0ubuntu1.10?arch=amd64&distro=ubuntu-22.04',
        sourceName: 'openssl', sourceVersion: '3.0.2-0ubuntu1.10', filePath: '/var/lib/dpkg/status', licenses: ['Apache-2.0'],
        layer: { digest: 'sha256:aa', diffId: 'sha256:bb', index: 0 },
      },
      { ecosystem: 'npm', scheme: 'semver', name: 'lodash', version: '4.17.20', purl: 'pkg:npm/lodash@4.17.20', licenses: ['MIT OR Apache-2.0'] },
    ]);
    expect(sbom.warnings).toEqual([]);
  });

  it('falls back to the purl distro for the OS, and makes an OS package its own source', () => {
    const sbom = parseSbom(cdx([{ type: 'library', name: 'musl', version: '1.2.4-r2', purl: 'pkg:apk/alpine/musl@1.2.4-r2?distro=alpine-3.19.1' }]), 'x.json');
    expect(sbom.os).toEqual({ family: 'alpine', version: '3.19.1' });
    expect(sbom.packages[0]).toMatchObject({ sourceName: 'musl', sourceVersion: '1.2.4-r2' });
  });

  it('skips what it cannot match with one warning per kind, and a bad component with its field', () => {
    const sbom = parseSbom(
      cdx([
        { type: 'library', name: 'serde', version: '1', purl: 'pkg:cargo/serde@1.0.0' },
        { type: 'library', name: 'rails', version: '7', purl: 'pkg:gem/rails@7.0.0' },
        { type: 'library', name: 'serde_json', version: '1', purl: 'pkg:cargo/serde_json@1.0.0' },
        { type: 'library', name: 'nopurl' },
        { type: 'library', name: 'bad', purl: 'not a purl' },
        { type: 'library', version: '1.0' },
        { type: 'library', name: 'ok', purl: 'pkg:npm/ok@1.0.0' },
      ]),
      'bom.json',
    );
    expect(sbom.packages.map((p) => p.name)).toEqual(['ok']);
    expect(sbom.warnings).toEqual([
      'bom.json: components[5].name: Invalid input: expected string, received undefined; skipped',
      'bom.json: components[4].purl: "not a purl" is not a valid package URL (Invalid purl: missing required "pkg" scheme component); skipped',
      'bom.json: 1 entry has no purl and cannot be matched against advisories; skipped',
      'bom.json: packages of purl types Palisade does not match yet were skipped: cargo (2), gem (1)',
    ]);
  });

  it('names the field of a broken document and refuses other spec versions', () => {
    expectError(() => parseSbom({ bomFormat: 'CycloneDX', specVersion: '1.6', components: {} }, 'a.json'), /not a valid CycloneDX document/, 'components');
    expectError(() => parseSbom({ bomFormat: 'CycloneDX', specVersion: '1.3', components: [] }, 'a.json'), /specVersion "1.3" is not supported \(1.4, 1.5, 1.6\)/, 'specVersion');
    expectError(() => parseSbom({ bomFormat: 'Other' }, 'a.json'), /bomFormat "Other" is not CycloneDX/, 'bomFormat');
    expectError(() => parseSbom({ hello: 1 }, 'a.json'), /neither bomFormat nor spdxVersion/);
    expectError(() => parseSbom([1], 'a.json'), /JSON object/);
  });
});

describe('SPDX', () => {
  const spdx = (packages: unknown[], relationships: unknown[] = []) => ({
    spdxVersion: 'SPDX-2.3', SPDXID: 'SPDXRef-DOCUMENT', name: 'img', dataLicense: 'CC0-1.0', documentNamespace: 'https://x/y', creationInfo: { created: '2024-01-01T00:00:00Z', creators: ['Tool: x'] }, packages, relationships,
  });
  const purlRef = (p: string) => [{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: p }];

  it('reads packages with purls, the OS package, GENERATED_FROM sources and annotations; skips the image and sources', () => {
    const doc = spdx(
      [
        { SPDXID: 'SPDXRef-Image', name: 'app:1', downloadLocation: 'NOASSERTION', primaryPackagePurpose: 'CONTAINER' },
        { SPDXID: 'SPDXRef-OS', name: 'debian', versionInfo: '12.5', downloadLocation: 'NOASSERTION', primaryPackagePurpose: 'OPERATING_SYSTEM' },
        {
          SPDXID: 'SPDXRef-libc6', name: 'libc6', versionInfo: '2.36-9+deb12u4', downloadLocation: 'NOASSERTION', externalRefs: purlRef('pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64'),
          licenseDeclared: 'LicenseRef-glibc', annotations: [{ annotationDate: 'x', annotationType: 'OTHER', annotator: 'Tool: palisade', comment: 'palisade:package:layer-digest=sha256:11' }],
        },
        { SPDXID: 'SPDXRef-glibc', name: 'glibc', versionInfo: '2.36-9+deb12u4', downloadLocation: 'NOASSERTION', primaryPackagePurpose: 'SOURCE' },
      ],
      [
        { spdxElementId: 'SPDXRef-DOCUMENT', relationshipType: 'DESCRIBES', relatedSpdxElement: 'SPDXRef-Image' },
        { spdxElementId: 'SPDXRef-libc6', relationshipType: 'GENERATED_FROM', relatedSpdxElement: 'SPDXRef-glibc' },
      ],
    );
    const sbom = parseSbom({ ...doc, hasExtractedLicensingInfos: [{ licenseId: 'LicenseRef-glibc', name: 'GPL-2+ and LGPL-2.1+', extractedText: '...' }] }, 's.json');
    expect(sbom.format).toBe('spdx');
    expect(sbom.describes).toBe('app:1');
    expect(sbom.os).toEqual({ family: 'debian', version: '12.5' });
    expect(sbom.packages).toEqual([
      {
        ecosystem: 'debian', scheme: 'deb', name: 'libc6', version: '2.36-9+deb12u4', arch: 'amd64', purl: 'pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64',
        sourceName: 'glibc', sourceVersion: '2.36-9+deb12u4', licenses: ['GPL-2+ and LGPL-2.1+'], layer: { digest: 'sha256:11', index: 0 },
      },
    ]);
  });

  it('names the field of a broken document and refuses other versions', () => {
    expectError(() => parseSbom({ spdxVersion: 'SPDX-2.3', SPDXID: 'SPDXRef-DOCUMENT', name: 'x', packages: 'no' }, 'b.json'), /not a valid SPDX document/, 'packages');
    expectError(() => parseSbom({ spdxVersion: 'SPDX-2.1', SPDXID: 'SPDXRef-DOCUMENT', name: 'x' }, 'b.json'), /spdxVersion "SPDX-2.1" is not supported/, 'spdxVersion');
    const sbom = parseSbom(spdx([{ SPDXID: 'SPDXRef-x', versionInfo: '1' }]), 'b.json');
    expect(sbom.warnings).toEqual(['b.json: packages[0].name: Invalid input: expected string, received undefined; skipped']);
  });
});

describe('files', () => {
  it('reports unreadable, non-JSON and oversized-looking input by file', async () => {
    await expect(readSbomFile(join(dir, 'missing.json'))).rejects.toMatchObject({ code: 'E_READ' });
    await expect(readSbomFile(file('{ nope'))).rejects.toMatchObject({ code: 'E_SBOM_FORMAT', message: expect.stringMatching(/not valid JSON/) });
  });

  it('tells JSON files from image archives by their first byte', async () => {
    expect(await looksLikeJsonFile(file('\ufeff  {"bomFormat":"CycloneDX"}'))).toBe(true);
    expect(await looksLikeJsonFile(file('ustar\u0000'))).toBe(false);
    expect(await looksLikeJsonFile(dir)).toBe(false);
  });
});

const corpus = join(process.cwd(), '..', 'shared', 'corpus', 'trivy', 'integration', 'testdata', 'fixtures', 'sbom');
describe.skipIf(!existsSync(corpus))('SBOMs written by trivy (shared corpus)', () => {
  it('reads every CycloneDX and SPDX JSON fixture with its OS, packages and layers', async () => {
    const files = readdirSync(corpus).filter((f) => f.endsWith('.json'));
    expect(files.length).toBeGreaterThan(2);
    for (const f of files) {
      const sbom = await readSbomFile(join(corpus, f));
      expect(sbom.packages.length, f).toBeGreaterThan(0);
    }
    const centos = await readSbomFile(join(corpus, 'centos-7-cyclonedx.json'));
    expect(centos.os).toEqual({ family: 'centos', version: '7.6.1810' });
    expect(centos.target.imageId).toBe('sha256:f1cb7c7d58b73eac859c395882eec49d50651244e342cd6c68a5c7809785f427');
    const ssl = centos.packages.find((p) => p.name === 'openssl-libs')!;
    // Epoch from the purl qualifier; source version from trivy's SrcEpoch/SrcVersion/SrcRelease.
    expect(ssl).toMatchObject({ version: '1:1.0.2k-16.el7', sourceName: 'openssl', sourceVersion: '1:1.0.2k-16.el7', layer: { diffId: 'sha256:89169d87dbe2b72ba42bfbb3579c957322baca28e03a1e558076542a1c1b2b4a', index: 0 } });
    const spdx = await readSbomFile(join(corpus, 'centos-7-spdx.json'));
    expect(spdx.os).toEqual(centos.os);
    expect(spdx.packages.map((p) => p.purl)).toEqual(centos.packages.map((p) => p.purl));
  });
});
