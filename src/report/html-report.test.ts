import { describe, expect, it } from 'vitest';
import type { ComplianceReport, PostureReport } from '../model/dashboard.js';
import { escapeHtml, table } from './html-document.js';
import { renderComplianceHtml } from './html-compliance.js';
import { renderPostureHtml } from './html-posture.js';

const EVIL = `<script>alert("x")</script>&'`;
const tally = { critical: 1, high: 2, medium: 0, low: 0, info: 0 };
const scope = { label: EVIL, connectors: [{ id: 'c1', name: EVIL }] };

const posture: PostureReport = {
  title: 'Security posture report',
  generatedAt: '2026-01-02T03:04:05.000Z',
  scope,
  score: { current: 71.5, trend: [{ at: '2026-01-01T10:00:00.000Z', score: 70 }, { at: '2026-01-02T10:00:00.000Z', score: 71.5 }] },
  recommendations: {
    total: 3,
    bySeverity: tally,
    top: [{ checkId: 'PAL-001', title: EVIL, severity: 'critical', remediation: `Set ${EVIL}`, affected: 4, findings: 5 }],
  },
  alerts: { open: 3, bySeverity: tally, daily: [{ day: '2026-01-02', critical: 1, high: 2, medium: 0, low: 0 }] },
  assets: { byType: [{ type: 'workload', count: 12 }] },
  vulnerableRunningImages: [{ digest: `sha256:${EVIL}`, ref: `nginx:${EVIL}`, critical: 1, high: 0, medium: 0, low: 0, workloads: 2, exposed: true }],
};

const compliance: ComplianceReport = {
  title: 'Compliance report: CIS',
  generatedAt: '2026-01-02T03:04:05.000Z',
  scope,
  framework: {
    id: 'cis',
    name: 'CIS',
    version: 'v1',
    url: 'https://example.com/cis',
    description: EVIL,
    passed: 1,
    failed: 1,
    notApplicable: 0,
    manual: 1,
    score: 50,
    controls: [
      { id: '5.1.1', section: '5.1', title: EVIL, status: 'fail', checks: [{ checkId: 'PAL-066', slug: 's', title: EVIL, severity: 'critical', passed: 1, failed: 2 }] },
      { id: '5.1.2', section: '5.1', title: 'Secrets', status: 'pass', checks: [{ checkId: 'PAL-068', slug: 's', title: 'Reads secrets', severity: 'high', passed: 3, failed: 0 }] },
      { id: '5.2.1', section: '5.2', title: 'Manual one', status: 'manual', checks: [] },
    ],
  },
};

/** Markup a report must never contain: scripts, anything that loads or links elsewhere. */
const ACTIVE = /<script|<link|<img|<iframe|<object|\bon\w+=|\bsrc=|\bhref=|url\(/i;

describe('escapeHtml', () => {
  it('escapes the five characters that matter in content and quoted attributes', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    expect(escapeHtml(null)).toBe('');
    expect(escapeHtml(42)).toBe('42');
  });

  it('builds tables whose cells are escaped, and says when there are no rows', () => {
    expect(table(['a'], [[EVIL]]).html).toContain('&lt;script&gt;');
    expect(table(['a'], [], { empty: 'Nothing.' }).html).toBe('<p class="empty">Nothing.</p>');
  });
});

describe('posture report', () => {
  const html = renderPostureHtml(posture);

  it('is one self-contained document: inline style, no script, no external asset, every value escaped', () => {
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).toContain('<style>');
    expect(html).not.toMatch(ACTIVE);
    expect(html).not.toContain(EVIL);
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;');
  });

  it('has the title, time, scope, score, summary, recommendations, images and alerts', () => {
    for (const part of ['<h1>Security posture report</h1>', '2026-01-02T03:04:05.000Z', '71.5', 'Recommendations (checks failing)', 'PAL-001', 'Vulnerabilities of running images', 'nginx:', 'Alerts by severity', '2026-01-01']) expect(html).toContain(part);
  });
});

describe('compliance report', () => {
  const html = renderComplianceHtml(compliance);

  it('is self-contained and escaped', () => {
    expect(html).not.toMatch(ACTIVE);
    expect(html).not.toContain(EVIL);
  });

  it('lists every control by section with its status and checks; a control without checks needs a manual review', () => {
    expect(html.indexOf('Section 5.1')).toBeLessThan(html.indexOf('Section 5.2'));
    expect(html).toContain('<span class="badge b-fail">fail</span>');
    expect(html).toContain('PAL-066</b> &lt;script&gt;');
    expect(html).toContain('2 failing, 1 passing');
    expect(html).toContain('Manual review: no automated check.');
    // The framework's address is printed as text, not linked.
    expect(html).toContain('(https://example.com/cis)');
  });
});
