import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { debianTracker } from './debian-tracker.js';

const fixture = readFileSync(join(import.meta.dirname, '__fixtures__/debian-tracker/json'));

describe('debian-tracker feed', () => {
  it('names the tracker JSON under the default base or a mirror', () => {
    expect(debianTracker.documents()).toEqual([
      { key: 'tracker', path: 'json', location: 'https://security-tracker.debian.org/tracker/data/json', format: 'json', source: { id: 'debian-tracker', name: 'Debian Security Tracker', url: 'https://security-tracker.debian.org/tracker/' } },
    ]);
    expect(debianTracker.documents('/mirror/debian-tracker')[0].location).toBe('/mirror/debian-tracker/json');
  });

  const r = debianTracker.parse('tracker', fixture);
  const rows = (pkg: string, id: string) => r.affected.filter((a) => a.package === pkg && a.vulnerabilityId === id).map((a) => [a.namespace, a.status, a.fixedVersion, a.severity]);

  it('maps releases to namespaces and statuses, leaving out sid and unknown codenames', () => {
    expect(rows('openssl', 'CVE-2023-0286')).toEqual([
      ['debian:12', 'fixed', '3.0.8-1', undefined],
      ['debian:11', 'fixed', '1.1.1n-0+deb11u4', 'high'],
      ['debian:13', 'fixed', '3.0.8-1', undefined],
    ]);
    expect(rows('openssl', 'CVE-2024-2511')).toEqual([
      ['debian:12', 'fixed', '3.0.14-1~deb12u1', undefined],
      ['debian:11', 'not-affected', undefined, undefined],
    ]);
    expect(rows('openssl', 'CVE-2010-0928')).toEqual([
      ['debian:12', 'affected', undefined, 'low'],
      ['debian:11', 'affected', undefined, 'low'],
    ]);
    expect(rows('glibc', 'CVE-2019-1010022').map((x) => x[1])).toEqual(['will-not-fix', 'will-not-fix']);
    expect(rows('glibc', 'CVE-2025-0395')).toEqual([
      ['debian:12', 'fix-deferred', undefined, undefined],
      ['debian:10', 'end-of-life', undefined, undefined],
      ['debian:13', 'under-investigation', undefined, undefined],
    ]);
    // `high**`: an urgency Debian took over without its own review still counts as high; stretch is not listed.
    expect(rows('glibc', 'CVE-2024-2961')).toEqual([
      ['debian:12', 'fixed', '2.36-9+deb12u7', 'high'],
      ['debian:11', 'fixed', '2.31-13+deb11u10', 'high'],
    ]);
    expect(r.affected.every((a) => a.source === 'debian-tracker')).toBe(true);
  });

  it('keeps one record per CVE with the tracker description and page, and leaves TEMP ids out', () => {
    expect(r.vulnerabilities.map((v) => v.id).sort()).toEqual(['CVE-2010-0928', 'CVE-2019-1010022', 'CVE-2023-0286', 'CVE-2023-28322', 'CVE-2024-2511', 'CVE-2024-2961', 'CVE-2025-0395']);
    expect(r.vulnerabilities.find((v) => v.id === 'CVE-2024-2961')).toEqual({
      id: 'CVE-2024-2961',
      aliases: [],
      title: 'The iconv() function in the GNU C Library versions 2.39 and older may overflow the output buffer ...',
      cvss: [],
      references: ['https://security-tracker.debian.org/tracker/CVE-2024-2961'],
    });
    expect(r.affected.some((a) => a.vulnerabilityId.startsWith('TEMP-'))).toBe(false);
    expect(r.skipped).toBe(1);
  });

  it('reports malformed entries by package and CVE, and imports the rest of the package', () => {
    expect(r.errors.map((e) => `${e.entry}: ${e.message}`)).toEqual([
      expect.stringMatching(/^curl\/CVE-2023-38545: releases\.bookworm\.status: /),
      'curl/CVE-2023-38546: releases.bookworm: resolved without a fixed_version',
      expect.stringMatching(/^curl\/CVE-2023-46218: releases: /),
    ]);
    expect(r.errors.every((e) => e.document === 'tracker')).toBe(true);
    expect(rows('curl', 'CVE-2023-28322')).toHaveLength(2);
    expect(r.affected).toHaveLength(16);
  });

  it('fails the document when it is not the tracker map', () => {
    expect(debianTracker.parse('tracker', new TextEncoder().encode('{"openssl": [1, 2]}')).documentError).toMatch(/^debian-tracker json: not the tracker's/);
    expect(debianTracker.parse('tracker', fixture.subarray(0, 500)).documentError).toMatch(/^debian-tracker json: not valid JSON/);
    expect(debianTracker.parse('tracker', new TextEncoder().encode('{}'))).toEqual({ vulnerabilities: [], affected: [], errors: [], skipped: 0 });
  });
});
