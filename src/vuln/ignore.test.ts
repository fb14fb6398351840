import { describe, expect, it } from 'vitest';
import type { DetectedVulnerability } from '../model/advisory.js';
import { applyIgnores, isExpired, packageMatches, type IgnoreRule } from './ignore.js';

function vuln(id: string, name: string, version: string, extra: Partial<DetectedVulnerability> = {}): DetectedVulnerability {
  return {
    id,
    aliases: [],
    package: { name, version, ecosystem: 'npm', purl: `pkg:npm/${name}@${version}` },
    installedVersion: version,
    status: 'fixed',
    fixedVersion: '9.9.9',
    severity: 'high',
    cvss: [],
    references: [],
    dataSource: { id: 'osv:npm', name: 'OSV', url: 'https://osv.dev' },
    ...extra,
  };
}

const now = new Date('2026-06-15T12:00:00Z');
const rule = (r: Partial<IgnoreRule> & { id: string }, line = 1): IgnoreRule => ({ reason: 'accepted', source: `.palisadeignore.yaml:${line}`, ...r });

describe('ignore entries', () => {
  const lodash = vuln('GHSA-35jh-r3h4-6jhm', 'lodash', '4.17.20', { aliases: ['CVE-2021-23337'] });
  const minimist = vuln('CVE-2021-44906', 'minimist', '1.2.5');
  const lodashOld = vuln('GHSA-35jh-r3h4-6jhm', 'lodash', '3.10.1', { aliases: ['CVE-2021-23337'] });

  it('match by id or alias, in any case, and keep what they suppress with the entry', () => {
    const out = applyIgnores([lodash, minimist], [rule({ id: 'cve-2021-23337' })], now);
    expect(out.kept).toEqual([minimist]);
    expect(out.ignored).toEqual([{ ...lodash, ignore: { id: 'cve-2021-23337', reason: 'accepted', source: '.palisadeignore.yaml:1' } }]);
    expect(out.issues).toEqual([]);
  });

  it('limit to one package by name, name@version or purl with or without version', () => {
    expect(packageMatches('lodash', lodash)).toBe(true);
    expect(packageMatches('lodash@4.17.20', lodash)).toBe(true);
    expect(packageMatches('lodash@3.10.1', lodash)).toBe(false);
    expect(packageMatches('pkg:npm/lodash', lodash)).toBe(true);
    expect(packageMatches('pkg:npm/lodash@4.17.20', lodash)).toBe(true);
    expect(packageMatches('pkg:npm/lodash@4.17.2', lodash)).toBe(false);
    expect(packageMatches('pkg:npm/lodas', lodash)).toBe(false);
    const out = applyIgnores([lodash, lodashOld], [rule({ id: 'GHSA-35jh-r3h4-6jhm', package: 'lodash@3.10.1' })], now);
    expect(out.kept).toEqual([lodash]);
    expect(out.ignored.map((v) => v.installedVersion)).toEqual(['3.10.1']);
  });

  it('match a Debian binary package through its source package name', () => {
    const ssl = vuln('CVE-2024-0727', 'libssl3', '3.0.11-1', { package: { name: 'libssl3', version: '3.0.11-1', ecosystem: 'debian', purl: 'pkg:deb/debian/libssl3@3.0.11-1', sourceName: 'openssl' } });
    expect(applyIgnores([ssl], [rule({ id: 'CVE-2024-0727', package: 'openssl' })], now).ignored).toHaveLength(1);
  });

  it('stop applying after the expiry day, and report the expiry with how many matches came back', () => {
    expect(isExpired('2026-06-15', now)).toBe(false);
    expect(isExpired('2026-06-14', now)).toBe(true);
    expect(isExpired('2026-06-15T11:00:00Z', now)).toBe(true);
    const out = applyIgnores([lodash, lodashOld], [rule({ id: 'CVE-2021-23337', expires: '2026-06-01' }, 4), rule({ id: 'CVE-1999-0001', expires: '2025-01-01' }, 9)], now);
    expect(out.kept).toEqual([lodash, lodashOld]);
    expect(out.ignored).toEqual([]);
    expect(out.issues).toEqual([
      { kind: 'expired', id: 'CVE-2021-23337', reason: 'accepted', source: '.palisadeignore.yaml:4', expires: '2026-06-01', message: '.palisadeignore.yaml:4: ignore entry for CVE-2021-23337 expired on 2026-06-01; its 2 matches are reported again' },
      { kind: 'expired', id: 'CVE-1999-0001', reason: 'accepted', source: '.palisadeignore.yaml:9', expires: '2025-01-01', message: '.palisadeignore.yaml:9: ignore entry for CVE-1999-0001 expired on 2025-01-01; it matches nothing any more either' },
    ]);
  });

  it('report live entries that matched nothing, and let the first matching entry win', () => {
    const out = applyIgnores([minimist], [rule({ id: 'CVE-2021-44906' }, 1), rule({ id: 'CVE-2021-44906', package: 'minimist' }, 2), rule({ id: 'CVE-2021-44906', package: 'lodash' }, 3)], now);
    expect(out.ignored[0].ignore.source).toBe('.palisadeignore.yaml:1');
    expect(out.issues.map((i) => [i.kind, i.source])).toEqual([
      ['unmatched', '.palisadeignore.yaml:2'],
      ['unmatched', '.palisadeignore.yaml:3'],
    ]);
    expect(out.issues[1].message).toBe('.palisadeignore.yaml:3: ignore entry for CVE-2021-44906 in lodash matched no vulnerability: remove it, or fix its id or package');
  });
});
