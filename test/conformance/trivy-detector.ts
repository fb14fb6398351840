/**
 * Section `trivy-detector`: Trivy's OS-package detector unit tests (pkg/detector/ospkg/<distro>/*_test.go, as
 * parsed into trivy/detector_ospkg_expectations.json) replayed through Palisade's store and matcher.
 *
 * For each case: the case's fixture buckets are read into an in-memory Palisade database
 * (test/helpers/trivy-fixture-db.ts), the packages are turned into Palisade packages, `matchPackages` runs,
 * and the findings are compared with `expected_vulns` on (PkgName, VulnerabilityID, InstalledVersion,
 * FixedVersion, Status). A case expecting an error ("failed to get ... advisories", a malformed fixture
 * value) agrees when the fixture loader refuses the malformed value, which is where Palisade catches it.
 *
 * The parse is a best-effort regex over Go source: where it lost an argument or misattributed a field, the
 * record is corrected from the Go test in trivy-detector-corrections.yaml, each correction with its reason.
 * A parsed expectation without a VulnerabilityID matches any id (the other fields still must agree).
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { z } from 'zod';
import type { DetectedVulnerability } from '../../src/model/advisory.js';
import type { Ecosystem, OsInfo, Package } from '../../src/model/package.js';
import { openVulnDb, type VulnDb } from '../../src/storage/vulndb/index.js';
import { DRIVERS, matchPackages, parseEolTable, type EolTable } from '../../src/vuln/match/index.js';
import { readTrivyFixtures, writeTrivyFixtures } from '../helpers/trivy-fixture-db.js';
import { readJson } from './corpus.js';
import type { CaseResult } from './model.js';
import type { PeerRunOptions } from './palisade.js';

const here = dirname(fileURLToPath(import.meta.url));
export const CORRECTIONS_FILE = join(here, 'trivy-detector-corrections.yaml');
const EOL_FILE = join(here, '..', '..', 'content', 'vuln', 'eol.yaml');

/** The clock of Trivy's detector tests (ubuntu_test.go: `clock.With(ctx, 2024-04-01)`); the others do not read it. */
export const TEST_NOW = new Date('2024-04-01T00:00:00Z');

const trivyPackage = z
  .object({
    Name: z.string(),
    Version: z.string().optional(),
    Release: z.string().optional(),
    Epoch: z.union([z.string(), z.number()]).optional(),
    Arch: z.string().optional(),
    SrcName: z.string().optional(),
    SrcVersion: z.string().optional(),
    SrcRelease: z.string().optional(),
    SrcEpoch: z.union([z.string(), z.number()]).optional(),
    Modularitylabel: z.string().optional(),
  })
  .loose();
export type TrivyPackage = z.infer<typeof trivyPackage>;

const expectedVuln = z
  .object({
    PkgName: z.string().optional(),
    VulnerabilityID: z.string().optional(),
    InstalledVersion: z.string().optional(),
    FixedVersion: z.string().optional(),
    Status: z.string().optional(),
  })
  .loose();
export type ExpectedVuln = z.infer<typeof expectedVuln>;

const recordSchema = z.object({
  go_test: z.string(),
  case: z.string(),
  db_fixtures: z.array(z.string()),
  os_version: z.string().nullable(),
  packages: z.array(trivyPackage),
  expected_vulns: z.array(expectedVuln),
  expected_error: z.string().nullable(),
});
export type DetectorRecord = z.infer<typeof recordSchema>;

const correctionSchema = z
  .object({
    go_test: z.string(),
    case: z.string(),
    family: z.string().optional(),
    os_version: z.string().optional(),
    repositoryRelease: z.string().optional(),
    expected_vulns: z.array(expectedVuln).optional(),
    reason: z.string().min(10),
  })
  .strict();
export type Correction = z.infer<typeof correctionSchema>;

/** Trivy detector folder -> Palisade OS family. */
const FAMILIES: Record<string, OsInfo['family']> = {
  alma: 'alma',
  alpine: 'alpine',
  amazon: 'amazon',
  azure: 'azurelinux',
  chainguard: 'chainguard',
  debian: 'debian',
  oracle: 'oracle',
  photon: 'photon',
  redhat: 'redhat',
  rocky: 'rocky',
  suse: 'sles',
  ubuntu: 'ubuntu',
  wolfi: 'wolfi',
};

/** Trivy detectors of distributions or vendors Palisade has no advisory data for. */
const UNSUPPORTED: Record<string, string> = {
  bottlerocket: 'Bottlerocket',
  echo: 'Echo',
  minimos: 'MinimOS',
  rapidfort: 'RapidFort',
  rootio: 'Root.io',
  seal: 'Seal Security',
};

