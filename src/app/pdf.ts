/**
 * Prints the HTML reports as PDF with a headless Chromium that is already on the machine (never downloaded):
 * `PALISADE_CHROMIUM`, else /usr/bin/chromium. One browser is launched on the first request and kept for the
 * next ones; the server closes it when it closes.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { escapeHtml } from '../report/html-document.js';

/** Where the browser is looked for when `PALISADE_CHROMIUM` is not set. */
export const DEFAULT_CHROMIUM = '/usr/bin/chromium';

/** A printed PDF, or why there is none (no browser, or it would not start). */
export type PdfResult = { ok: true; pdf: Buffer } | { ok: false; message: string };

/** Prints HTML documents as A4 PDFs with page numbers in the footer. */
export interface PdfRenderer {
  /** `title` names the document in the footer of every page. */
  render(html: string, opts?: { title?: string }): Promise<PdfResult>;
  /** Closes the browser, if one was launched. */
  close(): Promise<void>;
}

/** The browser executable: `PALISADE_CHROMIUM`, else /usr/bin/chromium. */
export function chromiumPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.PALISADE_CHROMIUM || DEFAULT_CHROMIUM;
}

/** The footer Chromium prints on every page: the title, and "page / pages" for a reader of the paper copy. */
function footer(title: string): string {
  return `<div style="width:100%;font-size:8px;font-family:sans-serif;color:#555;padding:0 12mm;display:flex;justify-content:space-between"><span>${escapeHtml(title)}</span><span><span class="pageNumber"></span> / <span class="totalPages"></span></span></div>`;
}

/**
 * A renderer that launches Chromium from `executablePath` (default {@link chromiumPath}) on first use. A missing
 * executable or a failed launch is a value naming `PALISADE_CHROMIUM`, so the API can answer 503 rather than 500.
 */
export function createPdfRenderer(opts: { executablePath?: string; concurrency?: number; queue?: number } = {}): PdfRenderer {
  let browser: Promise<Browser> | undefined;
  let closed = false;
  // Pages printed at once, and requests that may wait for a turn: any Reader can ask for PDFs, and each one is a
  // Chromium page; past the queue, a request is told to come back rather than piling up pages.
  const concurrency = opts.concurrency ?? 2;
  const maxWaiting = opts.queue ?? 8;
  let printing = 0;
  const waiting: Array<() => void> = [];
  const launch = (path: string): Promise<Browser> => {
    browser ??= chromium
      .launch({
        executablePath: path,
        // Chromium's sandbox cannot start as root (containers); the pages are our own script-free HTML with
        // every request blocked, so running unsandboxed there exposes nothing the sandbox would have contained.
        args: process.getuid?.() === 0 ? ['--no-sandbox'] : [],
      })
      .then((b) => {
        // A browser that crashed or was killed is launched anew on the next request.
        b.on('disconnected', () => {
          browser = undefined;
        });
        return b;
      })
      .catch((e: unknown) => {
        browser = undefined;
        throw e;
      });
    return browser;
  };
  const print = async (html: string, title: string): Promise<PdfResult> => {
    if (printing < concurrency) printing++;
    else if (waiting.length >= maxWaiting) return { ok: false, message: `${printing} reports are being printed and ${waiting.length} wait: try again in a moment` };
    // A finished print hands its turn over directly, so a newcomer never slips in ahead of those waiting.
    else await new Promise<void>((resolve) => waiting.push(resolve));
    try {
      return await renderNow(html, title);
    } finally {
      const next = waiting.shift();
      if (next) next();
      else printing--;
    }
  };
  const renderNow = async (html: string, title: string): Promise<PdfResult> => {
    const path = opts.executablePath ?? chromiumPath();
    if (!existsSync(path)) return { ok: false, message: `no Chromium at ${path}: install chromium, or set PALISADE_CHROMIUM to the path of a Chromium or Chrome executable` };
    let b: Browser;
    try {
      b = await launch(path);
    } catch (e) {
      return { ok: false, message: `Chromium at ${path} did not start (${(e as Error).message.split('\n')[0]}); set PALISADE_CHROMIUM to a working Chromium or Chrome executable` };
    }
    // A context per document: no cookies, cache or scripts shared between reports.
    const context = await b.newContext({ javaScriptEnabled: false });
    try {
      // The reports are self-contained: anything that would reach the network is a bug or an injection.
      await context.route('**/*', (route) => route.abort());
      const page = await context.newPage();
      await page.setContent(html, { waitUntil: 'load' });
      const pdf = await page.pdf({
        format: 'A4',
        printBackground: true,
        displayHeaderFooter: true,
        headerTemplate: '<span></span>',
        footerTemplate: footer(title),
        margin: { top: '14mm', bottom: '16mm', left: '12mm', right: '12mm' },
      });
      return { ok: true, pdf };
    } finally {
      await context.close();
    }
  };
  return {
    async render(html, { title = 'Palisade report' } = {}) {
      if (closed) return { ok: false, message: 'the server is closing' };
      return print(html, title);
    },
    async close() {
      closed = true;
      const b = browser;
      browser = undefined;
      if (b) await (await b.catch(() => undefined))?.close();
    },
  };
}
