import { describe, expect, it } from 'vitest';
import { parseQuantity, sameQuantity } from './resources.js';

describe('parseQuantity', () => {
  it.each([
    ['1', 1], ['1000m', 1], ['0.5', 0.5], ['250m', 0.25], [2, 2],
    ['1Gi', 2 ** 30], ['1024Mi', 2 ** 30], ['1G', 1e9], ['1k', 1000], ['1e3', 1000], ['1E3', 1000], ['1E', 1e18],
    ['500n', 5e-7], ['.5', 0.5],
  ])('%s', (q, n) => {
    expect(sameQuantity(parseQuantity(q)!, n)).toBe(true);
    // Asked again (answered from what was read before): the same.
    expect(sameQuantity(parseQuantity(q)!, n)).toBe(true);
  });
  it.each([['abc'], ['1 Gi'], ['1gi'], [''], [null], [{}], ['1.2.3']])('rejects %s', (q) => {
    expect(parseQuantity(q)).toBeUndefined();
    expect(parseQuantity(q)).toBeUndefined();
  });
});