const SCHEMES: Partial<Record<OsInfo['family'], Package['scheme']>> = { debian: 'deb', ubuntu: 'deb', alpine: 'apk', wolfi: 'apk', chainguard: 'apk' };

/** `dbTypes.StatusWillNotFix` -> `will-not-fix`. */
export function statusOf(s: string | undefined): string | undefined {
  if (!s) return undefined;
  const word = s.replace(/^dbTypes\.Status/, '').replace(/^types\.Status/, '');
  return word.replace(/([a-z])([A-Z])/g, '$1-$2').toLowerCase();
}

function num(v: string | number | undefined): number {
  return v === undefined || v === '' ? 0 : Number(v);
}

/** Trivy's `utils.FormatVersion`: `[epoch:]version[-release]`, the epoch only when not 0. */
export function formatVersion(epoch: string | number | undefined, version: string | undefined, release: string | undefined): string {
  if (!version) return '';
  const e = num(epoch);
  return `${e > 0 ? `${e}:` : ''}${version}${release ? `-${release}` : ''}`;
}

/** A Trivy package as Palisade's analyzers would give it. */
export function toPackage(p: TrivyPackage, family: OsInfo['family']): Package {
  const scheme = SCHEMES[family] ?? 'rpm';
  const version = formatVersion(p.Epoch, p.Version, p.Release);
  const pkg: Package = {
    ecosystem: family as Ecosystem,
    scheme,
    name: p.Name,
    version,
    purl: `pkg:${scheme}/${family}/${encodeURIComponent(p.Name)}@${encodeURIComponent(version)}`,
  };
  if (p.SrcName) pkg.sourceName = p.SrcName;
  if (p.SrcVersion) pkg.sourceVersion = formatVersion(p.SrcEpoch, p.SrcVersion, p.SrcRelease);
  if (p.Arch) pkg.arch = p.Arch;
  if (p.Modularitylabel) pkg.module = p.Modularitylabel.split(':').slice(0, 2).join(':');
  return pkg;
}

/** What a finding looks like in Trivy's terms. */
export interface Observed {
  PkgName: string;
  VulnerabilityID: string;
  InstalledVersion: string;
  FixedVersion: string;
  Status: string;
}

export function observe(d: DetectedVulnerability): Observed {
  return { PkgName: d.package.name, VulnerabilityID: d.id, InstalledVersion: d.installedVersion, FixedVersion: d.fixedVersion ?? '', Status: d.status };
}

/** Expected fields with Trivy's defaults: no FixedVersion is `""`; no Status is `fixed` with a fix, else `affected`. */
function normalise(e: ExpectedVuln): ExpectedVuln & { FixedVersion: string; Status: string } {
  const fixed = e.FixedVersion ?? '';
  return { ...e, FixedVersion: fixed, Status: statusOf(e.Status) ?? (fixed ? 'fixed' : 'affected') };
}

/**
 * One-to-one matching of expected and observed findings; a missing expected field other than the defaulted
 * ones (VulnerabilityID lost in parsing) matches anything.
 */
export function compareFindings(expected: readonly ExpectedVuln[], got: readonly Observed[]): { agree: boolean; missing: ExpectedVuln[]; extra: Observed[] } {
  const left = [...got];
  const missing: ExpectedVuln[] = [];
  for (const raw of expected) {
    const e = normalise(raw);
    const i = left.findIndex(
      (g) =>
        (e.PkgName === undefined || e.PkgName === g.PkgName) &&
        (e.VulnerabilityID === undefined || e.VulnerabilityID === g.VulnerabilityID) &&
        (e.InstalledVersion === undefined || e.InstalledVersion === g.InstalledVersion) &&
        e.FixedVersion === g.FixedVersion &&
        e.Status === g.Status,
    );
    if (i < 0) missing.push(raw);
    else left.splice(i, 1);
  }
  return { agree: missing.length === 0 && left.length === 0, missing, extra: left };
}

function describe(list: ReadonlyArray<ExpectedVuln | Observed>): string {
  if (list.length === 0) return 'no vulnerabilities';
  return list
    .map((v) => {
      const n = normalise({ ...v });
      return `${n.VulnerabilityID ?? '(any id)'} ${n.PkgName ?? '?'} ${n.InstalledVersion ?? '?'}${n.FixedVersion ? ` -> ${n.FixedVersion}` : ''} ${n.Status}`;
    })
    .sort()
    .join('; ');
}

export function readCorrections(file = CORRECTIONS_FILE): Correction[] {
  const parsed = z.array(correctionSchema).safeParse(parse(readFileSync(file, 'utf8')) ?? []);
  if (!parsed.success) throw new Error(`${file}: ${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}`);
  return parsed.data;
}

