import { describe, expect, it } from 'vitest';
import { pep440Oracle, pep440ValidityOracle, seededRandom } from '../../../test/helpers/version-oracles.js';
import { allPairs, chainFailures, equalFailures, lawFailures, oracleFailures } from '../../../test/helpers/version-tables.js';
import { normalizePep440, parsePep440, pep440 } from './pep440.js';

/** Strictly ascending under PEP 440. The first chain is the specification's own example ordering, extended. */
const CHAINS: string[][] = [
  [
    '1.dev0', '1.0.dev456', '1.0a1', '1.0a2.dev456', '1.0a12.dev456', '1.0a12', '1.0b1.dev456', '1.0b2',
    '1.0b2.post345.dev456', '1.0b2.post345', '1.0rc1.dev456', '1.0rc1', '1.0', '1.0+abc.5', '1.0+abc.7', '1.0+5',
    '1.0.post456.dev34', '1.0.post456', '1.0.15', '1.1.dev1',
  ],
  // Epochs outrank everything.
  ['2.0', '2013.10', '1!0.1', '1!1.0', '2!0.0.dev0'],
  // Pre-releases, post-releases and dev releases of one release.
  [
    '1.0.dev0', '1.0.dev1', '1.0a0.dev0', '1.0a0', '1.0a1.post0.dev0', '1.0a1.post0', '1.0a1.post1', '1.0a2',
    '1.0b0', '1.0rc0', '1.0rc1', '1.0', '1.0.post0.dev0', '1.0.post0', '1.0.post1', '1.0.0.1',
  ],
  // Local versions: text segments before numeric ones, numbers compared numerically, longer after shorter.
  ['1.0', '1.0+a', '1.0+a.1', '1.0+abc', '1.0+b', '1.0+0', '1.0+1', '1.0+1.a', '1.0+1.0', '1.0+2', '1.0+10', '1.0.post1'],
  // Large numbers.
  ['1.99999999999999999998', '1.99999999999999999999', '1.100000000000000000000'],
  // Real releases.
  ['2.31.0', '2.32.0rc1', '2.32.0', '2.32.3', '23.2.1', '24.0'],
];

/** Spellings PEP 440 normalises to one version. */
const EQUAL: string[][] = [
  ['1.0', '1.0.0', '1', '1.0.0.0', 'v1.0', 'V1.0', ' 1.0 ', '0!1.0', '01.00'],
  ['1.0a1', '1.0-alpha.1', '1.0ALPHA1', '1.0_a_1', '1.0.a1', '1.0alpha1'],
  ['1.0b2', '1.0beta2', '1.0-b-2'],
  ['1.0rc1', '1.0c1', '1.0-pre1', '1.0preview1', '1.0RC1', '1.0.rc.1'],
  ['1.0a0', '1.0a'],
  ['1.0.post1', '1.0-1', '1.0rev1', '1.0-r-1', '1.0post1', '1.0_post_1', '1.0r1'],
  ['1.0.post0', '1.0.post', '1.0-post'],
  ['1.0.dev0', '1.0dev', '1.0-dev', '1.0.DEV0'],
  ['1!1.0', '1!1.0.0', '01!1'],
  ['1.0+ubuntu.1', '1.0+Ubuntu-1', '1.0+ubuntu_1', '1.0+ubuntu.01'],
];

const NORMALISED: [string, string][] = [
  ['1.0-Alpha_1', '1.0a1'],
  ['v1.0', '1.0'],
  ['1.0.0', '1.0.0'],
  ['01.02.003', '1.2.3'],
  ['0!1.0', '1.0'],
  ['1!1.0', '1!1.0'],
  ['1.0c1', '1.0rc1'],
  ['1.0-pre', '1.0rc0'],
  ['1.0-1', '1.0.post1'],
  ['1.0rev', '1.0.post0'],
  ['1.0-dev', '1.0.dev0'],
  ['1.0a1.post2.dev3', '1.0a1.post2.dev3'],
  ['1.0+Ubuntu-01', '1.0+ubuntu.1'],
  ['1.0+abc-01x', '1.0+abc.01x'],
];

const INVALID = [
  '', '1.0-', '1.0.', '.1.0', '1.0+', '1.0+abc_', '1.0+abc..1', 'a1.0', '1.0a1b2', '1.0.post1.post2', '1!2!3',
  '1.0dev1.post1', '1.0 rc1', 'french toast', '1.0-final', '1.0-rc1-1-1', '1.0.x', 'v', '1.0a1rc1', '-1.0', '1.0++1',
];

