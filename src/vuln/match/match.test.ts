import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import type { AdvisoryLookup, AffectedPackage, DataSource, VulnerabilityRecord } from '../../model/advisory.js';
import type { OsInfo, Package } from '../../model/package.js';
import { matchPackages, parseEolTable } from './index.js';

const EOL = parseEolTable(parse(readFileSync(join(import.meta.dirname, '../../../content/vuln/eol.yaml'), 'utf8')), 'eol.yaml');
const NOW = new Date('2024-04-01T00:00:00Z');

/** An in-memory lookup over a few rows, counting its queries. */
function lookup(rows: AffectedPackage[], records: VulnerabilityRecord[] = [], sources: DataSource[] = []): AdvisoryLookup & { queries: string[] } {
  const queries: string[] = [];
  return {
    queries,
    affected: (ns, pkg) => {
      queries.push(`${ns}/${pkg}`);
      return rows.filter((r) => r.namespace === ns && r.package === pkg).map((r) => ({ ...r }));
    },
    vulnerability: (id) => records.find((r) => r.id === id),
    dataSource: (id) => sources.find((s) => s.id === id),
  };
}

function row(over: Partial<AffectedPackage> & Pick<AffectedPackage, 'vulnerabilityId' | 'namespace' | 'package'>): AffectedPackage {
  return { status: 'fixed', source: 'test', ...over };
}

function pkg(over: Partial<Package> & Pick<Package, 'name' | 'version'>): Package {
  return { ecosystem: 'debian', scheme: 'deb', purl: `pkg:x/${over.name}@${over.version}`, ...over };
}

const ids = (r: { vulnerabilities: Array<{ id: string }> }) => r.vulnerabilities.map((v) => v.id);

describe('Debian', () => {
  const os: OsInfo = { family: 'debian', version: '12.5' };
  const db = lookup(
    [
      row({ vulnerabilityId: 'CVE-2024-1', namespace: 'debian:12', package: 'openssl', fixedVersion: '3.0.13-1~deb12u1', severity: 'high', source: 'debian-tracker' }),
      row({ vulnerabilityId: 'CVE-2024-2', namespace: 'debian:12', package: 'openssl', status: 'will-not-fix', source: 'debian-tracker' }),
      row({ vulnerabilityId: 'CVE-2024-3', namespace: 'debian:12', package: 'openssl', status: 'not-affected', source: 'debian-tracker' }),
      row({ vulnerabilityId: 'CVE-2024-4', namespace: 'debian:11', package: 'openssl', status: 'affected', source: 'debian-tracker' }),
    ],
    [{ id: 'CVE-2024-1', aliases: [], title: 'openssl: overflow', cvss: [], references: [] }],
    [{ id: 'debian-tracker', name: 'Debian Security Tracker', url: 'https://security-tracker.debian.org/tracker/' }],
  );

  it('matches binaries by their source package and version, reports unfixed, never not-affected', () => {
    const r = matchPackages(os, [pkg({ name: 'libssl3', version: '3.0.11-1~deb12u2', sourceName: 'openssl', sourceVersion: '3.0.11-1~deb12u2', arch: 'amd64' })], db, { now: NOW, eol: EOL });
    expect(r.vulnerabilities.map((v) => [v.id, v.package.name, v.installedVersion, v.fixedVersion, v.status, v.severity, v.severitySource])).toEqual([
      ['CVE-2024-1', 'libssl3', '3.0.11-1~deb12u2', '3.0.13-1~deb12u1', 'fixed', 'high', 'debian-tracker'],
      ['CVE-2024-2', 'libssl3', '3.0.11-1~deb12u2', undefined, 'will-not-fix', 'medium', undefined],
    ]);
    expect(r.vulnerabilities[0]).toMatchObject({ title: 'openssl: overflow', primaryUrl: 'https://security-tracker.debian.org/tracker/CVE-2024-1', dataSource: { name: 'Debian Security Tracker' }, package: { sourceName: 'openssl', arch: 'amd64' } });
    expect(db.queries).toEqual(['debian:12/openssl']);
    expect(r.notes).toEqual([]);
  });

  it('notes an end-of-life release, and skips versions dpkg refuses', () => {
    const r = matchPackages({ family: 'debian', version: '9.13' }, [pkg({ name: 'x', version: 'not a version!' })], lookup([]), { now: NOW, eol: EOL });
    expect(r.notes).toContain('debian 9 (stretch) reached its end of life on 2022-06-30: its advisories are no longer updated, so findings may be incomplete');
    expect(r.notes).toContain('1 package not matched: version not valid for its scheme');
  });

  it('maps testing codenames through the end-of-life table, and says why unstable is not matched', () => {
    const db2 = lookup([row({ vulnerabilityId: 'CVE-9', namespace: 'debian:13', package: 'zlib', status: 'affected' })]);
    expect(ids(matchPackages({ family: 'debian', version: 'trixie/sid' }, [pkg({ name: 'zlib1g', version: '1:1.3', sourceName: 'zlib' })], db2, { now: NOW, eol: EOL }))).toEqual(['CVE-9']);
    const sid = matchPackages({ family: 'debian', version: 'sid' }, [pkg({ name: 'zlib1g', version: '1:1.3', sourceName: 'zlib' })], db2, { now: NOW, eol: EOL });
    expect(sid.vulnerabilities).toEqual([]);
    expect(sid.notes.join('\n')).toMatch(/no release number.*\n1 OS package not matched/);
  });

  it('keeps the CVE id when another source names the same vulnerability by its own id', () => {
    const db2 = lookup(
      [
        row({ vulnerabilityId: 'CVE-2024-1', namespace: 'debian:12', package: 'openssl', fixedVersion: '3.0.13-1', source: 'debian-tracker' }),
        row({ vulnerabilityId: 'DEBIAN-CVE-2024-1', namespace: 'debian:12', package: 'openssl', fixedVersion: '3.0.13-1', source: 'osv:debian' }),
      ],
      [{ id: 'DEBIAN-CVE-2024-1', aliases: ['CVE-2024-1'], cvss: [], references: [] }],
    );
    const r = matchPackages(os, [pkg({ name: 'openssl', version: '3.0.11-1', sourceName: 'openssl' })], db2, { now: NOW });
    expect(r.vulnerabilities.map((v) => [v.id, v.aliases])).toEqual([['CVE-2024-1', ['DEBIAN-CVE-2024-1']]]);
  });
});

