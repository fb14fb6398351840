import { describe, expect, it } from 'vitest';
import { chainFailures, equalFailures, lawFailures } from '../../../test/helpers/version-tables.js';
import { go, parseGo } from './go.js';

/** Strictly ascending under the go command's ordering (golang.org/x/mod/semver). */
const CHAINS: string[][] = [
  [
    'v0.0.0-20190101000000-abcdef123456', 'v0.0.0-20200101000000-abcdef123456', 'v0.0.0', 'v0.0.1', 'v0.1.0',
    'v1.0.0-0', 'v1.0.0-1', 'v1.0.0-10', 'v1.0.0-alpha', 'v1.0.0-alpha.1', 'v1.0.0-alpha.beta', 'v1.0.0-beta',
    'v1.0.0-beta.2', 'v1.0.0-beta.11', 'v1.0.0-rc.1', 'v1.0.0', 'v1.2.3',
    // A pseudo-version based on v1.2.3 sorts after it and before the next release and its pre-releases.
    'v1.2.4-0.20191109021931-daa7c04131f5', 'v1.2.4-0.20200101000000-0123456789ab', 'v1.2.4-pre',
    'v1.2.4-pre.0.20191109021931-daa7c04131f5', 'v1.2.4', 'v1.10.0', 'v2.0.0-rc.1', 'v2.0.0+incompatible',
    'v2.1.0+incompatible', 'v10.0.0',
  ],
  // Versions as the Go vulnerability database writes them, without the v.
  ['0.0.0-20220315160706-3147a52a75dd', '0.1.0', '0.17.0', '0.23.0', '1.21.0-rc.2', '1.21.0', '1.21.13', '1.22.6'],
  ['v1.2.3-a', 'v1.2.3-a.b', 'v1.2.3-a-b', 'v1.2.3-b'],
];

const EQUAL: string[][] = [
  ['v1.0.0', '1.0.0', 'v1', 'v1.0', '1', 'v1.0.0+meta', 'v1.0.0+incompatible'],
  ['v2.0.0+incompatible', 'v2.0.0'],
  ['v1.2.0', 'v1.2'],
];

const VALID = ['v1.2.3', '1.2.3', 'v0.0.0-20191109021931-daa7c04131f5', 'v2.0.0+incompatible', 'v1', 'v1.2', 'v1.2.3-0a', 'v1.2.3+001'];
const INVALID = [
  '', 'v', 'vv1.2.3', 'v1.2.3.4', 'v01.2.3', 'v1.02.3', 'v1.2.03', 'v1.2.3-01', 'v1.2-pre', 'v1-pre', 'v1+meta',
  'v1.2.3-', 'v1.2.3+', 'v1.2.3-a..b', 'v1.2.3 ', 'V1.2.3', 'latest', 'go1.21.0', 'v1.2.3-a_b',
];

describe('go module versions', () => {
  it('orders its own chains', () => {
    for (const chain of CHAINS) expect(chainFailures(go, chain)).toEqual([]);
  });
  it('ignores build metadata (+incompatible), expands shorthands, and accepts a missing v', () => {
    expect(equalFailures(go, EQUAL)).toEqual([]);
  });
  it('validates as the go command does', () => {
    expect(VALID.filter((v) => !go.valid(v))).toEqual([]);
    expect(INVALID.filter((v) => go.valid(v))).toEqual([]);
  });
  it('parses the parts', () => {
    expect(parseGo('v1.2.4-0.20191109021931-daa7c04131f5+incompatible')).toEqual({
      major: '1',
      minor: '2',
      patch: '4',
      prerelease: '-0.20191109021931-daa7c04131f5',
      build: '+incompatible',
    });
  });
  it('orders invalid versions before valid ones and is a total order', () => {
    expect(go.compare('latest', 'v0.0.0-20000101000000-000000000000')).toBeLessThan(0);
    expect(lawFailures(go, [...CHAINS.flat(), ...EQUAL.flat(), ...INVALID])).toEqual([]);
  });
  it('compares numbers of any size', () => {
    expect(go.compare('v1.99999999999999999999.0', 'v1.100000000000000000000.0')).toBeLessThan(0);
    expect(go.compare('v1.0.0-99999999999999999999', 'v1.0.0-100000000000000000000')).toBeLessThan(0);
  });
});
