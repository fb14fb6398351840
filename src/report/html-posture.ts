/**
 * The posture report as printable HTML: secure score and its trend, summary tables, top recommendations,
 * vulnerabilities of running images and alerts by severity. Pure: the data comes from src/app/reports.ts.
 */
import type { PostureReport } from '../model/dashboard.js';
import { SEVERITIES } from '../model/severity.js';
import { badge, escapeHtml, htmlDocument, paragraph, raw, scoreFigure, section, table } from './html-document.js';

/** The posture report as one self-contained HTML document. */
export function renderPostureHtml(r: PostureReport): string {
  const trend = r.score.trend.slice(-14);
  const recs = r.recommendations;
  const sev = (counts: Record<string, number>) => SEVERITIES.map((s) => counts[s] ?? 0);
  return htmlDocument({
    title: r.title,
    generatedAt: r.generatedAt,
    scope: r.scope,
    body: [
      section(
        'Secure score',
        scoreFigure('Secure score now', r.score.current),
        trend.length ? table(['Day', 'Score'], trend.map((p) => [p.at.slice(0, 10), p.score]), { numeric: [1] }) : paragraph('No score recorded in the last 30 days.'),
      ),
      section(
        'Summary',
        table(
          ['', ...SEVERITIES, 'Total'],
          [
            ['Recommendations (checks failing)', ...sev(recs.bySeverity), recs.total],
            ['Open alerts', ...sev(r.alerts.bySeverity), r.alerts.open],
          ],
          { numeric: [1, 2, 3, 4, 5, 6] },
        ),
        raw('<h3>Inventory</h3>'),
        table(['Asset type', 'Count'], r.assets.byType.map((t) => [t.type, t.count]), { numeric: [1], empty: 'No assets.' }),
      ),
      section(
        'Top recommendations',
        table(
          ['Severity', 'Check', 'Title', 'Affected', 'Findings', 'Remediation'],
          recs.top.map((x) => [badge(x.severity), x.checkId, x.title, x.affected, x.findings, x.remediation]),
          { numeric: [3, 4], empty: 'No open findings.' },
        ),
      ),
      section(
        'Vulnerabilities of running images',
        table(
          ['Image', 'Digest', 'Critical', 'High', 'Medium', 'Low', 'Workloads', 'Exposed'],
          r.vulnerableRunningImages.map((i) => [i.ref, raw(`<code>${escapeHtml(i.digest ? i.digest.slice(0, 19) : 'unresolved')}</code>`), i.critical, i.high, i.medium, i.low, i.workloads, i.exposed ? 'yes' : 'no']),
          { numeric: [2, 3, 4, 5, 6], empty: 'No running image with known vulnerabilities.' },
        ),
      ),
      section(
        'Alerts by severity',
        table(['Severity', 'Open'], SEVERITIES.map((s) => [badge(s), r.alerts.bySeverity[s]]), { numeric: [1] }),
        raw('<h3>Raised per day</h3>'),
        table(['Day', 'Critical', 'High', 'Medium', 'Low'], r.alerts.daily.map((d) => [d.day, d.critical, d.high, d.medium, d.low]), { numeric: [1, 2, 3, 4] }),
      ),
    ],
  });
}
