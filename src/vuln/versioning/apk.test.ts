import { describe, expect, it } from 'vitest';
import { readVectorFile, readVectorJson } from '../../../test/helpers/version-vectors.js';
import { chainFailures, equalFailures, lawFailures, tableFailures } from '../../../test/helpers/version-tables.js';
import { apk } from './apk.js';

/** Strictly ascending under apk-tools. */
const CHAINS: string[][] = [
  [
    '1.0_alpha', '1.0_alpha1', '1.0_alpha2', '1.0_beta', '1.0_beta3', '1.0_pre1', '1.0_rc1', '1.0_rc1-r1', '1.0_rc2',
    '1.0', '1.0-r0', '1.0-r1', '1.0-r2', '1.0-r10', '1.0_cvs', '1.0_svn', '1.0_git20230101', '1.0_git20240101',
    '1.0_hg', '1.0_p', '1.0_p1', '1.0_p1-r1', '1.0_p2', '1.0a', '1.0b', '1.0.1_rc1', '1.0.1', '1.01', '1.1', '1.1.0',
    '1.2', '1.2-r1', '1.2~abc', '1.2~abc-r1', '1.2~abd', '1.2_p1', '2', '10', '100.0',
  ],
  // Suffixes chain, and a pre-release suffix after a post-release one.
  ['1.0_p1_alpha', '1.0_p1', '1.0_p1_p1', '1.0_p2_rc1', '1.0_p2'],
  // Leading zeros after the first number compare as text, as in Gentoo.
  ['1.0', '1.00', '1.001', '1.01', '1.010', '1.1'],
  // Real Alpine package versions.
  ['3.0.12-r0', '3.0.13-r0', '3.1.4-r5', '3.1.4-r6', '3.3.0-r0'],
  ['1.36.1-r28', '1.36.1-r29', '1.37.0-r0'],
  ['2.12.5_p20230704-r0', '2.12.5_p20240101-r0', '2.12.6-r0'],
];

const EQUAL: string[][] = [['1.0', '01.0', '001.0'], ['1.0_rc1', '1.0_rc1'], ['2.1-r01', '2.1-r1']];

const VALID = [
  '1', '1.2.3', '1.2.3a', '1.2.3_rc1', '1.2.3_rc1_p2', '1.2.3-r0', '1.2_git20230101-r1', '1.2~abcdef-r3',
  '0.1_alpha_beta', '1.2.3_p', '20240101', '1.2a_p1',
];
const INVALID = [
  '', 'a1', '1.2.3bc', '1.2-r', '1.2-1', '1.2_foo', '1.2.', '1..2', '1.2a.3', '1.2a1', '1.2-r1-r2', '1.2~', '1.2~xyz',
  '1.2 ', '1.2_rc1.2', '1.2_RC1', '1.2-r1_p1', '1.2_alphabeta',
];

describe('apk versions (apk-tools)', () => {
  it('orders its own chains', () => {
    for (const chain of CHAINS) expect(chainFailures(apk, chain)).toEqual([]);
  });
  it('treats equal versions as equal', () => {
    expect(equalFailures(apk, EQUAL)).toEqual([]);
  });
  it('validates as apk-tools does', () => {
    expect(VALID.filter((v) => !apk.valid(v))).toEqual([]);
    expect(INVALID.filter((v) => apk.valid(v))).toEqual([]);
  });
  it('orders malformed versions by their first broken token, as apk-tools does', () => {
    expect(tableFailures(apk, [
      ['1.0', '<', '1.0bc'],
      ['1.0_foo', '<', '1.0'],
      // ...except that a pre-release suffix on the other side still loses.
      ['1.0_foo', '>', '1.0_alpha'],
      ['1.0.x', '<', '1.0'],
      ['1.0-1', '<', '1.0'],
      ['1.0-1', '>', '0.9'],
    ])).toEqual([]);
  });
  it('is a total order, malformed versions included', () => {
    expect(lawFailures(apk, [...CHAINS.flat(), ...EQUAL.flat(), ...VALID, ...INVALID])).toEqual([]);
  });
});

interface ApkVectors {
  cases: { v1: string; op: '<' | '>' | '='; v2: string }[];
}

const json = readVectorJson<ApkVectors>('apk_compare.json');
const data = readVectorFile('apk_version.data');

describe.skipIf(json === undefined || data === undefined)('apk vectors (corpus)', () => {
  const rows = (data ?? '')
    .split('\n')
    .map((l) => l.replace(/#.*/, '').trim())
    .filter((l) => l !== '')
    .map((l) => l.split(/\s+/) as [string, '<' | '>' | '=', string]);

  it(`passes all ${json?.cases.length ?? 0} cases of apk_compare.json`, () => {
    expect(tableFailures(apk, json!.cases.map((c) => [c.v1, c.op, c.v2] as const))).toEqual([]);
  });
  it(`passes all ${rows.length} lines of apk_version.data`, () => {
    expect(tableFailures(apk, rows)).toEqual([]);
  });
  it('finds every version of the vectors valid except the two malformed ones', () => {
    const versions = new Set(rows.flatMap(([a, , b]) => [a, b]));
    expect([...versions].filter((v) => !apk.valid(v)).sort()).toEqual(['1.0bc', '23_foo']);
  });
});