describe('Ubuntu', () => {
  const rows = [
    row({ vulnerabilityId: 'CVE-1', namespace: 'ubuntu:18.04', package: 'curl', status: 'affected' }),
    row({ vulnerabilityId: 'CVE-2', namespace: 'ubuntu:18.04:pro', package: 'curl', fixedVersion: '7.58.0-2ubuntu3.24+esm1' }),
  ];
  const p = [pkg({ ecosystem: 'ubuntu', name: 'libcurl4', version: '7.58.0-2ubuntu3.20', sourceName: 'curl' })];

  it('uses the release while in standard support, and Ubuntu Pro once ESM carries it', () => {
    expect(ids(matchPackages({ family: 'ubuntu', version: '18.04-ESM' }, p, lookup(rows), { now: new Date('2023-01-01'), eol: EOL }))).toEqual(['CVE-1']);
    expect(ids(matchPackages({ family: 'ubuntu', version: '18.04-ESM' }, p, lookup(rows), { now: NOW, eol: EOL }))).toEqual(['CVE-2']);
    const plain = matchPackages({ family: 'ubuntu', version: '18.04' }, p, lookup(rows), { now: NOW, eol: EOL });
    expect(ids(plain)).toEqual(['CVE-1']);
    expect(plain.notes[0]).toMatch(/ubuntu 18\.04 \(bionic\) reached its end of life on 2023-05-31 \(extended support until 2028-05-31\)/);
  });
});

