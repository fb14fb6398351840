import { describe, expect, it } from 'vitest';
import type { CheckContext } from '../check.js';
import { invalidLabels } from './invalid-labels.js';

/** The label syntax the API server enforces, written independently of the check. */
const NAME = /^(?=.{1,63}$)[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

function failures(labels: Record<string, unknown>): string[] {
  const ctx = { object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', labels } } } as unknown as CheckContext;
  return invalidLabels.evaluate(ctx).map((r) => r.message);
}

describe('invalid-labels', () => {
  it('judges label values as the API server does, for every string of a generated set', () => {
    // Characters that matter at every position: alphanumerics, the three separators, and a few that are never allowed.
    const alphabet = ['a', 'Z', '0', '-', '_', '.', '/', ' ', ':', 'é'];
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const values = ['', 'a', '-', 'a-', '-a', 'a.b', 'x'.repeat(63), 'x'.repeat(64), 'a'.repeat(62) + '-'];
    for (let i = 0; i < 2000; i++) {
      const length = 1 + Math.floor(random() * 6);
      values.push(Array.from({ length }, () => alphabet[Math.floor(random() * alphabet.length)]).join(''));
    }
    for (const value of values) {
      const valid = value === '' || NAME.test(value);
      expect([value, failures({ app: value }).length === 0]).toEqual([value, valid]);
      // The same string as a key without prefix follows the same rule (the empty key aside).
      if (value !== '' && !value.includes('/')) expect([value, failures({ [value]: 'v' }).length === 0]).toEqual([value, valid]);
    }
  });

  it('checks prefixed keys against the DNS subdomain rule and flags non-string values', () => {
    expect(failures({ 'app.kubernetes.io/name': 'web' })).toEqual([]);
    expect(failures({ 'App.Example/name': 'web' })).toHaveLength(1);
    expect(failures({ enabled: true })).toEqual(['label "enabled" value true is a boolean, not a string (quote it in YAML)']);
  });
});