export function readEol(file = EOL_FILE): EolTable {
  return parseEolTable(parse(readFileSync(file, 'utf8')), file);
}

/** Why a record is not a detection case, if it is not one. */
function notADetectionCase(r: DetectorRecord): string | undefined {
  if (/\/(version|driver)\/[^/]+_test\.go$/.test(r.go_test)) return 'version comparison or driver selection test, not a detection case';
  if (/supplier_test\.go$/.test(r.go_test)) return 'vendor-package routing test (no database), not a detection case';
  if (/ospkg\/detect_test\.go$/.test(r.go_test)) return 'dispatcher test without a distribution, not a detection case';
  return undefined;
}

/** Runs every record; `only` filters by Trivy detector folder (`debian`, `redhat`...). */
export function runTrivyDetector(opts: PeerRunOptions, corrections: readonly Correction[] = readCorrections()): CaseResult[] {
  const records = readJson(join(opts.corpusDir, 'detector_ospkg_expectations.json'), z.array(recordSchema));
  const eol = readEol();
  const dbs = new Map<string, { db: VulnDb; errors: string[] }>();
  const results: CaseResult[] = [];
  try {
    for (const rec of records) {
      const folder = rec.go_test.split('/')[3] ?? '';
      const detector = folder.endsWith('.go') ? 'ospkg' : folder;
      if (opts.only !== undefined && opts.only.toLowerCase() !== detector) continue;
      const base = { peer: 'trivy-detector' as const, peerCheck: detector, palisadeChecks: [] as string[], files: [`${rec.go_test}::${rec.case}`], source: rec.go_test };
      const skip = notADetectionCase(rec);
      if (skip) {
        results.push({ ...base, outcome: 'skipped', expected: describe(rec.expected_vulns), got: '-', note: skip });
        continue;
      }
      if (UNSUPPORTED[detector]) {
        results.push({ ...base, outcome: 'out-of-scope', expected: describe(rec.expected_vulns), got: '-', note: `not supported: Palisade has no advisory data for ${UNSUPPORTED[detector]}` });
        continue;
      }
      const fix = corrections.find((c) => c.go_test === rec.go_test && c.case === rec.case);
      const family = (fix?.family ?? FAMILIES[detector]) as OsInfo['family'] | undefined;
      if (!family) {
        results.push({ ...base, outcome: 'skipped', expected: describe(rec.expected_vulns), got: '-', note: `unknown Trivy detector ${detector}` });
        continue;
      }
      const driver = DRIVERS.find((d) => d.families.includes(family));
      base.palisadeChecks = [`match/${driver?.id ?? '?'}`];

      const key = rec.db_fixtures.join('\n');
      let db = dbs.get(key);
      if (!db) {
        const fixtures = readTrivyFixtures(rec.db_fixtures.map((f) => join(opts.corpusDir, f)));
        const store = openVulnDb(':memory:', { create: true });
        writeTrivyFixtures(fixtures, store);
        db = { db: store, errors: fixtures.errors };
        dbs.set(key, db);
      }
      const os: OsInfo = { family, version: fix?.os_version ?? rec.os_version ?? '' };
      if (fix?.repositoryRelease) os.repositoryRelease = fix.repositoryRelease;
      const expectedVulns = fix?.expected_vulns ?? rec.expected_vulns;
      const note = fix ? `expectation corrected: ${fix.reason}` : undefined;

      if (rec.expected_error) {
        const agree = db.errors.length > 0;
        results.push({
          ...base,
          outcome: agree ? 'agree' : 'disagree',
          expected: `error: ${rec.expected_error}`,
          got: agree ? `fixture refused: ${db.errors[0]!.replace(opts.corpusDir + '/', '')}` : 'fixture loaded without error',
          ...(note ? { note } : {}),
        });
        continue;
      }
      const packages = rec.packages.map((p) => toPackage(p, family));
      const { vulnerabilities } = matchPackages(os, packages, db.db, { now: TEST_NOW, eol });
      const got = vulnerabilities.map(observe);
      const cmp = compareFindings(expectedVulns, got);
      // A fixture the loader refused while the test expects findings is a disagreement too.
      const loaderNote = db.errors.length > 0 ? `fixture errors: ${db.errors.length}` : undefined;
      results.push({
        ...base,
        outcome: cmp.agree ? 'agree' : 'disagree',
        expected: describe(expectedVulns),
        got: describe(got),
        ...(note || loaderNote ? { note: [note, loaderNote].filter(Boolean).join('; ') } : {}),
      });
    }
  } finally {
    for (const { db } of dbs.values()) db.close();
  }
  return results;
}
