import { describe, expect, it } from 'vitest';
import type { ScanReport } from '../model/report.js';
import { renderJson, renderJsonChunks } from './json.js';

/** A report-shaped value with everything JSON.stringify treats specially, and arrays long enough to be batched. */
function sample(n: number): ScanReport {
  const item = (i: number) => ({
    i,
    text: `line "${i}"\nnext\u2028 ${'é'.repeat(Math.abs(i) % 3)}`,
    when: new Date(Date.UTC(2026, 0, 1 + (Math.abs(i) % 28))),
    gone: undefined,
    fn: () => i,
    nested: { list: [i, null, undefined, { deep: [] }], empty: {} },
    own: { toJSON: () => (Math.abs(i) % 2 ? undefined : `json ${i}`) },
  });
  return {
    schema: 'x',
    findings: Array.from({ length: n }, (_, i) => item(i)),
    exempted: [],
    summary: { files: n, nested: { many: Array.from({ length: n }, (_, i) => (i % 5 === 0 ? undefined : [i, { k: `v${i}` }])) } },
    skipped: undefined,
    only: item(-1),
  } as unknown as ScanReport;
}

describe('renderJsonChunks', () => {
  for (const n of [0, 3, 64, 65, 700, 1500]) {
    it(`writes exactly JSON.stringify(report, null, 2) in pieces (${n} items)`, () => {
      const report = sample(n);
      const expected = `${JSON.stringify(report, null, 2)}\n`;
      const pieces = [...renderJsonChunks(report)];
      expect(pieces.join('')).toBe(expected);
      expect(renderJson(report)).toBe(expected);
      if (expected.length > 600_000) expect(pieces.length).toBeGreaterThan(1);
    });
  }
});
