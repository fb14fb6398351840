import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openVulnDb, type VulnDb } from '../../src/storage/vulndb/index.js';
import { corpusRoot, findRepoRoot } from '../conformance/corpus.js';
import { readTrivyFixtures, trivyNamespace, writeTrivyFixtures } from './trivy-fixture-db.js';

const here = dirname(fileURLToPath(import.meta.url));
const trivy = join(corpusRoot(findRepoRoot(here)), 'trivy');
const integrationDb = join(trivy, 'integration/testdata/fixtures/db');
const hasCorpus = existsSync(integrationDb);

describe('Trivy bucket names', () => {
  it('map to Palisade namespaces, and unknown families to none', () => {
    expect(
      ['debian 9', 'ubuntu 20.04', 'ubuntu 18.04-ESM', 'alpine edge', 'wolfi', 'alma 8', 'rocky 8', 'Oracle Linux 7', 'amazon linux 2023', 'SUSE Linux Enterprise 15-SP3', 'SUSE Linux Enterprise Micro 5.3', 'openSUSE Tumbleweed', 'Photon OS 1.0', 'CBL-Mariner 2.0', 'Azure Linux 3.0', 'pip::GitHub Security Advisory Pip', 'cargo::Open Source Vulnerability'].map(trivyNamespace),
    ).toEqual(['debian:9', 'ubuntu:20.04', 'ubuntu:18.04:pro', 'alpine:edge', 'wolfi:rolling', 'alma:8', 'rocky:8', 'oracle:7', 'amazon:2023', 'sles:15.3', 'sle-micro:5.3', 'opensuse-tumbleweed:rolling', 'photon:1.0', 'azurelinux:2.0', 'azurelinux:3.0', 'pypi', 'crates.io']);
    expect(['bottlerocket', 'echo', 'seal debian', 'k8s::Official Kubernetes CVE Feed', 'root.io alpine 3.19'].map(trivyNamespace)).toEqual([undefined, undefined, undefined, undefined, undefined]);
  });
});

describe.skipIf(!hasCorpus)("Trivy's integration fixture database in Palisade's store", () => {
  let db: VulnDb;
  let unsupported: string[];
  let errors: string[];
  beforeAll(() => {
    const fixtures = readTrivyFixtures(readdirSync(integrationDb).filter((f) => f.endsWith('.yaml')).map((f) => join(integrationDb, f)));
    ({ unsupported, errors } = fixtures);
    db = openVulnDb(':memory:', { create: true });
    writeTrivyFixtures(fixtures, db);
  });
  afterAll(() => db?.close());

  it('loads every bucket it has a namespace for, without errors', () => {
    expect(errors).toEqual([]);
    expect(unsupported.sort()).toEqual(['k8s::Official Kubernetes CVE Feed']);
    expect(db.status().totals.affected).toBeGreaterThan(50);
  });

  it('turns language constraints into ranges and Red Hat entries into per-release rows', () => {
    expect(db.affected('npm', 'jquery').map((a) => [a.vulnerabilityId, a.ranges, a.fixedVersion])).toEqual([
      ['CVE-2015-9251', [{ introduced: '0', fixed: '3.0.0' }], '3.0.0'],
      ['CVE-2019-11358', [{ introduced: '0', fixed: '3.4.0' }], '3.4.0'],
    ]);
    const openssl = db.affected('redhat:7', 'openssl');
    expect(openssl.filter((a) => a.vulnerabilityId === 'CVE-2019-1559')).toContainEqual(expect.objectContaining({ fixedVersion: '1:1.0.2k-19.el7', severity: 'medium', status: 'fixed' }));
    // Only index 869 of the entry has a CPE in the fixture's table (RHEL 7 server): one RHEL 7 row.
    expect(db.affected('redhat:7', 'bash')).toEqual([
      { vulnerabilityId: 'CVE-2019-18276', namespace: 'redhat:7', package: 'bash', status: 'will-not-fix', severity: 'low', arches: ['x86_64'], source: 'redhat' },
    ]);
    expect(db.affected('maven', 'com.fasterxml.jackson.core:jackson-databind').map((a) => a.ranges)).toContainEqual([{ introduced: '2.9.0', fixed: '2.9.10.7' }]);
  });

  it('scores the CVSS vectors of vulnerability.yaml and keeps vendor severities', () => {
    const v = db.vulnerability('CVE-2019-11358');
    expect(v?.cvss.map((c) => [c.source, c.version, c.score])).toEqual([
      ['nvd', '2.0', 4.3],
      ['nvd', '3.1', 6.1],
      ['redhat', '3.0', 5.6],
    ]);
    expect(v?.severity).toBe('medium');
  });
});

describe.skipIf(!hasCorpus)("Trivy's detector fixtures", () => {
  it('load without errors, except the deliberately malformed ones, which are refused', () => {
    const ospkg = join(trivy, 'pkg/detector/ospkg');
    for (const family of readdirSync(ospkg)) {
      const dir = join(ospkg, family, 'testdata/fixtures');
      if (!existsSync(dir)) continue;
      for (const f of readdirSync(dir)) {
        const { errors, documents, unsupported } = readTrivyFixtures([join(dir, f)]);
        if (documents.length === 0 && unsupported.length > 0) continue; // a vendor Palisade has no namespace for
        if (/^invalid/.test(f)) expect(errors.length, `${family}/${f}`).toBeGreaterThan(0);
        else expect(errors, `${family}/${f}`).toEqual([]);
      }
    }
  });
});
