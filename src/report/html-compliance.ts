/**
 * A framework's compliance report as printable HTML: score, summary, history (a line per day), then every
 * control with its status and the checks behind it (assets failing and passing each). Pure: the data comes from src/app/reports.ts.
 */
import type { ComplianceReport, ControlCompliance } from '../model/dashboard.js';
import { badge, escapeHtml, htmlDocument, paragraph, raw, scoreFigure, section, table, type Html } from './html-document.js';

function checksCell(c: ControlCompliance): Html {
  if (!c.checks.length) return raw('<span class="empty">Manual review: no automated check.</span>');
  return raw(
    c.checks
      .map((k) => `<div>${badge(k.severity).html} <b>${escapeHtml(k.checkId)}</b> ${escapeHtml(k.title)}: ${escapeHtml(k.failed)} failing, ${escapeHtml(k.passed)} passing</div>`)
      .join(''),
  );
}

/** The controls grouped by section, in framework order (controls without a section form one group). */
function bySection(controls: readonly ControlCompliance[]): Array<{ section?: string; controls: ControlCompliance[] }> {
  const groups: Array<{ section?: string; controls: ControlCompliance[] }> = [];
  for (const c of controls) {
    const last = groups[groups.length - 1];
    if (last && last.section === c.section) last.controls.push(c);
    else groups.push({ section: c.section, controls: [c] });
  }
  return groups;
}

/** The compliance report of one framework as one self-contained HTML document. */
export function renderComplianceHtml(r: ComplianceReport): string {
  const f = r.framework;
  const groups = bySection(f.controls);
  const controlTable = (controls: readonly ControlCompliance[]) => table(['Control', 'Title', 'Status', 'Checks'], controls.map((c) => [c.id, c.title, badge(c.status), checksCell(c)]));
  return htmlDocument({
    title: r.title,
    subtitle: `${f.name}${f.version ? ` ${f.version}` : ''}${f.url ? ` (${f.url})` : ''}`,
    generatedAt: r.generatedAt,
    scope: r.scope,
    body: [
      section(
        'Summary',
        scoreFigure('Controls passed, of those assessed', f.score),
        ...(f.description ? [paragraph(f.description)] : []),
        table(['Passed', 'Failed', 'Not applicable', 'Manual review', 'Controls'], [[f.passed, f.failed, f.notApplicable, f.manual, f.controls.length]], { numeric: [0, 1, 2, 3, 4] }),
        paragraph(
          'A control fails when any of its checks has an open finding on an asset in scope, passes when its checks found assets to assess and none failed, ' +
            'is not applicable when no asset in scope is of the kinds its checks assess, and needs a manual review when no automated check maps to it.',
        ),
      ),
      ...(r.history
        ? [
            section(
              'History (last 30 days)',
              r.history.length
                ? table(['Day', 'Score', 'Passed', 'Failed', 'Not applicable', 'Manual review'], r.history.map((p) => [p.at.slice(0, 10), p.score ?? '-', p.passed, p.failed, p.notApplicable, p.manual]), { numeric: [1, 2, 3, 4, 5] })
                : paragraph('No compliance recorded in the last 30 days: a point is recorded by every sync of a connector.'),
            ),
          ]
        : []),
      section(
        'Results per control',
        ...groups.map((g) => (g.section && groups.length > 1 ? raw(`<h3>Section ${escapeHtml(g.section)}</h3>${controlTable(g.controls).html}`) : controlTable(g.controls))),
      ),
    ],
  });
}
