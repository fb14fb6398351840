/**
 * Table checks for version schemes: strictly ascending chains, groups of equal spellings, and the laws of an order.
 * Each returns the list of failures, so a test shows every broken case at once.
 */
import type { VersionScheme } from '../../src/vuln/versioning/scheme.js';

const s = (n: number) => Math.sign(n);

/** Every pair of a strictly ascending chain must compare below, and the other way round above. */
export function chainFailures(scheme: VersionScheme, chain: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < chain.length; i++) {
    for (let j = i + 1; j < chain.length; j++) {
      const ab = s(scheme.compare(chain[i], chain[j]));
      const ba = s(scheme.compare(chain[j], chain[i]));
      if (ab !== -1 || ba !== 1) out.push(`${chain[i]} < ${chain[j]}: compare gave ${ab}, reversed ${ba}`);
    }
  }
  return out;
}

/** Every pair inside a group must compare equal. */
export function equalFailures(scheme: VersionScheme, groups: readonly (readonly string[])[]): string[] {
  const out: string[] = [];
  for (const g of groups) {
    for (const a of g) {
      for (const b of g) {
        const r = s(scheme.compare(a, b));
        if (r !== 0) out.push(`${a} == ${b}: compare gave ${r}`);
      }
    }
  }
  return out;
}

/** `[a, op, b]` rows with op `<`, `=` or `>`; both directions are checked. */
export function tableFailures(scheme: VersionScheme, rows: readonly (readonly [string, '<' | '=' | '>', string])[]): string[] {
  const want = { '<': -1, '=': 0, '>': 1 } as const;
  const out: string[] = [];
  for (const [a, op, b] of rows) {
    const ab = s(scheme.compare(a, b));
    const ba = s(scheme.compare(b, a));
    if (ab !== want[op] || ba !== -want[op]) out.push(`${a} ${op} ${b}: compare gave ${ab}, reversed ${ba}`);
  }
  return out;
}

/** Reflexive, antisymmetric and transitive on a sample (sorted by the scheme, then every triple checked in order). */
export function lawFailures(scheme: VersionScheme, sample: readonly string[]): string[] {
  const out: string[] = [];
  for (const a of sample) if (s(scheme.compare(a, a)) !== 0) out.push(`${a} != itself`);
  for (const a of sample) {
    for (const b of sample) {
      if (s(scheme.compare(a, b)) !== -s(scheme.compare(b, a))) out.push(`${a} vs ${b} is not antisymmetric`);
    }
  }
  const sorted = [...sample].sort((a, b) => scheme.compare(a, b));
  for (let i = 0; i < sorted.length; i++) {
    for (let j = i + 1; j < sorted.length; j++) {
      if (scheme.compare(sorted[i], sorted[j]) > 0) out.push(`not transitive: ${sorted[i]} sorts before ${sorted[j]} yet compares above`);
    }
  }
  return out;
}

/** All ordered pairs drawn from chains and groups, for asking an oracle about the same tables. */
export function allPairs(lists: readonly (readonly string[])[]): [string, string][] {
  const out: [string, string][] = [];
  for (const l of lists) for (let i = 0; i < l.length; i++) for (let j = i + 1; j < l.length; j++) out.push([l[i], l[j]]);
  return out;
}

/** Pairs whose result from the scheme differs from the oracle's. */
export function oracleFailures(scheme: VersionScheme, pairs: readonly [string, string][], expected: number[]): string[] {
  const out: string[] = [];
  pairs.forEach(([a, b], k) => {
    const got = s(scheme.compare(a, b));
    if (got !== expected[k]) out.push(`${a} vs ${b}: ${got}, the package manager says ${expected[k]}`);
  });
  return out;
}
