import { describe, expect, it } from 'vitest';
import { readVectorJson } from '../../../test/helpers/version-vectors.js';
import { rpmOracle, seededRandom } from '../../../test/helpers/version-oracles.js';
import { allPairs, chainFailures, equalFailures, lawFailures, oracleFailures } from '../../../test/helpers/version-tables.js';
import { parseEvr, rpm, rpmvercmp } from './rpm.js';

/** Strictly ascending under rpm. */
const CHAINS: string[][] = [
  [
    '1.0~~', '1.0~~a', '1.0~alpha', '1.0~rc1', '1.0~rc2', '1.0', '1.0^', '1.0^git1', '1.0^git2', '1.0^git2.1', '1.0a',
    '1.0b', '1.0.0', '1.0.1', '1.1', '1.2', '1.10', '2', '10', '100',
  ],
  // Releases, and a release beating its absence.
  ['1.0', '1.0-0', '1.0-1', '1.0-1.el8', '1.0-1.el8.1', '1.0-2.el8', '1.0-10', '1.0.1-1', '1:0.1-1', '2:0-0'],
  // Real RHEL package versions.
  ['1:1.1.1k-7.el8_6', '1:1.1.1k-9.el8_7', '1:1.1.1k-12.el8_9', '1:3.0.7-25.el9'],
  ['2.28-225.el8', '2.28-225.el8_8.6', '2.28-236.el8'],
  ['0:4.18.0-477.10.1.el8_8', '4.18.0-477.13.1.el8_8', '4.18.0-513.5.1.el8_9'],
  // Letters below numbers, letters in ASCII order.
  ['a', 'b', 'z', '1', '9', '10'],
  ['1.0A', '1.0Z', '1.0a'],
];

/** Spellings rpm treats as one version. */
const EQUAL: string[][] = [
  ['1.0-1', '0:1.0-1', ':1.0-1', '00:1.0-1'],
  ['1.01', '1.1', '1.001'],
  ['1.0_1', '1.0.1', '1.0+1', '1.0..1'],
  ['2.28-225.el8.1', '2.28-225.el8_1'],
];

const VALID = ['1.0', '1.0-1.el8', '2:1.0-1', '1.0~rc1^git2-1', '1.0_1+b', '0:0-0', 'a'];
const INVALID = ['', '1.0-1-1', '-1', '1.0-', 'a:1.0', '1.0 ', '~', '1.0-~', '1.0/1', ':1.0'];

describe('rpm versions', () => {
  it('orders its own chains', () => {
    for (const chain of CHAINS) expect(chainFailures(rpm, chain)).toEqual([]);
  });
  it('treats equivalent spellings as equal', () => {
    expect(equalFailures(rpm, EQUAL)).toEqual([]);
  });
  it('validates as rpmbuild would', () => {
    expect(VALID.filter((v) => !rpm.valid(v))).toEqual([]);
    expect(INVALID.filter((v) => rpm.valid(v))).toEqual([]);
  });
  it('splits epoch, version and release as rpm does', () => {
    expect(parseEvr('2:1.0-3.el9')).toEqual({ epoch: '2', version: '1.0', release: '3.el9' });
    expect(parseEvr('1.0')).toEqual({ epoch: '0', version: '1.0' });
    expect(parseEvr('a:1.0')).toEqual({ epoch: '0', version: 'a:1.0' });
    expect(parseEvr('1:1.0-1:2')).toEqual({ epoch: '1', version: '1.0', release: '1:2' });
  });
  it('is a total order, malformed versions included', () => {
    expect(lawFailures(rpm, [...CHAINS.flat(), ...EQUAL.flat(), ...INVALID])).toEqual([]);
  });
  it('rpmvercmp handles ~ and ^ at the ends of strings', () => {
    expect(rpmvercmp('1.0~', '1.0')).toBe(-1);
    expect(rpmvercmp('1.0^', '1.0')).toBe(1);
    expect(rpmvercmp('1.0^', '1.0.1')).toBe(-1);
    expect(rpmvercmp('1.0^a', '1.0~a')).toBe(1);
    expect(rpmvercmp('123456789012345678901234567890', '123456789012345678901234567891')).toBe(-1);
  });
});

interface RpmVectors {
  cases: { v1: string; v2: string; expected: number }[];
}

const corpus = readVectorJson<RpmVectors>('rpm_compare.json');

describe.skipIf(corpus === undefined)('rpm_compare.json (corpus)', () => {
  const cases = corpus?.cases ?? [];
  // The vectors are rpm's own rpmvercmp tests: whole strings, no epoch:version-release split (so `1-2-3-4`
  // equals `1.2.3.4` there, whereas rpm itself, reading `1-2-3-4` as version `1-2-3` release `4`, does not).
  it(`passes all ${cases.length} cases with rpmvercmp`, () => {
    const failures = cases.filter((c) => rpmvercmp(c.v1, c.v2) !== c.expected).map((c) => `${c.v1} vs ${c.v2}`);
    expect(failures).toEqual([]);
  });
  const plain = cases.filter((c) => !/[-:]/.test(c.v1 + c.v2));
  it(`gives the same results for the ${plain.length} cases without epoch or release through rpm.compare`, () => {
    const failures = plain.filter((c) => Math.sign(rpm.compare(c.v1, c.v2)) !== c.expected).map((c) => `${c.v1} vs ${c.v2}`);
    expect(failures).toEqual([]);
  });
});

const oracle = rpmOracle();
if (!oracle) console.warn('rpm: the rpm program is not installed; the comparison with rpm.vercmp is skipped');

function randomRpmVersions(n: number): string[] {
  const rnd = seededRandom(4180);
  const pick = (s: string) => s[Math.floor(rnd() * s.length)];
  const part = () => {
    let out = pick('0123456789ab');
    const len = Math.floor(rnd() * 7);
    for (let i = 0; i < len; i++) out += pick('0123456789001aZz.._+~^');
    return out;
  };
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const epoch = rnd() < 0.15 ? `${Math.floor(rnd() * 3)}:` : '';
    out.push(`${epoch}${part()}${rnd() < 0.7 ? `-${part()}` : ''}`);
  }
  return out;
}

describe.skipIf(!oracle)('rpm agrees with rpm.vercmp (rpm itself)', () => {
  it('on its own tables', () => {
    const pairs = allPairs([...CHAINS, ...EQUAL]);
    expect(oracleFailures(rpm, pairs, oracle!(pairs))).toEqual([]);
  });
  it.skipIf(!corpus)('on the corpus vectors, which rpm reads as epoch:version-release', () => {
    const pairs = corpus!.cases.filter((c) => c.v1 !== '' && c.v2 !== '').map((c): [string, string] => [c.v1, c.v2]);
    expect(oracleFailures(rpm, pairs, oracle!(pairs))).toEqual([]);
  });
  it('on 3000 random pairs', () => {
    const vs = randomRpmVersions(6000);
    const pairs = vs.slice(0, 3000).map((v, i): [string, string] => [v, vs[3000 + i]]);
    expect(oracleFailures(rpm, pairs, oracle!(pairs))).toEqual([]);
  });
});