describe('Alpine, Wolfi and Chainguard', () => {
  const rows = [
    row({ vulnerabilityId: 'CVE-1', namespace: 'alpine:3.19', package: 'openssl', fixedVersion: '3.1.4-r1' }),
    row({ vulnerabilityId: 'CVE-2', namespace: 'alpine:3.20', package: 'openssl', fixedVersion: '3.3.1-r0' }),
    row({ vulnerabilityId: 'CVE-3', namespace: 'alpine:3.19', package: 'openssl', status: 'affected', ranges: [{ introduced: '3.2.0' }] }),
    row({ vulnerabilityId: 'CVE-4', namespace: 'alpine:edge', package: 'openssl', fixedVersion: '3.3.2-r0' }),
    row({ vulnerabilityId: 'CVE-5', namespace: 'wolfi:rolling', package: 'openssl', fixedVersion: '3.3.2-r0' }),
    row({ vulnerabilityId: 'CVE-6', namespace: 'wolfi:rolling', package: 'openssl', status: 'affected' }),
  ];
  const libssl = (version: string) => pkg({ ecosystem: 'alpine', scheme: 'apk', name: 'libssl3', version, sourceName: 'openssl' });

  it('matches the origin in the branch, honouring introduced versions', () => {
    expect(ids(matchPackages({ family: 'alpine', version: '3.19.1' }, [libssl('3.1.4-r0')], lookup(rows), { now: NOW }))).toEqual(['CVE-1']);
  });

  it('follows a newer configured repository, and edge', () => {
    expect(ids(matchPackages({ family: 'alpine', version: '3.19.1', repositoryRelease: 'v3.20' }, [libssl('3.1.4-r0')], lookup(rows), { now: NOW }))).toEqual(['CVE-2']);
    expect(ids(matchPackages({ family: 'alpine', version: '3.20.1', repositoryRelease: '3.19' }, [libssl('3.1.4-r0')], lookup(rows), { now: NOW }))).toEqual(['CVE-2']);
    expect(ids(matchPackages({ family: 'alpine', version: '3.21.0_alpha20240807' }, [libssl('3.3.1-r0')], lookup(rows), { now: NOW }))).toEqual(['CVE-4']);
  });

  it('reports fixes only on Wolfi', () => {
    expect(ids(matchPackages({ family: 'wolfi', version: '20230201' }, [libssl('3.3.1-r0')], lookup(rows), { now: NOW }))).toEqual(['CVE-5']);
  });
});

