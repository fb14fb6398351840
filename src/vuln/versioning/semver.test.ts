import { describe, expect, it } from 'vitest';
import { readVectorJson } from '../../../test/helpers/version-vectors.js';
import { chainFailures, equalFailures, lawFailures } from '../../../test/helpers/version-tables.js';
import { satisfies, semver, validRange, type SemverRangeOptions } from './semver.js';

/** Strictly ascending under SemVer 2.0.0 / node-semver. */
const CHAINS: string[][] = [
  [
    '0.0.0-0', '0.0.0', '0.0.1', '0.1.0', '1.0.0-0', '1.0.0-1', '1.0.0-2', '1.0.0-10', '1.0.0-alpha', '1.0.0-alpha.1',
    '1.0.0-alpha.beta', '1.0.0-beta', '1.0.0-beta.2', '1.0.0-beta.11', '1.0.0-rc.1', '1.0.0', '1.0.1', '1.1.0',
    '1.10.0', '2.0.0', '10.0.0',
  ],
  ['4.17.20', '4.17.21', '4.18.0-pre', '4.18.0'],
  ['1.2.3-a', '1.2.3-a.b', '1.2.3-a-b', '1.2.3-a-c'],
];

const EQUAL: string[][] = [
  ['1.0.0', 'v1.0.0', '=1.0.0', ' v1.0.0 ', '1.0.0+build.1', '1.0.0+build.2'],
  ['1.2.3-rc.1', '1.2.3-rc.1+sha.abc'],
];

const VALID = ['1.2.3', 'v1.2.3', '1.2.3-rc.1+build', '0.0.0', '1.2.3-0', '1.2.3-x-y-z.-'];
const INVALID = ['1.2', '01.2.3', '1.2.3-01', '1.2.3.4', '', 'latest', '1.2.3-', '1.2.3+', '^1.2.3', 'x.y.z'];

describe('semver versions (npm)', () => {
  it('orders its own chains', () => {
    for (const chain of CHAINS) expect(chainFailures(semver, chain)).toEqual([]);
  });
  it('ignores build metadata and reads loose spellings', () => {
    expect(equalFailures(semver, EQUAL)).toEqual([]);
  });
  it('validates strictly', () => {
    expect(VALID.filter((v) => !semver.valid(v))).toEqual([]);
    expect(INVALID.filter((v) => semver.valid(v))).toEqual([]);
  });
  it('orders unreadable versions before readable ones, and never throws', () => {
    expect(semver.compare('not a version', '0.0.0-0')).toBeLessThan(0);
    expect(semver.compare('1.0.0', 'latest')).toBeGreaterThan(0);
    expect(semver.compare('junk-a', 'junk-b')).toBeLessThan(0);
    expect(lawFailures(semver, [...CHAINS.flat(), ...EQUAL.flat(), ...INVALID])).toEqual([]);
  });
  it('matches npm ranges, with npm rules for pre-releases', () => {
    const rows: [string, string, boolean, SemverRangeOptions?][] = [
      ['1.2.3', '^1.0.0', true],
      ['2.0.0', '^1.0.0', false],
      ['0.2.5', '^0.2.3', true],
      ['0.3.0', '^0.2.3', false],
      ['1.2.9', '~1.2.3', true],
      ['1.3.0', '~1.2.3', false],
      ['1.9.9', '1.x', true],
      ['1.5.0', '1.2.3 - 2.0.0', true],
      ['2.0.1', '1.2.3 - 2.0.0', false],
      ['0.9.0', '<1.0.0 || >=2.0.0', true],
      ['1.5.0', '<1.0.0 || >=2.0.0', false],
      ['5.0.0', '*', true],
      ['1.3.0-rc.1', '^1.2.0', false],
      ['1.3.0-rc.1', '^1.2.0', true, { includePrerelease: true }],
      ['1.2.3-rc.2', '>=1.2.3-rc.1', true],
      ['1.2.4-rc.2', '>=1.2.3-rc.1', false],
      ['1.2.3', 'not a range', false],
      ['not a version', '*', false],
    ];
    expect(rows.filter(([v, r, want, o]) => satisfies(v, r, o) !== want)).toEqual([]);
    expect(validRange('>=1.0.0 <2')).toBe(true);
    expect(validRange('>=>1')).toBe(false);
  });
});

type Opts = boolean | { loose?: unknown; includePrerelease?: unknown } | undefined;
interface SemverFixtures {
  comparisons: { cases: [string, string, Opts?][] };
  equality: { cases: [string, string, Opts?][] };
  'range-include': { cases: [string, string, Opts?][] };
  'range-exclude': { cases: [string, string, Opts?][] };
  'valid-versions': { cases: [string, ...unknown[]][] };
  'invalid-versions': { cases: [unknown, string, Opts?][] };
}

/** node-semver's fixtures give `true` for `{ loose: true }` and sometimes truthy non-booleans. */
function options(o: Opts): SemverRangeOptions {
  if (o === true) return { loose: true };
  if (o === undefined || o === false) return {};
  return { loose: Boolean(o.loose), includePrerelease: Boolean(o.includePrerelease) };
}

const fx = readVectorJson<SemverFixtures>('semver_node-semver_fixtures.json');

describe.skipIf(fx === undefined)('semver_node-semver_fixtures.json (corpus)', () => {
  const none = { cases: [] };
  const f: SemverFixtures = fx ?? {
    comparisons: none,
    equality: none,
    'range-include': none,
    'range-exclude': none,
    'valid-versions': none,
    'invalid-versions': none,
  };
  it(`comparisons: all ${f.comparisons.cases.length} pairs order as node-semver's fixtures say`, () => {
    const bad = f.comparisons.cases.filter(([a, b]) => !(semver.compare(a, b) > 0 && semver.compare(b, a) < 0));
    expect(bad).toEqual([]);
  });
  it(`equality: all ${f.equality.cases.length} pairs compare equal`, () => {
    const bad = f.equality.cases.filter(([a, b]) => semver.compare(a, b) !== 0 || semver.compare(b, a) !== 0);
    expect(bad).toEqual([]);
  });
  it(`range-include: all ${f['range-include'].cases.length} versions satisfy their range`, () => {
    const bad = f['range-include'].cases.filter(([r, v, o]) => !satisfies(v, r, options(o)));
    expect(bad).toEqual([]);
  });
  it(`range-exclude: all ${f['range-exclude'].cases.length} versions fall outside their range`, () => {
    const bad = f['range-exclude'].cases.filter(([r, v, o]) => satisfies(v, r, options(o)));
    expect(bad).toEqual([]);
  });
  it(`valid-versions: all ${f['valid-versions'].cases.length} are valid`, () => {
    expect(f['valid-versions'].cases.filter(([v]) => !semver.valid(v))).toEqual([]);
  });
  // Three cases are JavaScript objects (regular expressions, an object with toString) that the JSON copy turned into
  // `{}`; valid() takes strings, so those are checked as the text they would print.
  it(`invalid-versions: all ${f['invalid-versions'].cases.length} are invalid`, () => {
    expect(f['invalid-versions'].cases.filter(([v]) => semver.valid(typeof v === 'string' ? v : String(v)))).toEqual([]);
  });
});
