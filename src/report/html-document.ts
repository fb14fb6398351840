/**
 * The frame of the printable HTML reports: one self-contained document (inline CSS, no script, no external
 * asset) with a title block, and the small builders the reports share. Every value goes through
 * {@link escapeHtml}: report data holds names and messages taken from clusters, which anyone who can create an
 * object there controls.
 */
import type { ReportScope } from '../model/dashboard.js';

/** Text as HTML: `& < > " '` escaped, null and undefined as nothing. Safe in element content and quoted attributes. */
export function escapeHtml(value: unknown): string {
  if (value === null || value === undefined) return '';
  return String(value).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Markup already escaped, as the builders below return it. */
export interface Html {
  readonly html: string;
}

/** Marks markup built here as safe to insert unescaped. */
export function raw(html: string): Html {
  return { html };
}

function cell(v: unknown): string {
  return typeof v === 'object' && v !== null && 'html' in v ? (v as Html).html : escapeHtml(v);
}

/** A table with a header row; cells are escaped unless built with {@link raw}. `numeric` columns align right. */
export function table(headers: readonly string[], rows: ReadonlyArray<readonly unknown[]>, opts: { numeric?: readonly number[]; empty?: string } = {}): Html {
  if (!rows.length) return raw(`<p class="empty">${escapeHtml(opts.empty ?? 'None.')}</p>`);
  const num = new Set(opts.numeric ?? []);
  const td = (v: unknown, i: number, tag: 'td' | 'th') => `<${tag}${num.has(i) ? ' class="num"' : ''}>${cell(v)}</${tag}>`;
  return raw(`<table><thead><tr>${headers.map((h, i) => td(h, i, 'th')).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((v, i) => td(v, i, 'td')).join('')}</tr>`).join('')}</tbody></table>`);
}

/** A coloured label for a severity or a status. */
export function badge(text: string): Html {
  return raw(`<span class="badge b-${escapeHtml(text.replace(/[^a-z-]/g, ''))}">${escapeHtml(text)}</span>`);
}

/** A section with a heading. */
export function section(title: string, ...parts: Html[]): Html {
  return raw(`<section><h2>${escapeHtml(title)}</h2>${parts.map((p) => p.html).join('')}</section>`);
}

/** A paragraph of text. */
export function paragraph(text: string): Html {
  return raw(`<p>${escapeHtml(text)}</p>`);
}

/** The secure score as a large figure with a bar; `null` reads "not assessed". */
export function scoreFigure(label: string, score: number | null): Html {
  const width = score === null ? 0 : Math.max(0, Math.min(100, score));
  return raw(
    `<div class="score"><div class="score-value">${score === null ? 'n/a' : escapeHtml(score)}<small>${score === null ? ' not assessed' : ' / 100'}</small></div><div class="score-label">${escapeHtml(label)}</div><div class="bar"><div style="width:${width}%"></div></div></div>`,
  );
}

const CSS = `
@page { size: A4; }
* { box-sizing: border-box; }
body { font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; font-size: 10pt; color: #1b1f24; margin: 0; }
header.doc { border-bottom: 2px solid #1f4e79; padding-bottom: 6pt; margin-bottom: 10pt; }
h1 { font-size: 18pt; margin: 0 0 4pt; color: #1f4e79; }
h2 { font-size: 13pt; margin: 14pt 0 6pt; color: #1f4e79; break-after: avoid; }
h3 { font-size: 11pt; margin: 10pt 0 4pt; break-after: avoid; }
dl.meta { display: grid; grid-template-columns: max-content auto; gap: 2pt 10pt; margin: 0; }
dl.meta dt { font-weight: bold; }
dl.meta dd { margin: 0; }
table { width: 100%; border-collapse: collapse; margin: 4pt 0 8pt; }
thead { display: table-header-group; }
tr { break-inside: avoid; }
th, td { border: 1px solid #c9d1d9; padding: 3pt 5pt; text-align: left; vertical-align: top; }
th { background: #eef2f6; }
td.num, th.num { text-align: right; }
.empty { color: #57606a; font-style: italic; }
.badge { display: inline-block; padding: 0 4pt; border-radius: 3pt; font-size: 8.5pt; font-weight: bold; color: #fff; background: #57606a; }
.b-critical, .b-fail { background: #a40e26; }
.b-high { background: #d1242f; }
.b-medium { background: #bc4c00; }
.b-low { background: #9a6700; }
.b-info, .b-manual { background: #57606a; }
.b-pass { background: #1a7f37; }
.b-not-applicable { background: #8c959f; }
.score { display: inline-block; min-width: 60mm; margin: 4pt 12pt 4pt 0; vertical-align: top; }
.score-value { font-size: 24pt; font-weight: bold; color: #1f4e79; }
.score-value small { font-size: 10pt; color: #57606a; font-weight: normal; }
.score-label { color: #57606a; }
.bar { height: 5pt; background: #eef2f6; margin-top: 3pt; }
.bar div { height: 100%; background: #1f4e79; }
code { font-family: "DejaVu Sans Mono", monospace; font-size: 8.5pt; word-break: break-all; }
`;

/** The whole document: title block (title, generated at, scope) and the body. */
export function htmlDocument(doc: { title: string; generatedAt: string; scope: ReportScope; subtitle?: string; body: readonly Html[] }): string {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(doc.title)}</title><style>${CSS}</style></head>
<body><header class="doc"><h1>${escapeHtml(doc.title)}</h1>${doc.subtitle ? `<p>${escapeHtml(doc.subtitle)}</p>` : ''}
<dl class="meta"><dt>Generated at</dt><dd>${escapeHtml(doc.generatedAt)}</dd><dt>Scope</dt><dd>${escapeHtml(doc.scope.label)}</dd></dl></header>
<main>${doc.body.map((b) => b.html).join('\n')}</main></body></html>
`;
}
