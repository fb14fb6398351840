import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createPdfRenderer, DEFAULT_CHROMIUM } from './pdf.js';

const skip = existsSync(DEFAULT_CHROMIUM) ? false : `no Chromium at ${DEFAULT_CHROMIUM}: the PDF renderer test is skipped`;
if (skip) console.warn(skip);

describe.skipIf(skip)('PDF renderer', () => {
  it('prints a bounded number at once, queues a few and turns the rest away, and every queued one is printed', async () => {
    const pdf = createPdfRenderer({ concurrency: 1, queue: 1 });
    try {
      const html = '<!doctype html><title>t</title><h1>Report</h1>';
      const [a, b, c] = await Promise.all([pdf.render(html), pdf.render(html), pdf.render(html)]);
      expect(a.ok).toBe(true);
      expect(b.ok).toBe(true);
      expect(c).toEqual({ ok: false, message: expect.stringMatching(/1 reports are being printed and 1 wait: try again/) });
      // The turns were given back: the next one prints.
      const d = await pdf.render(html);
      expect(d.ok && d.pdf.subarray(0, 5).toString()).toBe('%PDF-');
    } finally {
      await pdf.close();
    }
  }, 60_000);
});
