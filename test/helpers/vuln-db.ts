/**
 * A small in-memory vulnerability database for tests: an `AdvisoryLookup` over a few rows, and a
 * `VulnBackend` that serves it to `scanImage` and the CLI without SQLite.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { VulnBackend, VulnDatabase } from '../../src/app/scan-image.js';
import type { AdvisoryLookup, AffectedPackage, DataSource, DetectedVulnerability, VulnerabilityRecord } from '../../src/model/advisory.js';
import { PalisadeError } from '../../src/model/errors.js';
import type { OsInfo, Package } from '../../src/model/package.js';
import { schemeFor } from '../../src/vuln/versioning/index.js';
import { image, layer, writeOciLayout, type BuiltImage } from './oci-image.js';

export interface TestAdvisories {
  vulnerabilities: VulnerabilityRecord[];
  affected: AffectedPackage[];
  sources: DataSource[];
  /** ISO time of the last update. */
  updatedAt?: string;
}

export class MemoryAdvisories implements AdvisoryLookup {
  constructor(readonly data: TestAdvisories) {}
  affected(namespace: string, pkg: string): AffectedPackage[] {
    return this.data.affected.filter((a) => a.namespace === namespace && a.package === pkg);
  }
  vulnerability(id: string): VulnerabilityRecord | undefined {
    return this.data.vulnerabilities.find((v) => v.id === id);
  }
  dataSource(id: string): DataSource | undefined {
    return this.data.sources.find((s) => s.id === id);
  }
}

const OS_NAMESPACE_VERSION: Record<string, (v: string) => string> = {
  debian: (v) => v.split('.')[0],
  ubuntu: (v) => v.split('.').slice(0, 2).join('.'),
  alpine: (v) => v.split('.').slice(0, 2).join('.'),
};

/**
 * A deliberately plain matcher with the signature of `matchPackages`: the namespace is `<family>:<release>`
 * for OS packages (by source package) and the ecosystem for language packages; a row is a hit when the
 * installed version is below its fixed version, or when it has none.
 */
export function simpleMatch(os: OsInfo | undefined, packages: Package[], lookup: AdvisoryLookup): { vulnerabilities: DetectedVulnerability[]; notes: string[] } {
  const out: DetectedVulnerability[] = [];
  for (const p of packages) {
    const isOs = p.scheme === 'deb' || p.scheme === 'apk' || p.scheme === 'rpm';
    if (isOs && (!os || !OS_NAMESPACE_VERSION[os.family])) continue;
    const ns = isOs ? `${os!.family}:${OS_NAMESPACE_VERSION[os!.family](os!.version)}` : p.ecosystem;
    const name = isOs ? (p.sourceName ?? p.name) : p.name;
    const version = isOs ? (p.sourceVersion ?? p.version) : p.version;
    for (const a of lookup.affected(ns, name)) {
      if (a.status === 'not-affected') continue;
      if (a.fixedVersion && schemeFor(p.scheme).compare(version, a.fixedVersion) >= 0) continue;
      const rec = lookup.vulnerability(a.vulnerabilityId);
      out.push({
        id: a.vulnerabilityId,
        aliases: rec?.aliases ?? [],
        package: { name: p.name, version: p.version, ecosystem: p.ecosystem, purl: p.purl, sourceName: p.sourceName, sourceVersion: p.sourceVersion, filePath: p.filePath, arch: p.arch },
        installedVersion: p.version,
        ...(a.fixedVersion ? { fixedVersion: a.fixedVersion } : {}),
        status: a.status,
        severity: a.severity ?? rec?.severity ?? 'medium',
        severitySource: a.source,
        cvss: rec?.cvss ?? [],
        ...(rec?.title ? { title: rec.title } : {}),
        references: rec?.references ?? [],
        ...(rec?.references[0] ? { primaryUrl: rec.references[0] } : {}),
        dataSource: lookup.dataSource(a.source) ?? { id: a.source, name: a.source, url: '' },
        ...(p.layer ? { layer: p.layer } : {}),
      } as DetectedVulnerability);
    }
  }
  return { vulnerabilities: out, notes: [] };
}

/** A backend over `data`; `dbPath` names the one path that "exists" (others fail like a missing database). */
export function memoryBackend(data: TestAdvisories, dbPath = '/test/vuln.db', match = simpleMatch): VulnBackend {
  return {
    defaultDbPath: () => dbPath,
    openDb(path: string): VulnDatabase {
      if (path !== dbPath) throw new PalisadeError('E_VULN_DB_MISSING', `no vulnerability database at ${path}: run \`palisade db update\` (or \`palisade db import <file>\`)`);
      const lookup = new MemoryAdvisories(data);
      return Object.assign(lookup, { updatedAt: () => data.updatedAt, sources: () => data.sources, close: () => undefined });
    },
    match: (os, packages, lookup) => match(os, packages, lookup),
  };
}