describe('the Red Hat family', () => {
  const rows = [
    row({ vulnerabilityId: 'CVE-1', namespace: 'redhat:8', package: 'php', module: 'php:7.4', fixedVersion: '0:7.4.30-1.module+el8.7.0+1+a' }),
    row({ vulnerabilityId: 'CVE-2', namespace: 'redhat:8', package: 'php', fixedVersion: '7.2.99-1.el8' }),
    row({ vulnerabilityId: 'CVE-3', namespace: 'redhat:8', package: 'kernel', fixedVersion: '4.18.0-500.el8', arches: ['aarch64'] }),
    row({ vulnerabilityId: 'CVE-4', namespace: 'redhat:8', package: 'kernel', fixedVersion: '4.18.0-400.el8', arches: ['x86_64'] }),
    row({ vulnerabilityId: 'CVE-5', namespace: 'redhat:8', package: 'expat', status: 'will-not-fix' }),
    row({ vulnerabilityId: 'CVE-5', namespace: 'redhat:8', package: 'expat', fixedVersion: '2.2.5-10.el8' }),
    row({ vulnerabilityId: 'CVE-6', namespace: 'redhat:8', package: 'expat', fixedVersion: '2.2.5-12.el8' }),
    row({ vulnerabilityId: 'CVE-6', namespace: 'redhat:8', package: 'expat', fixedVersion: '2.2.5-13.el8' }),
  ];
  const rhel: OsInfo = { family: 'redhat', version: '8.9' };
  const rp = (over: Partial<Package> & Pick<Package, 'name' | 'version'>) => pkg({ ecosystem: 'redhat', scheme: 'rpm', ...over });

  it('matches module streams only with their own stream', () => {
    const r = matchPackages(rhel, [rp({ name: 'php', version: '7.4.19-1.module+el8.5.0+1+b', module: 'php:7.4' }), rp({ name: 'php', version: '7.2.10-1.el8' })], lookup(rows), { now: NOW });
    expect(r.vulnerabilities.map((v) => [v.id, v.installedVersion, v.fixedVersion])).toEqual([
      ['CVE-1', '7.4.19-1.module+el8.5.0+1+b', '7.4.30-1.module+el8.7.0+1+a'],
      ['CVE-2', '7.2.10-1.el8', '7.2.99-1.el8'],
    ]);
  });

  it('respects architectures, with noarch matching every row', () => {
    expect(ids(matchPackages(rhel, [rp({ name: 'kernel', version: '4.18.0-300.el8', arch: 'x86_64' })], lookup(rows), { now: NOW }))).toEqual(['CVE-4']);
    expect(ids(matchPackages(rhel, [rp({ name: 'kernel', version: '4.18.0-300.el8', arch: 'noarch' })], lookup(rows), { now: NOW }))).toEqual(['CVE-3', 'CVE-4']);
  });

  it('drops a will-not-fix row once an erratum for the CVE is installed, and reports the newest fix', () => {
    const r = matchPackages(rhel, [rp({ name: 'expat', version: '2.2.5-11.el8' })], lookup(rows), { now: NOW });
    expect(r.vulnerabilities.map((v) => [v.id, v.fixedVersion])).toEqual([['CVE-6', '2.2.5-13.el8']]);
  });

  it('matches CentOS against Red Hat data, skips Remi builds, and leaves rpm databases of other families alone', () => {
    const db = lookup(rows);
    const r = matchPackages({ family: 'centos', version: '8.5.2111' }, [rp({ name: 'php', version: '7.2.10-1.el8' }), rp({ name: 'php-cli', version: '7.4.33-1.el8.remi', sourceName: 'php' })], db, { now: NOW, eol: EOL });
    expect(ids(r)).toEqual(['CVE-2']);
    expect(r.notes).toContain('1 package skipped: built by the Remi repository, not Red Hat');
    expect(r.notes.some((n) => n.startsWith('centos 8 reached its end of life on 2021-12-31'))).toBe(true);
    const onDebian = matchPackages({ family: 'debian', version: '12' }, [rp({ name: 'php', version: '7.2.10-1.el8' })], db, { now: NOW });
    expect(onDebian.vulnerabilities).toEqual([]);
    expect(onDebian.notes).toEqual(["1 OS package not matched: their package format is not debian's"]);
  });

  it('keeps Oracle Ksplice and FIPS builds on their own lines', () => {
    const ol = lookup([
      row({ vulnerabilityId: 'CVE-7', namespace: 'oracle:8', package: 'glibc', fixedVersion: '2:2.28-200.0.1.ksplice1.el8' }),
      row({ vulnerabilityId: 'CVE-7', namespace: 'oracle:8', package: 'glibc', fixedVersion: '2.28-200.0.1.el8' }),
      row({ vulnerabilityId: 'CVE-8', namespace: 'oracle:8', package: 'gnutls', fixedVersion: '10:3.6.16-4.0.1.el8_fips' }),
      row({ vulnerabilityId: 'CVE-8', namespace: 'oracle:8', package: 'gnutls', fixedVersion: '3.6.16-4.el8' }),
    ]);
    const r = matchPackages({ family: 'oracle', version: '8.9' }, [rp({ name: 'glibc', version: '2.28-150.el8' }), rp({ name: 'gnutls', version: '10:3.6.15-1.el8_fips' })], ol, { now: NOW });
    expect(r.vulnerabilities.map((v) => [v.package.name, v.fixedVersion])).toEqual([
      ['glibc', '2.28-200.0.1.el8'],
      ['gnutls', '10:3.6.16-4.0.1.el8_fips'],
    ]);
  });

  it('maps Amazon Linux versions to their namespaces', () => {
    const db = lookup([row({ vulnerabilityId: 'CVE-9', namespace: 'amazon:2023', package: 'curl', fixedVersion: '8.5.0-1.amzn2023' }), row({ vulnerabilityId: 'CVE-10', namespace: 'amazon:1', package: 'curl', fixedVersion: '9' })]);
    const curl = [rp({ ecosystem: 'amazon', name: 'curl', version: '8.0.1-1.amzn2023' })];
    expect(ids(matchPackages({ family: 'amazon', version: '2023.3.20240304' }, curl, db, { now: NOW }))).toEqual(['CVE-9']);
    expect(ids(matchPackages({ family: 'amazon', version: '2018.03' }, curl, db, { now: NOW }))).toEqual(['CVE-10']);
  });
});

