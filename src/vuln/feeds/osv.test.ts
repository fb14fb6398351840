import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { osvArchive } from '../../../test/helpers/feed-mirror.js';
import { mapOsvEcosystem, osv, OSV_ECOSYSTEMS } from './osv.js';

const byId = <T extends { vulnerabilityId: string }>(rows: T[], id: string) => rows.filter((r) => r.vulnerabilityId === id);

describe('osv feed', () => {
  it('names one archive per ecosystem, under the default base or a mirror', () => {
    const docs = osv.documents();
    expect(docs).toHaveLength(OSV_ECOSYSTEMS.length);
    expect(docs.find((d) => d.key === 'npm')).toMatchObject({ path: 'npm/all.zip', location: 'https://osv-vulnerabilities.storage.googleapis.com/npm/all.zip', format: 'zip', source: { id: 'osv:npm' } });
    expect(docs.find((d) => d.key === 'red-hat')?.location).toBe('https://osv-vulnerabilities.storage.googleapis.com/Red%20Hat/all.zip');
    expect(osv.documents('/srv/mirror/osv').find((d) => d.key === 'rocky-linux')?.location).toBe('/srv/mirror/osv/Rocky Linux/all.zip');
    expect(osv.documents('http://mirror.local/osv/').find((d) => d.key === 'crates.io')?.location).toBe('http://mirror.local/osv/crates.io/all.zip');
  });

  it.each([
    ['Debian:12', 'debian', 'debian:12'],
    ['Debian', 'debian', undefined],
    ['Ubuntu:22.04:LTS', 'ubuntu', 'ubuntu:22.04'],
    ['Ubuntu:24.10', 'ubuntu', 'ubuntu:24.10'],
    ['Ubuntu:Pro:18.04:LTS', 'ubuntu', 'ubuntu:18.04:pro'],
    ['Ubuntu:Pro:FIPS:22.04:LTS', 'ubuntu', undefined],
    ['Alpine:v3.19', 'alpine', 'alpine:3.19'],
    ['Red Hat:enterprise_linux:9::appstream', 'red-hat', 'redhat:9'],
    ['Red Hat:enterprise_linux:10.0', 'red-hat', 'redhat:10'],
    ['Red Hat:rhel_eus:9.2::baseos', 'red-hat', undefined],
    ['Red Hat:openshift:4.14::el9', 'red-hat', undefined],
    ['AlmaLinux:9', 'almalinux', 'alma:9'],
    ['Rocky Linux:8', 'rocky-linux', 'rocky:8'],
    ['Wolfi', 'wolfi', 'wolfi:rolling'],
    ['Chainguard', 'chainguard', 'chainguard:rolling'],
    ['PyPI', 'pypi', 'pypi'],
    ['crates.io', 'crates.io', 'crates.io'],
    ['Maven:https://maven.google.com/', 'maven', 'maven'],
  ])('maps ecosystem %s to archive %s, namespace %s', (eco, document, namespace) => {
    expect(mapOsvEcosystem(eco)).toEqual(namespace ? { document, namespace } : { document });
  });
  it('knows no archive for ecosystems it does not fetch', () => {
    expect(mapOsvEcosystem('Hex')).toBeUndefined();
  });

  it('parses the npm archive: ranges, severity, CVSS, aliases; bad records are errors naming the entry', () => {
    const r = osv.parse('npm', osvArchive('npm'));
    expect(r.documentError).toBeUndefined();
    expect(r.vulnerabilities.map((v) => v.id).sort()).toEqual(['GHSA-35jh-r3h4-6jhm', 'GHSA-9999-bad3-0003', 'GHSA-gxr4-xjj5-5px2', 'GHSA-p6mc-m468-83gw', 'MAL-2022-1378']);
    const cmd = r.vulnerabilities.find((v) => v.id === 'GHSA-35jh-r3h4-6jhm')!;
    expect(cmd).toMatchObject({ aliases: ['CVE-2021-23337'], title: 'Command Injection in lodash', severity: 'high', vendorSeverity: { 'osv:npm': 'high' }, cwes: ['CWE-77', 'CWE-94'], published: '2021-05-06T16:05:51Z' });
    expect(cmd.cvss).toEqual([{ version: '3.1', vector: 'CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H', score: 7.2, source: 'ghsa' }]);
    expect(cmd.references[0]).toBe('https://nvd.nist.gov/vuln/detail/CVE-2021-23337');
    expect(byId(r.affected, 'GHSA-35jh-r3h4-6jhm')).toEqual([
      { vulnerabilityId: 'GHSA-35jh-r3h4-6jhm', namespace: 'npm', package: 'lodash', status: 'fixed', fixedVersion: '4.17.21', ranges: [{ fixed: '4.17.21' }], source: 'osv:npm' },
      { vulnerabilityId: 'GHSA-35jh-r3h4-6jhm', namespace: 'npm', package: 'lodash-es', status: 'fixed', fixedVersion: '4.17.21', ranges: [{ fixed: '4.17.21' }], source: 'osv:npm' },
    ]);
    expect(byId(r.affected, 'GHSA-p6mc-m468-83gw').map((a) => [a.package, a.status, a.ranges])).toEqual([
      ['lodash', 'fixed', [{ introduced: '3.7.0', fixed: '4.17.19' }]],
      ['lodash.zipobjectdeep', 'affected', [{ lastAffected: '4.4.2' }]],
    ]);
    // The jQuery advisory also names NuGet and RubyGems packages: those rows belong to their own archives.
    expect(byId(r.affected, 'GHSA-gxr4-xjj5-5px2').map((a) => a.namespace)).toEqual(['npm']);
    const jq = r.vulnerabilities.find((v) => v.id === 'GHSA-gxr4-xjj5-5px2')!;
    expect(jq.severity).toBe('medium');
    expect(jq.cvss.map((c) => [c.version, c.score])).toEqual([['3.1', 6.1], ['4.0', 5.3]]);
    expect(byId(r.affected, 'MAL-2022-1378')).toEqual([{ vulnerabilityId: 'MAL-2022-1378', namespace: 'npm', package: 'discord-selfbot-v14', status: 'affected', ranges: [{}], source: 'osv:npm' }]);
    // Withdrawn: skipped, not an error.
    expect(r.vulnerabilities.some((v) => v.id === 'GHSA-9999-wdrn-0004')).toBe(false);
    expect(r.skipped).toBe(1);
    const messages = r.errors.map((e) => `${e.document} ${e.entry}: ${e.message}`);
    expect(messages).toHaveLength(3);
    expect(messages).toContainEqual(expect.stringMatching(/^npm GHSA-9999-bad1-0001\.json: not an OSV record: modified: /));
    expect(messages).toContainEqual(expect.stringMatching(/^npm GHSA-9999-bad2-0002\.json: not valid JSON/));
    expect(messages).toContainEqual(expect.stringMatching(/^npm GHSA-9999-bad3-0003\.json: GHSA-9999-bad3-0003: severity\[0\]: .*lacks a base metric \(vector left out\)/));
    // The record with the bad vector is still imported, without it.
    expect(r.vulnerabilities.find((v) => v.id === 'GHSA-9999-bad3-0003')?.cvss).toEqual([]);
  });

  it('parses PyPI: PEP 503 names, GIT ranges ignored, explicit versions kept', () => {
    const r = osv.parse('pypi', osvArchive('PyPI'));
    expect(r.errors).toEqual([]);
    expect(byId(r.affected, 'GHSA-h5c8-rqwp-cp95')).toMatchObject([{ namespace: 'pypi', package: 'jinja2', fixedVersion: '3.1.3' }]);
    expect(byId(r.affected, 'PYSEC-2023-74')).toEqual([
      { vulnerabilityId: 'PYSEC-2023-74', namespace: 'pypi', package: 'requests', status: 'fixed', fixedVersion: '2.31.0', ranges: [{ introduced: '2.3.0', fixed: '2.31.0' }], versions: ['2.3.0', '2.4.0', '2.30.0'], source: 'osv:pypi' },
    ]);
    // The GIT-only entry cannot match a version: left out.
    expect(r.skipped).toBe(1);
    expect(r.vulnerabilities.find((v) => v.id === 'PYSEC-2023-74')).toMatchObject({ aliases: ['CVE-2023-32681', 'GHSA-j8r2-6x86-q33q'], cvss: [] });
  });

  it('parses distribution archives into release namespaces with the vendor severity', () => {
    const deb = osv.parse('debian', osvArchive('Debian'));
    expect(deb.errors).toEqual([]);
    expect(byId(deb.affected, 'DEBIAN-CVE-2023-0286')).toEqual([
      { vulnerabilityId: 'DEBIAN-CVE-2023-0286', namespace: 'debian:11', package: 'openssl', status: 'fixed', fixedVersion: '1.1.1n-0+deb11u4', ranges: [{ fixed: '1.1.1n-0+deb11u4' }], severity: 'high', source: 'osv:debian' },
      { vulnerabilityId: 'DEBIAN-CVE-2023-0286', namespace: 'debian:12', package: 'openssl', status: 'fixed', fixedVersion: '3.0.8-1', ranges: [{ fixed: '3.0.8-1' }], source: 'osv:debian' },
    ]);
    expect(deb.vulnerabilities.find((v) => v.id === 'DEBIAN-CVE-2023-0286')?.aliases).toEqual(['CVE-2023-0286']);

    const ubu = osv.parse('ubuntu', osvArchive('Ubuntu'));
    expect(ubu.affected.map((a) => [a.namespace, a.status, a.fixedVersion, a.severity])).toEqual([
      ['ubuntu:22.04', 'fixed', '1:8.9p1-3ubuntu0.10', 'high'],
      ['ubuntu:24.04', 'fixed', '1:9.6p1-3ubuntu13.3', 'high'],
      ['ubuntu:18.04:pro', 'affected', undefined, 'high'],
    ]);
    expect(ubu.skipped).toBe(1);
    expect(ubu.vulnerabilities[0]).toMatchObject({ severity: 'high', cvss: [{ version: '3.1', score: 8.1, source: 'ubuntu' }] });

    const alp = osv.parse('alpine', osvArchive('Alpine'));
    expect(alp.affected.map((a) => a.namespace)).toEqual(['alpine:3.19', 'alpine:3.18']);
  });

  it('parses the Red Hat archive: RHEL majors only, one row per release, module streams from the purl', () => {
    const r = osv.parse('red-hat', osvArchive('Red Hat'));
    expect(r.errors).toEqual([]);
    expect(byId(r.affected, 'RHSA-2023:5453').map((a) => [a.namespace, a.package, a.fixedVersion, a.severity])).toEqual([
      ['redhat:9', 'glibc', '0:2.34-60.el9_2.7', 'high'],
      ['redhat:9', 'glibc-common', '0:2.34-60.el9_2.7', 'high'],
    ]);
    // The EUS stream row is out of scope.
    expect(r.skipped).toBe(1);
    expect(byId(r.affected, 'RHSA-2024:1444').map((a) => [a.namespace, a.package, a.module, a.severity])).toEqual([
      ['redhat:8', 'nodejs', 'nodejs:18', 'medium'],
      ['redhat:8', 'npm', 'nodejs:18', 'medium'],
    ]);
    const rec = r.vulnerabilities.find((v) => v.id === 'RHSA-2023:5453')!;
    expect(rec).toMatchObject({ severity: 'high', vendorSeverity: { 'osv:red-hat': 'high' }, aliases: ['CVE-2023-4527', 'CVE-2023-4806', 'CVE-2023-4911'] });
    expect(rec.cvss[0]).toMatchObject({ score: 7.8, source: 'redhat' });

    const rocky = osv.parse('rocky-linux', osvArchive('Rocky Linux'));
    expect(rocky.affected).toMatchObject([{ namespace: 'rocky:9', package: 'glibc', fixedVersion: '2.34-60.el9_2.7', severity: 'high', source: 'osv:rocky-linux' }]);
  });

  it('fails the whole archive when it is damaged, and names it', () => {
    const good = osvArchive('npm');
    const truncated = osv.parse('npm', good.subarray(0, good.length - 100));
    expect(truncated.documentError).toMatch(/^npm\/all\.zip: /);
    expect(truncated.vulnerabilities).toEqual([]);
    expect(osv.parse('npm', new TextEncoder().encode('<html>Service Unavailable</html>')).documentError).toMatch(/npm\/all\.zip: not a zip archive/);
    const stored = zipSync({ 'GHSA-35jh-r3h4-6jhm.json': new TextEncoder().encode('{"id":"GHSA-35jh-r3h4-6jhm","modified":"2024-01-01T00:00:00Z"}') }, { level: 0 });
    const i = Buffer.from(stored).indexOf('modified');
    stored[i] = 'M'.charCodeAt(0);
    expect(osv.parse('npm', stored).documentError).toMatch(/CRC-32 mismatch/);
  });

  it('keeps the first of two records with the same id', () => {
    const rec = (summary: string) => new TextEncoder().encode(JSON.stringify({ id: 'GHSA-aaaa-bbbb-cccc', modified: '2024-01-01T00:00:00Z', summary, affected: [{ package: { ecosystem: 'Go', name: 'golang.org/x/net' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '0.23.0' }] }] }] }));
    const r = osv.parse('go', zipSync({ 'a.json': rec('first'), 'b.json': rec('second') }));
    expect(r.vulnerabilities.map((v) => v.title)).toEqual(['first']);
    expect(r.errors).toEqual([{ document: 'go', entry: 'b.json', message: 'GHSA-aaaa-bbbb-cccc appears twice in the archive; the first one is kept' }]);
    expect(r.affected).toMatchObject([{ namespace: 'go', package: 'golang.org/x/net', fixedVersion: '0.23.0' }]);
  });
});
