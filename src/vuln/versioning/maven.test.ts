import { describe, expect, it } from 'vitest';
import { mavenOracle, seededRandom } from '../../../test/helpers/version-oracles.js';
import { allPairs, chainFailures, equalFailures, lawFailures, oracleFailures } from '../../../test/helpers/version-tables.js';
import { maven, parseMaven, type MavenItem } from './maven.js';

/** Strictly ascending under Maven's ComparableVersion. */
const CHAINS: string[][] = [
  // Qualifiers: alpha < beta < milestone < rc = cr < snapshot < release < sp < other words; then numbers.
  [
    '1-alpha', '1-alpha1', '1-alpha-2', '1-alpha10', '1-beta', '1-beta-2', '1-milestone-1', '1-m2', '1-rc', '1-rc1',
    '1-cr2', '1-rc3', '1-SNAPSHOT', '1', '1-sp', '1-sp1', '1-sp2', '1-abc', '1-def', '1-1-snapshot', '1-1', '1-2',
    '1-123', '1.1',
  ],
  ['1', '1.0.1', '1.1', '1.1.1', '1.2', '1.10', '2', '2.0.1', '10', '100000000000000000000'],
  // A qualifier after - or . sorts below a number after -, which sorts below a number after .
  ['1-foo', '1-1', '1.1'],
  // The same qualifier with and without a number.
  ['1.0-beta', '1.0-beta1', '1.0-beta2', '1.0-rc', '1.0'],
  // Real artifacts: jackson, spring, guava, log4j, jetty, hibernate, netty.
  ['2.12.7', '2.12.7.1', '2.13.0-rc1', '2.13.0', '2.13.4.2', '2.14.0'],
  ['5.3.17', '5.3.18', '5.3.39', '6.0.0-M1', '6.0.0-M2', '6.0.0-RC1', '6.0.0'],
  ['31.1-android', '31.1-jre', '32.0.0-android', '32.0.0-jre', '33.0.0-jre'],
  ['1.2.17', '2.0-beta9', '2.0-rc1', '2.0', '2.14.1', '2.15.0', '2.17.1'],
  ['9.4.43.v20210629', '9.4.44.v20210927', '10.0.0'],
  ['5.4.0.Final', '5.4.1.Final', '5.4.2.Final', '6.0.0.Alpha1', '6.0.0.Beta1', '6.0.0.CR1', '6.0.0.Final'],
  ['4.1.86.Final', '4.1.100.Final', '4.2.0.Alpha1', '4.2.0.Final'],
];

/** Spellings Maven treats as one version. */
const EQUAL: string[][] = [
  ['1', '1.0', '1.0.0', '1-0', '1.0-0', '1-ga', '1-final', '1-release', '1.0.0-GA', '1-FINAL', '1.ga', '1.0.0.Final'],
  ['1a1', '1-a1', '1-alpha-1', '1alpha1', '1.alpha1', '1-ALPHA-1'],
  ['1b2', '1-beta-2', '1beta2'],
  ['1m3', '1-milestone-3'],
  ['1cr1', '1rc1', '1-RC-1', '1.0.RC1', '1.0-RC1', '1.0.cr1'],
  ['1.0.0-SNAPSHOT', '1-snapshot', '1.0-SNAPSHOT'],
  ['1.0.01', '1.0.1', '1.00.1'],
];

const VALID = ['1', '1.0.0', '1.0-SNAPSHOT', '2.0.0.RELEASE', '9.4.43.v20210629', '1.0+build', '1_2', 'r09', 'v1.2'];
const INVALID = ['', '${project.version}', '[1.0,2.0)', '1.0 beta', 'LATEST', 'RELEASE', '-1.0', '.1', '1.0/2'];

/** A parsed version as a nested array, for readable expectations. */
function tree(item: MavenItem): unknown {
  if (item.kind === 'list') return item.items.map(tree);
  return item.kind === 'number' ? Number(item.digits) : item.value;
}

describe('maven versions (ComparableVersion)', () => {
  it('orders its own chains', () => {
    for (const chain of CHAINS) expect(chainFailures(maven, chain)).toEqual([]);
  });
  it('treats equivalent spellings as equal', () => {
    expect(equalFailures(maven, EQUAL)).toEqual([]);
  });
  it('validates concrete versions only', () => {
    expect(VALID.filter((v) => !maven.valid(v))).toEqual([]);
    expect(INVALID.filter((v) => maven.valid(v))).toEqual([]);
  });
  it('parses into Maven item trees', () => {
    expect(tree(parseMaven('1.0.0'))).toEqual([1]);
    expect(tree(parseMaven('1.0-RC1'))).toEqual([1, ['rc', [1]]]);
    expect(tree(parseMaven('1.0.RC1'))).toEqual([1, ['rc', [1]]]);
    // As `java -jar maven-artifact-3.9.9.jar 1-1.foo-bar1baz-.1` prints it.
    expect(tree(parseMaven('1-1.foo-bar1baz-.1'))).toEqual([1, [1, 'foo', ['bar', [1, ['baz', [0, 1]]]]]]);
    expect(tree(parseMaven('2.0.0.RELEASE'))).toEqual([2]);
    expect(tree(parseMaven('1.0-alpha-0'))).toEqual([1, ['alpha']]);
  });
  it('is a total order', () => {
    expect(lawFailures(maven, [...CHAINS.flat(), ...EQUAL.flat(), ...INVALID])).toEqual([]);
  });
});

const oracle = mavenOracle();
if (!oracle) console.warn('maven: no java or no maven-artifact 3.9 jar in ~/.m2; the comparison with ComparableVersion is skipped');

/** Random Maven versions mixing numbers, known and unknown qualifiers and both separators. */
function randomMavenVersions(n: number): string[] {
  const rnd = seededRandom(399);
  const atoms = ['0', '1', '2', '10', '01', 'alpha', 'a', 'b', 'm', 'beta', 'rc', 'cr', 'RC', 'SNAPSHOT', 'ga', 'final', 'Final', 'release', 'sp', 'foo', 'jre'];
  return Array.from({ length: n }, () => {
    let v = atoms[Math.floor(rnd() * 5)];
    const len = Math.floor(rnd() * 6);
    for (let i = 0; i < len; i++) {
      const r = rnd();
      v += r < 0.35 ? '.' : r < 0.65 ? '-' : '';
      v += atoms[Math.floor(rnd() * atoms.length)];
    }
    return v;
  });
}

describe.skipIf(!oracle)('maven agrees with ComparableVersion (maven-artifact 3.9)', () => {
  it('on its own tables and 5000 random pairs', () => {
    const vs = randomMavenVersions(10000);
    const pairs = [...allPairs([...CHAINS, ...EQUAL]), ...vs.slice(0, 5000).map((v, i): [string, string] => [v, vs[5000 + i]])];
    expect(oracleFailures(maven, pairs, oracle!(pairs))).toEqual([]);
  });
});