describe('language packages', () => {
  const db = lookup(
    [
      row({ vulnerabilityId: 'GHSA-aaaa-bbbb-cccc', namespace: 'npm', package: 'lodash', ranges: [{ introduced: '0', fixed: '4.17.21' }], fixedVersion: '4.17.21', source: 'osv:npm' }),
      row({ vulnerabilityId: 'GHSA-dddd-eeee-ffff', namespace: 'pypi', package: 'jinja2', status: 'affected', versions: ['2.10'], source: 'osv:pypi' }),
    ],
    [
      {
        id: 'GHSA-aaaa-bbbb-cccc',
        aliases: ['CVE-2021-23337'],
        cvss: [{ version: '3.1', vector: 'CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H', score: Number.NaN, source: 'ghsa' }],
        references: [],
      },
    ],
  );

  it('matches ranges and listed versions with the package scheme, scoring CVSS vectors that lack a score', () => {
    const r = matchPackages(undefined, [pkg({ ecosystem: 'npm', scheme: 'semver', name: 'lodash', version: '4.17.20' }), pkg({ ecosystem: 'pypi', scheme: 'pep440', name: 'Jinja2', version: '2.10' })], db, { now: NOW });
    expect(r.vulnerabilities.map((v) => [v.id, v.package.name, v.fixedVersion, v.status, v.severity, v.severitySource, v.cvss[0]?.score])).toEqual([
      ['GHSA-aaaa-bbbb-cccc', 'lodash', '4.17.21', 'fixed', 'high', 'ghsa', 7.2],
      ['GHSA-dddd-eeee-ffff', 'Jinja2', undefined, 'affected', 'medium', undefined, undefined],
    ]);
    expect(r.vulnerabilities[0].primaryUrl).toBe('https://github.com/advisories/GHSA-aaaa-bbbb-cccc');
  });
});

