import { describe, expect, it } from 'vitest';
import { readVectorJson } from '../../../test/helpers/version-vectors.js';
import { dpkgOracle, seededRandom } from '../../../test/helpers/version-oracles.js';
import { allPairs, chainFailures, equalFailures, lawFailures, oracleFailures } from '../../../test/helpers/version-tables.js';
import { deb, verrevcmp } from './deb.js';

/** Strictly ascending under dpkg. */
const CHAINS: string[][] = [
  [
    '1.0~~', '1.0~~a', '1.0~', '1.0~beta1', '1.0~rc1', '1.0~rc1+dfsg', '1.0', '1.0-0.1', '1.0-1', '1.0-1ubuntu0.1',
    '1.0-1ubuntu1', '1.0-1+b1', '1.0-1+deb12u1', '1.0-1.1', '1.0-2', '1.0-10', '1.0a', '1.0+dfsg-1', '1.0+git20240101-1',
    '1.0.0', '1.0.1', '1.1~beta', '1.1', '1.2', '1.10', '2', '10', '1:0.1', '1:1.0', '2:0.0.1',
  ],
  // Letters sort before non-letters, and `~` before the end of the string.
  ['1~', '1', '1A', '1Z', '1a', '1z', '1+', '1.'],
  ['1.2.3-1~bpo11+1', '1.2.3-1', '1.2.3-1+deb11u1', '1.2.3-1+deb12u1', '1.2.3-2~bpo12+1', '1.2.3-2'],
  ['2.36-9+deb12u3', '2.36-9+deb12u4', '2.36-9+deb12u10', '2.37-1'],
  ['7.88.1-10+deb12u5', '7.88.1-10+deb12u8', '8.5.0-1'],
  ['1:9.18.28-1~deb12u2', '1:9.18.33-1~deb12u2', '1:9.20.0-1'],
];

/** Spellings dpkg treats as one version. */
const EQUAL: string[][] = [
  ['1.0', '0:1.0', '1.0-0', '0:1.0-0', '1.0-00'],
  ['1.01', '1.1', '1.001'],
  ['16.04', '16.4'],
  ['3.12-1+deb9u1build0.16.4.1', '3.12-1+deb9u1build0.16.04.1'],
  ['0001:1.0', '1:1.0'],
];

const VALID = [
  '1.0', '1:1.0-1', '0:0', '1.0~rc1+dfsg-1ubuntu0.1', '2:1.2.3-1-1', '1:1.0:1-1', '6.0-4.el6.x86_64', ' 1.0 ',
  '2147483647:1', '1.0-1~bpo11+1',
];
const INVALID = [
  '', ' ', '1.0 1', 'a1.0', '1:', ':1.0', '1.0-', '-1', '1.0-a:b', '1.0$', '2147483648:1.0', 'A:1.0', '1.0:1-1',
  '1.0-1!', '~1',
];

describe('deb versions (dpkg)', () => {
  it('orders its own chains', () => {
    for (const chain of CHAINS) expect(chainFailures(deb, chain)).toEqual([]);
  });
  it('treats equivalent spellings as equal', () => {
    expect(equalFailures(deb, EQUAL)).toEqual([]);
  });
  it('validates as dpkg parses', () => {
    expect(VALID.filter((v) => !deb.valid(v))).toEqual([]);
    expect(INVALID.filter((v) => deb.valid(v))).toEqual([]);
  });
  it('is a total order, malformed versions included', () => {
    expect(lawFailures(deb, [...CHAINS.flat(), ...EQUAL.flat(), ...INVALID])).toEqual([]);
  });
  it('verrevcmp puts ~ before the end and the end before letters', () => {
    expect(verrevcmp('~', '')).toBeLessThan(0);
    expect(verrevcmp('', 'a')).toBeLessThan(0);
    expect(verrevcmp('a', '+')).toBeLessThan(0);
    expect(verrevcmp('99999999999999999999', '99999999999999999998')).toBeGreaterThan(0);
  });
});

interface DebVectors {
  cases: {
    less_than: { v1: string; v2: string; v1_lt_v2: boolean }[];
    greater_than: { v1: string; v2: string; v1_gt_v2: boolean }[];
    equal: { v1: string; v2: string; v1_eq_v2: boolean }[];
    parse_valid: { v: string; valid: boolean }[];
  };
}

const corpus = readVectorJson<DebVectors>('deb_compare.json');

describe.skipIf(corpus === undefined)('deb_compare.json (corpus)', () => {
  const c = corpus?.cases ?? { less_than: [], greater_than: [], equal: [], parse_valid: [] };
  const total = c.less_than.length + c.greater_than.length + c.equal.length + c.parse_valid.length;
  it(`passes all ${total} cases`, () => {
    const failures = [
      ...c.less_than.filter((t) => deb.compare(t.v1, t.v2) < 0 !== t.v1_lt_v2).map((t) => `lt ${t.v1} ${t.v2}`),
      ...c.greater_than.filter((t) => deb.compare(t.v1, t.v2) > 0 !== t.v1_gt_v2).map((t) => `gt ${t.v1} ${t.v2}`),
      ...c.equal.filter((t) => (deb.compare(t.v1, t.v2) === 0) !== t.v1_eq_v2).map((t) => `eq ${t.v1} ${t.v2}`),
      ...c.parse_valid.filter((t) => deb.valid(t.v) !== t.valid).map((t) => `valid ${t.v}`),
    ];
    expect(failures).toEqual([]);
  });
});

const dpkg = dpkgOracle();
if (!dpkg) console.warn('deb: dpkg is not installed; the comparison with dpkg --compare-versions is skipped');

/** Random well-formed dpkg versions with the characters that matter to ordering. */
function randomDebVersions(n: number): string[] {
  const rnd = seededRandom(20240601);
  const pick = (s: string) => s[Math.floor(rnd() * s.length)];
  const part = (first: string) => {
    let out = first;
    const len = 1 + Math.floor(rnd() * 6);
    for (let i = 0; i < len; i++) out += pick('0123456789000111aAzZ..++~~');
    return out;
  };
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const epoch = rnd() < 0.15 ? `${Math.floor(rnd() * 3)}:` : '';
    const rev = rnd() < 0.6 ? `-${part(pick('0123456789ab'))}` : '';
    out.push(`${epoch}${part(pick('0123456789'))}${rev}`);
  }
  return out;
}

describe.skipIf(!dpkg)('deb agrees with dpkg --compare-versions', () => {
  it('on its own tables', () => {
    const pairs = allPairs([...CHAINS, ...EQUAL]);
    expect(oracleFailures(deb, pairs, dpkg!(pairs))).toEqual([]);
  });
  it('on 300 random pairs', () => {
    const vs = randomDebVersions(600);
    const pairs = vs.slice(0, 300).map((v, i): [string, string] => [v, vs[300 + i]]);
    expect(oracleFailures(deb, pairs, dpkg!(pairs))).toEqual([]);
  });
});