/** Real Debian 12 files the analyzer tests use: a dpkg status database and the release files. */
const fixtures = fileURLToPath(new URL('../../src/vuln/analyzers/__fixtures__/', import.meta.url));
export const DEBIAN_FIXTURES = {
  dpkgStatus: join(fixtures, 'dpkg/status'),
  osRelease: join(fixtures, 'os-release/debian-12/etc/os-release'),
  debianVersion: join(fixtures, 'os-release/debian-12/etc/debian_version'),
};

/** Advisories that hit libssl3 3.0.19 (fixed later), zlib1g (will not fix) and lodash 4.17.20 (fixed), and one that hits nothing. */
export function sampleAdvisories(updatedAt: string): TestAdvisories {
  const sources: DataSource[] = [
    { id: 'debian-tracker', name: 'Debian Security Tracker', url: 'https://security-tracker.debian.org/tracker/' },
    { id: 'osv:npm', name: 'GitHub Advisory Database (OSV)', url: 'https://osv.dev/list?ecosystem=npm' },
  ];
  return {
    updatedAt,
    sources,
    vulnerabilities: [
      { id: 'CVE-2024-0727', aliases: [], title: 'PKCS12 decoding crashes', severity: 'medium', cvss: [{ version: '3.1', vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:N/I:N/A:H', score: 5.5, source: 'nvd' }], references: ['https://security-tracker.debian.org/tracker/CVE-2024-0727'], cwes: ['CWE-476'], published: '2024-01-26T09:15:00Z' },
      { id: 'CVE-2023-5678', aliases: [], title: 'Excessive time spent in DH check', severity: 'low', cvss: [], references: ['https://security-tracker.debian.org/tracker/CVE-2023-5678'] },
      { id: 'CVE-2023-45853', aliases: [], title: 'Integer overflow in zipOpenNewFileInZip4_6', severity: 'critical', cvss: [{ version: '3.1', vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', score: 9.8, source: 'nvd' }], references: ['https://security-tracker.debian.org/tracker/CVE-2023-45853'] },
      { id: 'GHSA-35jh-r3h4-6jhm', aliases: ['CVE-2021-23337'], title: 'Command Injection in lodash', severity: 'high', cvss: [{ version: '3.1', vector: 'CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H', score: 7.2, source: 'ghsa' }], references: ['https://github.com/advisories/GHSA-35jh-r3h4-6jhm'] },
      { id: 'CVE-2099-0001', aliases: [], title: 'Fixed long ago', severity: 'high', cvss: [], references: [] },
    ],
    affected: [
      { vulnerabilityId: 'CVE-2024-0727', namespace: 'debian:12', package: 'openssl', status: 'fixed', fixedVersion: '3.0.20-1~deb12u1', source: 'debian-tracker' },
      { vulnerabilityId: 'CVE-2023-5678', namespace: 'debian:12', package: 'openssl', status: 'fixed', fixedVersion: '3.0.20-1~deb12u1', severity: 'low', source: 'debian-tracker' },
      { vulnerabilityId: 'CVE-2023-45853', namespace: 'debian:12', package: 'zlib', status: 'will-not-fix', source: 'debian-tracker' },
      { vulnerabilityId: 'GHSA-35jh-r3h4-6jhm', namespace: 'npm', package: 'lodash', status: 'fixed', fixedVersion: '4.17.21', source: 'osv:npm' },
      { vulnerabilityId: 'CVE-2099-0001', namespace: 'debian:12', package: 'openssl', status: 'fixed', fixedVersion: '3.0.0-1', source: 'debian-tracker' },
    ],
  };
}

/**
 * A two-layer image: Debian 12 (release files and the real dpkg status database) in layer 0, and an app with
 * `lodash` 4.17.20 and `@types/node` in `node_modules` in layer 1. Written as an OCI layout at `dir`.
 */
export async function writeSampleImage(dir: string, ref = 'app:1.0'): Promise<BuiltImage> {
  const base = await layer([
    { name: 'etc/os-release', content: readFileSync(DEBIAN_FIXTURES.osRelease) },
    { name: 'etc/debian_version', content: readFileSync(DEBIAN_FIXTURES.debianVersion) },
    { name: 'var/lib/dpkg/status', content: readFileSync(DEBIAN_FIXTURES.dpkgStatus) },
  ]);
  const app = await layer([
    { name: 'app/package.json', content: JSON.stringify({ name: 'app', version: '1.0.0', dependencies: { lodash: '^4.17.0' } }) },
    { name: 'app/node_modules/lodash/package.json', content: JSON.stringify({ name: 'lodash', version: '4.17.20', license: 'MIT' }) },
    { name: 'app/node_modules/@types/node/package.json', content: JSON.stringify({ name: '@types/node', version: '20.11.5', license: 'MIT' }) },
  ]);
  const im = image([base, app], { history: [{ created_by: 'ADD rootfs.tar.xz /' }, { created_by: 'COPY app /app' }] });
  await writeOciLayout(dir, [im], { refs: [ref] });
  return im;
}
