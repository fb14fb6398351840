/**
 * The printable reports through the HTTP API of a seeded server: HTML that is self-contained and escaped, and
 * PDFs printed by the real Chromium, read back page by page. The PDF tests need Chromium (PALISADE_CHROMIUM or
 * /usr/bin/chromium); without it they are skipped, saying so.
 */
import { existsSync } from 'node:fs';
import { getDocument } from 'pdfjs-dist/legacy/build/pdf.mjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSeededServer, type SeededServer } from '../../test/helpers/seeded-server.js';
import { chromiumPath, createPdfRenderer } from '../app/pdf.js';
import { buildApp } from './server.js';

let s: SeededServer;

beforeAll(async () => {
  s = await startSeededServer();
});
afterAll(async () => {
  await s?.close();
});

/** The text of every page, whitespace collapsed. */
async function pdfPages(pdf: Buffer): Promise<string[]> {
  const doc = await getDocument({ data: new Uint8Array(pdf), useSystemFonts: false, isEvalSupported: false }).promise;
  const pages: string[] = [];
  for (let i = 1; i <= doc.numPages; i++) {
    const content = await (await doc.getPage(i)).getTextContent();
    pages.push(
      content.items
        .map((x) => ('str' in x ? x.str : ''))
        .join(' ')
        .replace(/\s+/g, ' '),
    );
  }
  await doc.destroy();
  return pages;
}

describe('HTML reports', () => {
  it('serves the posture report as one self-contained document with every section', async () => {
    const res = await s.get('reader', '/api/v1/reports/posture.html');
    expect(res.statusCode, res.body.slice(0, 300)).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['content-security-policy']).toContain("default-src 'none'");
    const html = res.body;
    for (const part of ['<title>Security posture report</title>', 'Generated at', 'All connectors', 'Secure score', 'Summary', 'Top recommendations', 'Vulnerabilities of running images', 'nginx:latest', 'Alerts by severity']) expect(html).toContain(part);
    expect(html).not.toMatch(/<script|<link|<img|<iframe|\bsrc=|\bhref=|url\(/i);
  });

  it('serves a framework\'s compliance report with every control, and 404 for an unknown framework', async () => {
    const res = await s.get('reader', '/api/v1/reports/compliance/cis-k8s-1.10.html');
    expect(res.statusCode).toBe(200);
    const frameworks = (await s.get('reader', '/api/v1/compliance/frameworks/cis-k8s-1.10')).json();
    for (const c of frameworks.controls as Array<{ id: string }>) expect(res.body).toContain(`<td>${c.id}</td>`);
    expect(res.body).toContain('Section 5.1');
    expect(res.body).not.toMatch(/<script|\bsrc=|\bhref=/i);
    const missing = await s.get('reader', '/api/v1/reports/compliance/no-such-framework.html');
    expect(missing.statusCode).toBe(404);
  });

  it('escapes what clusters control: a connector name full of markup reads as text', async () => {
    const c = await s.store.createConnector({ kind: 'cluster', name: '<img src=x onerror=alert(1)>&"\'', config: {}, secrets: null });
    try {
      const res = await s.get('reader', `/api/v1/reports/posture.html?connectorId=${c.id}`);
      expect(res.statusCode).toBe(200);
      expect(res.body).toContain('&lt;img src=x onerror=alert(1)&gt;&amp;&quot;&#39;');
      expect(res.body).not.toContain('<img');
    } finally {
      await s.store.deleteConnector(c.id);
    }
  });
});

const chromium = chromiumPath();
const hasChromium = existsSync(chromium);
if (!hasChromium) console.warn(`PDF report tests skipped: no Chromium at ${chromium} (install chromium or set PALISADE_CHROMIUM)`);

describe.skipIf(!hasChromium)('PDF reports', () => {
  it('prints the posture report: the title on page 1, every section, "page / pages" in every footer', async () => {
    const res = await s.get('reader', '/api/v1/reports/posture.pdf');
    expect(res.statusCode, res.body.slice(0, 300)).toBe(200);
    expect(res.headers['content-type']).toBe('application/pdf');
    expect(res.rawPayload.subarray(0, 5).toString()).toBe('%PDF-');
    const pages = await pdfPages(res.rawPayload);
    expect(pages.length).toBeGreaterThan(0);
    expect(pages[0]).toContain('Security posture report');
    expect(pages[0]).toContain('Generated at');
    expect(pages[0]).toContain('Secure score');
    pages.forEach((text, i) => expect(text, `page ${i + 1}`).toContain(`${i + 1} / ${pages.length}`));
    // Each section is on some page, in the order of the document.
    const where = (text: string) => pages.findIndex((p) => p.includes(text));
    const order = ['Secure score', 'Top recommendations', 'Vulnerabilities of running images', 'Alerts by severity'].map(where);
    expect(order.every((p) => p >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(pages[where('Vulnerabilities of running images')]! + (pages[where('Vulnerabilities of running images') + 1] ?? '')).toContain('nginx:latest');
  });

  it('prints a compliance report: title on page 1, every control on some page, numbered footers', async () => {
    const res = await s.get('reader', '/api/v1/reports/compliance/pss-restricted.pdf');
    expect(res.statusCode, res.body.slice(0, 300)).toBe(200);
    const pages = await pdfPages(res.rawPayload);
    expect(pages[0]).toContain('Compliance report: Pod Security Standards');
    pages.forEach((text, i) => expect(text, `page ${i + 1}`).toContain(`${i + 1} / ${pages.length}`));
    const detail = (await s.get('reader', '/api/v1/compliance/frameworks/pss-restricted')).json();
    const all = pages.join(' ');
    for (const c of detail.controls as Array<{ title: string }>) expect(all).toContain(c.title.replace(/\s+/g, ' '));
    const cis = await s.get('reader', '/api/v1/reports/compliance/cis-k8s-1.10.pdf');
    const cisPages = await pdfPages(cis.rawPayload);
    expect(cisPages.length).toBeGreaterThan(1);
    expect(cisPages[0]).toContain('Compliance report: CIS Kubernetes Benchmark');
    cisPages.forEach((text, i) => expect(text, `CIS page ${i + 1}`).toContain(`${i + 1} / ${cisPages.length}`));
  });

  it('answers 404 for an unknown framework before printing anything', async () => {
    expect((await s.get('reader', '/api/v1/reports/compliance/no-such-framework.pdf')).statusCode).toBe(404);
  });
});

describe('PDF reports without a browser', () => {
  it('answers 503 naming PALISADE_CHROMIUM, while the HTML report still works', async () => {
    const app = await buildApp({ store: s.store, validateResponses: true, pdf: createPdfRenderer({ executablePath: '/nonexistent/chromium' }) });
    try {
      const headers = { authorization: `Bearer ${s.tokens.reader}` };
      const res = await app.inject({ method: 'GET', url: '/api/v1/reports/posture.pdf', headers });
      expect(res.statusCode).toBe(503);
      expect(res.json()).toMatchObject({ error: 'pdf_unavailable' });
      expect(res.json().message).toMatch(/PALISADE_CHROMIUM/);
      expect((await app.inject({ method: 'GET', url: '/api/v1/reports/posture.html', headers })).statusCode).toBe(200);
    } finally {
      await app.close();
    }
  });
});