describe('severity, order and duplicates', () => {
  it('prefers the row, then the source, then the record, then CVSS; sorts by severity then id; reports a package once', () => {
    const db = lookup(
      [
        row({ vulnerabilityId: 'CVE-B', namespace: 'debian:12', package: 'a', status: 'affected', source: 'src' }),
        row({ vulnerabilityId: 'CVE-A', namespace: 'debian:12', package: 'a', status: 'affected', source: 'src' }),
        row({ vulnerabilityId: 'CVE-C', namespace: 'debian:12', package: 'a', status: 'affected', source: 'src', severity: 'low' }),
        row({ vulnerabilityId: 'CVE-D', namespace: 'debian:12', package: 'a', status: 'affected', source: 'src' }),
      ],
      [
        { id: 'CVE-A', aliases: [], severity: 'critical', vendorSeverity: { src: 'high', nvd: 'critical' }, cvss: [], references: [] },
        { id: 'CVE-B', aliases: [], severity: 'high', vendorSeverity: { nvd: 'high' }, cvss: [], references: [] },
        { id: 'CVE-C', aliases: [], severity: 'critical', cvss: [], references: [] },
        { id: 'CVE-D', aliases: [], cvss: [{ version: '3.1', vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', score: 9.8, source: 'nvd' }], references: [] },
      ],
    );
    const a = pkg({ name: 'a', version: '1.0', sourceName: 'a' });
    const r = matchPackages({ family: 'debian', version: '12' }, [a, { ...a }], db, { now: NOW });
    expect(r.vulnerabilities.map((v) => [v.id, v.severity, v.severitySource])).toEqual([
      ['CVE-D', 'critical', 'nvd'],
      ['CVE-A', 'high', 'src'],
      ['CVE-B', 'high', 'nvd'],
      ['CVE-C', 'low', 'src'],
    ]);
  });

  it('says so when no OS was identified', () => {
    const r = matchPackages(undefined, [pkg({ name: 'bash', version: '5.2-1' })], lookup([]), { now: NOW });
    expect(r.notes).toEqual(['1 OS package not matched: no operating system was identified']);
  });
});

describe('batch reads', () => {
  /** `lookup` with the batch forms too, counting each batch call. */
  function batchLookup(rows: AffectedPackage[], records: VulnerabilityRecord[] = []) {
    const one = lookup(rows, records);
    const batches: string[] = [];
    return {
      ...one,
      batches,
      affectedMany: (ns: string, pkgs: readonly string[]) => {
        batches.push(`${ns}: ${[...pkgs].join(',')}`);
        const out = new Map<string, AffectedPackage[]>();
        for (const p of pkgs) {
          const found = rows.filter((r) => r.namespace === ns && r.package === p).map((r) => ({ ...r }));
          if (found.length) out.set(p, found);
        }
        return out;
      },
      vulnerabilities: (list: readonly string[]) => {
        batches.push(`records: ${[...list].join(',')}`);
        return new Map(records.filter((r) => list.includes(r.id)).map((r) => [r.id, r]));
      },
    } satisfies AdvisoryLookup & { batches: string[] };
  }

  const rows = [
    row({ vulnerabilityId: 'CVE-2024-1', namespace: 'debian:12', package: 'openssl', fixedVersion: '3.0.13-1', source: 'debian-tracker' }),
    row({ vulnerabilityId: 'DEBIAN-CVE-2024-1', namespace: 'debian:12', package: 'openssl', fixedVersion: '3.0.14-1', source: 'osv:debian' }),
    row({ vulnerabilityId: 'CVE-2024-2', namespace: 'debian:12', package: 'openssl', status: 'will-not-fix', source: 'debian-tracker' }),
    row({ vulnerabilityId: 'CVE-2024-5', namespace: 'debian:12', package: 'zlib', fixedVersion: 'not a version!', source: 'debian-tracker' }),
    row({ vulnerabilityId: 'GHSA-aaaa-bbbb-cccc', namespace: 'npm', package: 'lodash', ranges: [{ introduced: '0', fixed: '4.17.21' }], source: 'osv:npm' }),
  ];
  const records: VulnerabilityRecord[] = [
    { id: 'DEBIAN-CVE-2024-1', aliases: ['CVE-2024-1'], cvss: [], references: [] },
    { id: 'GHSA-aaaa-bbbb-cccc', aliases: ['CVE-2021-23337'], title: 'lodash: prototype pollution', cvss: [], references: [] },
  ];
  const packages = [
    pkg({ name: 'libssl3', version: '3.0.11-1', sourceName: 'openssl', arch: 'amd64' }),
    pkg({ name: 'openssl', version: '3.0.11-1', sourceName: 'openssl', arch: 'amd64' }),
    pkg({ name: 'zlib1g', version: '1:1.2.13', sourceName: 'zlib' }),
    pkg({ name: 'bad', version: 'not a version!' }),
    pkg({ ecosystem: 'npm', scheme: 'semver', name: 'lodash', version: '4.17.20', filePath: 'app/node_modules/lodash/package.json' }),
    pkg({ ecosystem: 'npm', scheme: 'semver', name: 'lodash', version: '4.17.20', filePath: 'lib/node_modules/lodash/package.json' }),
  ];
  const os: OsInfo = { family: 'debian', version: '12.5' };

  it('finds what one read per package finds, with one read per namespace and one for the records', () => {
    const batched = batchLookup(rows, records);
    const r = matchPackages(os, packages, batched, { now: NOW, eol: EOL });
    expect(r).toEqual(matchPackages(os, packages, lookup(rows, records), { now: NOW, eol: EOL }));
    expect(batched.queries).toEqual([]);
    expect(batched.batches).toEqual(['debian:12: openssl,zlib', 'npm: lodash', 'records: CVE-2024-1,DEBIAN-CVE-2024-1,CVE-2024-2,GHSA-aaaa-bbbb-cccc']);
    expect(r.vulnerabilities.map((v) => [v.id, v.package.name, v.fixedVersion ?? null, v.aliases])).toEqual([
      ['CVE-2024-1', 'libssl3', '3.0.13-1', ['DEBIAN-CVE-2024-1']],
      ['CVE-2024-1', 'openssl', '3.0.13-1', ['DEBIAN-CVE-2024-1']],
      ['CVE-2024-2', 'libssl3', null, []],
      ['CVE-2024-2', 'openssl', null, []],
      ['GHSA-aaaa-bbbb-cccc', 'lodash', '4.17.21', ['CVE-2021-23337']],
      ['GHSA-aaaa-bbbb-cccc', 'lodash', '4.17.21', ['CVE-2021-23337']],
    ]);
    expect(r.notes).toContain('1 package not matched: version not valid for its scheme');
    expect(r.notes.some((n) => n.startsWith('advisory row ignored: CVE-2024-5 (debian-tracker, debian:12/zlib)'))).toBe(true);
  });
});
