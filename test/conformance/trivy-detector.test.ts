import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { corpusRoot, findRepoRoot } from './corpus.js';
import { parseKnownDifferences } from './known-differences.js';
import { explainDisagreements, totalsOf } from './summary.js';
import { compareFindings, formatVersion, readCorrections, runTrivyDetector, statusOf, toPackage } from './trivy-detector.js';

const here = dirname(fileURLToPath(import.meta.url));
const corpusDir = join(corpusRoot(findRepoRoot(here)), 'trivy');
const hasCorpus = existsSync(join(corpusDir, 'detector_ospkg_expectations.json'));
const known = parseKnownDifferences(readFileSync(join(here, 'known-differences.yaml'), 'utf8'), 'known-differences.yaml');

describe('Trivy detector expectations: comparison', () => {
  it('formats versions as Trivy does and maps statuses', () => {
    expect(formatVersion('0', '3.6.8', '36.el8')).toBe('3.6.8-36.el8');
    expect(formatVersion('2', '7.4.160', '5.el7')).toBe('2:7.4.160-5.el7');
    expect(formatVersion(undefined, undefined, undefined)).toBe('');
    expect(statusOf('dbTypes.StatusWillNotFix')).toBe('will-not-fix');
    expect(toPackage({ Name: 'php', Version: '7.2.10', Release: '1', Modularitylabel: 'php:7.2:8020:2c7c', Arch: 'x86_64' }, 'redhat')).toMatchObject({ scheme: 'rpm', module: 'php:7.2', version: '7.2.10-1', arch: 'x86_64' });
  });

  it('matches one to one, with Trivy defaults for FixedVersion and Status, and a lost id as a wildcard', () => {
    const got = [
      { PkgName: 'a', VulnerabilityID: 'CVE-1', InstalledVersion: '1', FixedVersion: '2', Status: 'fixed' },
      { PkgName: 'a', VulnerabilityID: 'CVE-2', InstalledVersion: '1', FixedVersion: '', Status: 'affected' },
    ];
    expect(compareFindings([{ PkgName: 'a', VulnerabilityID: 'CVE-1', InstalledVersion: '1', FixedVersion: '2' }, { PkgName: 'a', InstalledVersion: '1' }], got).agree).toBe(true);
    // One expectation cannot be satisfied twice; extra findings disagree; a status must agree.
    expect(compareFindings([{ PkgName: 'a', InstalledVersion: '1', FixedVersion: '2' }], got).extra).toHaveLength(1);
    expect(compareFindings([{ PkgName: 'a', VulnerabilityID: 'CVE-2', InstalledVersion: '1', Status: 'dbTypes.StatusWillNotFix' }, got[0]!], got).agree).toBe(false);
  });
});

describe.skipIf(!hasCorpus)('Trivy OS-package detector cases', () => {
  it('agree at 98% or more, every disagreement explained in known-differences.yaml', () => {
    const results = runTrivyDetector({ corpusDir, checks: [] });
    expect(results).toHaveLength(137);
    const totals = totalsOf(results, known);
    expect(totals.compared).toBeGreaterThanOrEqual(60);
    expect(totals.agreementPct).toBeGreaterThanOrEqual(98);
    expect(explainDisagreements(results, known).filter((d) => d.reason === undefined).map((d) => `${d.result.files[0]}: expected ${d.result.expected}, got ${d.result.got}`)).toEqual([]);
    // Every correction applies to a record of the corpus.
    const cases = new Set(results.map((r) => r.files[0]));
    for (const c of readCorrections()) expect(cases, `${c.go_test}::${c.case}`).toContain(`${c.go_test}::${c.case}`);
    // A malformed fixture value is refused by the loader, where Trivy's Get fails.
    expect(results.find((r) => r.files[0] === 'pkg/detector/ospkg/debian/debian_test.go::invalid bucket')).toMatchObject({ outcome: 'agree' });
  });

  it('disagrees without the corrections the parse needs (the comparison has teeth)', () => {
    const results = runTrivyDetector({ corpusDir, checks: [], only: 'alpine' }, []);
    expect(results.filter((r) => r.outcome === 'disagree').map((r) => r.files[0])).toEqual([
      'pkg/detector/ospkg/alpine/alpine_test.go::repository is newer than OS version',
      'pkg/detector/ospkg/alpine/alpine_test.go::No src name',
    ]);
  });
});

describe.runIf(!hasCorpus)('Trivy OS-package detector cases (corpus absent)', () => {
  it('are skipped', () => {
    console.warn(`trivy corpus not found at ${corpusDir}; set PALISADE_CORPUS to run the Trivy detector conformance cases`);
  });
});
