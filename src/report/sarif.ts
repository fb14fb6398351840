import type { ScanReport } from '../model/report.js';
import type { Severity } from '../model/severity.js';

const LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = { critical: 'error', high: 'error', medium: 'warning', low: 'note', info: 'note' };
/** GitHub code scanning reads `security-severity` (0-10) to bucket results. */
const SECURITY_SEVERITY: Record<Severity, string> = { critical: '9.5', high: '8.0', medium: '5.5', low: '3.0', info: '0.0' };

function uri(file: string): string {
  return file.replace(/\\/g, '/').replace(/^\.\//, '');
}

/**
 * `-o sarif`: SARIF 2.1.0 with one rule per check and physical locations (file, line, column) so that
 * code-scanning UIs show findings inline. Exempted findings are included as suppressed results, input
 * errors and exemption issues as tool notifications.
 */
export function renderSarif(report: ScanReport): string {
  const rules = report.catalogue.map((c) => ({
    id: c.id,
    name: c.slug,
    shortDescription: { text: c.title },
    fullDescription: { text: c.description },
    help: { text: `${c.description}\n\nRemediation: ${c.remediation}`, markdown: `${c.description}\n\n**Remediation:** ${c.remediation}` },
    defaultConfiguration: { level: LEVEL[c.severity] },
    properties: {
      tags: ['security', 'kubernetes', c.category, ...c.frameworks.map((f) => `${f.framework}/${f.control}`)],
      'security-severity': SECURITY_SEVERITY[c.severity],
      precision: 'very-high',
    },
  }));
  const ruleIndex = new Map(rules.map((r, i) => [r.id, i]));
  const result = (f: ScanReport['findings'][number], suppressed?: { reason?: string; source: string }) => ({
    ruleId: f.checkId,
    ruleIndex: ruleIndex.get(f.checkId) ?? -1,
    level: LEVEL[f.severity],
    message: { text: `${f.message} (${f.resourceId}${f.container ? `, container ${f.container}` : ''})` },
    locations: [
      {
        physicalLocation: {
          artifactLocation: { uri: uri(f.location.file) },
          region: { startLine: f.location.line, startColumn: f.location.column },
        },
        logicalLocations: [{ fullyQualifiedName: `${f.resourceId}:${f.path}`, kind: 'resource' }],
      },
    ],
    partialFingerprints: { 'palisade/v1': `${f.checkId}|${f.resourceId}|${f.path}` },
    properties: { severity: f.severity, resource: f.resourceId, container: f.container, path: f.path, frameworks: f.frameworks.map((x) => `${x.framework}/${x.control}`) },
    ...(suppressed ? { suppressions: [{ kind: 'inSource' as const, status: 'accepted' as const, justification: suppressed.reason ?? `exempted by ${suppressed.source}` }] } : {}),
  });
  const notifications = [
    ...report.errors.map((e) => ({
      level: 'error' as const,
      message: { text: `${e.code}: ${e.message}` },
      locations: [{ physicalLocation: { artifactLocation: { uri: uri(e.file) }, ...(e.line ? { region: { startLine: e.line, ...(e.column ? { startColumn: e.column } : {}) } } : {}) } }],
    })),
    ...report.exemptionIssues.map((x) => ({ level: 'warning' as const, message: { text: `exemption ${x.kind}: ${x.message} (${x.source})` } })),
  ];
  const sarif = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: { driver: { name: 'palisade', version: report.tool.version, semanticVersion: report.tool.version, informationUri: 'https://github.com/palisade-dev/palisade', rules } },
        invocations: [{ executionSuccessful: report.errors.length === 0, toolExecutionNotifications: notifications }],
        results: [...report.findings.map((f) => result(f)), ...report.exempted.map((f) => result(f, f.exemption))],
        properties: { score: report.score.value, scoreFormula: report.score.formula },
      },
    ],
  };
  return `${JSON.stringify(sarif, null, 2)}\n`;
}