describe('pep440 versions (Python)', () => {
  it('orders its own chains', () => {
    for (const chain of CHAINS) expect(chainFailures(pep440, chain)).toEqual([]);
  });
  it('treats normalised spellings as equal', () => {
    expect(equalFailures(pep440, EQUAL)).toEqual([]);
  });
  it('normalises spellings as PEP 440 says', () => {
    expect(NORMALISED.filter(([v, want]) => normalizePep440(v) !== want)).toEqual([]);
  });
  it('validates as packaging does', () => {
    expect([...CHAINS.flat(), ...EQUAL.flat()].filter((v) => !pep440.valid(v))).toEqual([]);
    expect(INVALID.filter((v) => pep440.valid(v))).toEqual([]);
    expect(normalizePep440('not a version')).toBeUndefined();
  });
  it('parses the parts', () => {
    expect(parsePep440('2!1.2.3rc4.post5.dev6+ab.7')).toEqual({
      epoch: '2',
      release: ['1', '2', '3'],
      pre: { phase: 'rc', n: '4' },
      post: '5',
      dev: '6',
      local: ['ab', '7'],
    });
  });
  it('orders invalid versions before valid ones and is a total order', () => {
    expect(pep440.compare('1.0-final', '0.0.dev0')).toBeLessThan(0);
    expect(lawFailures(pep440, [...CHAINS.flat(), ...EQUAL.flat(), ...INVALID])).toEqual([]);
  });
});

const oracle = pep440Oracle();
const validity = pep440ValidityOracle();
if (!oracle) console.warn('pep440: Python packaging is not installed; the comparison with packaging.version is skipped');

/** Random valid PEP 440 versions in many spellings. */
function randomPep440Versions(n: number): string[] {
  const rnd = seededRandom(440);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
  const num = () => pick(['0', '1', '2', '10', '01', '00', '3']);
  const sep = () => pick(['', '.', '-', '_']);
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    let v = rnd() < 0.1 ? `${pick(['0', '1', '2'])}!` : '';
    const parts = 1 + Math.floor(rnd() * 4);
    v += Array.from({ length: parts }, num).join('.');
    if (rnd() < 0.35) v += `${sep()}${pick(['a', 'b', 'rc', 'c', 'alpha', 'beta', 'pre', 'preview'])}${rnd() < 0.8 ? num() : ''}`;
    if (rnd() < 0.3) v += rnd() < 0.2 ? `-${num()}` : `${sep()}${pick(['post', 'rev', 'r'])}${rnd() < 0.8 ? num() : ''}`;
    if (rnd() < 0.3) v += `${sep()}dev${rnd() < 0.8 ? num() : ''}`;
    if (rnd() < 0.25) v += `+${Array.from({ length: 1 + Math.floor(rnd() * 3) }, () => pick(['a', 'b', 'ubuntu', '1', '2', '01', '10', 'x1'])).join(pick(['.', '-', '_']))}`;
    out.push(rnd() < 0.1 ? v.toUpperCase() : v);
  }
  return out;
}

describe.skipIf(!oracle)('pep440 agrees with packaging.version (what pip uses)', () => {
  it('on its own tables', () => {
    const pairs = allPairs([...CHAINS, ...EQUAL]);
    expect(oracleFailures(pep440, pairs, oracle!(pairs))).toEqual([]);
  });
  it('on 5000 random pairs', () => {
    const vs = randomPep440Versions(10000);
    expect(vs.filter((v) => !pep440.valid(v))).toEqual([]);
    const pairs = vs.slice(0, 5000).map((v, i): [string, string] => [v, vs[5000 + i]]);
    expect(oracleFailures(pep440, pairs, oracle!(pairs))).toEqual([]);
  });
});

/** Random strings over the characters PEP 440 versions are made of. */
function randomStrings(n: number): string[] {
  const rnd = seededRandom(4401);
  const atoms = ['0', '1', '12', '.', '.', '-', '_', '+', '!', 'a', 'b', 'c', 'rc', 'pre', 'post', 'dev', 'r', 'v', 'x', ' ', 'alpha', 'rev'];
  return Array.from({ length: n }, () => {
    let s = rnd() < 0.8 ? '1' : '';
    const len = Math.floor(rnd() * 8);
    for (let i = 0; i < len; i++) s += atoms[Math.floor(rnd() * atoms.length)];
    return s;
  });
}

describe.skipIf(!validity)('pep440 accepts exactly what packaging.version accepts', () => {
  it('on its own tables and 20000 random strings', () => {
    const inputs = [...CHAINS.flat(), ...EQUAL.flat(), ...INVALID, ...randomStrings(20000)];
    const want = validity!(inputs);
    expect(inputs.filter((v, i) => pep440.valid(v) !== want[i])).toEqual([]);
  });
});
