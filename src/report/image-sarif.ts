import type { DetectedVulnerability } from '../model/advisory.js';
import type { IgnoredVulnerability, ImageScanReport } from '../model/image-report.js';
import type { Severity } from '../model/severity.js';

const LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = { critical: 'error', high: 'error', medium: 'warning', low: 'note', info: 'note' };
/** GitHub code scanning buckets results by `security-severity` (0-10) when no CVSS score is known. */
const SECURITY_SEVERITY: Record<Severity, number> = { critical: 9.5, high: 8.0, medium: 5.5, low: 3.0, info: 0.0 };

/** The score code scanning shows: the highest CVSS base score the advisory carries, else one for its severity. */
function securitySeverity(v: DetectedVulnerability): string {
  const scores = v.cvss.map((s) => s.score).filter((n) => Number.isFinite(n));
  return (scores.length ? Math.max(...scores) : SECURITY_SEVERITY[v.severity]).toFixed(1);
}

/** Where the package was found, relative to the image root (`var/lib/dpkg/status`), or the SBOM/target name. */
function artifactUri(v: DetectedVulnerability, report: ImageScanReport): string {
  const path = v.package.filePath ?? (report.target.kind === 'sbom' ? report.target.name : undefined);
  return (path ?? report.target.name).replace(/\\/g, '/').replace(/^\.?\/+/, '') || report.target.name;
}

/**
 * `scan image -o sarif`: SARIF 2.1.0 with one rule per vulnerability id and one result per vulnerable
 * package, located at the file the package was found in (the dpkg status file, the `package.json`), with
 * the purl as logical location. Rules carry `security-severity` (highest CVSS score) for code-scanning
 * UIs. Ignored vulnerabilities are suppressed results with the ignore reason; analyzer errors, ignore file
 * issues and warnings are tool notifications.
 */
export function renderImageSarif(report: ImageScanReport): string {
  const all: Array<DetectedVulnerability | IgnoredVulnerability> = [...report.vulnerabilities, ...report.ignored];
  const ruleIds: string[] = [];
  const ruleOf = new Map<string, DetectedVulnerability>();
  for (const v of all) {
    const prior = ruleOf.get(v.id);
    // The rule states the worst rating any finding of this id has.
    if (!prior) ruleIds.push(v.id);
    if (!prior || Number(securitySeverity(v)) > Number(securitySeverity(prior))) ruleOf.set(v.id, v);
  }
  const rules = ruleIds.map((id) => {
    const v = ruleOf.get(id)!;
    const title = v.title ?? `${id} in ${v.package.name}`;
    const text = v.description ?? title;
    const links = [v.primaryUrl, ...v.references].filter((u): u is string => !!u);
    return {
      id,
      name: id.replace(/[^A-Za-z0-9]/g, ''),
      shortDescription: { text: title },
      fullDescription: { text },
      ...(v.primaryUrl ? { helpUri: v.primaryUrl } : {}),
      help: {
        text: `${text}${links.length ? `\n\n${links.slice(0, 5).join('\n')}` : ''}`,
        markdown: `**${id}**${v.title ? `: ${v.title}` : ''}\n\n${v.description ?? ''}${links.length ? `\n\n${links.slice(0, 5).map((u) => `- <${u}>`).join('\n')}` : ''}`,
      },
      defaultConfiguration: { level: LEVEL[v.severity] },
      properties: {
        tags: ['security', 'vulnerability', v.severity, ...v.aliases.filter((a) => a !== id)],
        'security-severity': securitySeverity(v),
        precision: 'very-high',
      },
    };
  });
  const ruleIndex = new Map(rules.map((r, i) => [r.id, i]));
  const result = (v: DetectedVulnerability, ignore?: IgnoredVulnerability['ignore']) => ({
    ruleId: v.id,
    ruleIndex: ruleIndex.get(v.id)!,
    level: LEVEL[v.severity],
    message: {
      text: `${v.package.name} ${v.installedVersion} is affected by ${v.id} (${v.severity})${v.fixedVersion ? `; fixed in ${v.fixedVersion}` : `; no fixed version (${v.status})`}${v.title ? `: ${v.title}` : ''}`,
    },
    locations: [
      {
        physicalLocation: { artifactLocation: { uri: artifactUri(v, report), uriBaseId: 'ROOTPATH' }, region: { startLine: 1 } },
        logicalLocations: [{ fullyQualifiedName: v.package.purl, kind: 'package' }],
      },
    ],
    partialFingerprints: { 'palisade/v1': `${v.id}|${v.package.purl}|${v.package.filePath ?? ''}` },
    properties: {
      severity: v.severity,
      package: v.package.name,
      purl: v.package.purl,
      installedVersion: v.installedVersion,
      ...(v.fixedVersion ? { fixedVersion: v.fixedVersion } : {}),
      status: v.status,
      ...(v.layer ? { layer: v.layer.digest } : {}),
    },
    ...(ignore ? { suppressions: [{ kind: 'external' as const, status: 'accepted' as const, justification: `${ignore.reason} (${ignore.source})` }] } : {}),
  });
  const notifications = [
    ...report.errors.map((e) => ({ level: 'error' as const, message: { text: `${e.analyzer ? `${e.analyzer}: ` : ''}${e.path}: ${e.message}` } })),
    ...report.ignoreIssues.map((x) => ({ level: 'warning' as const, message: { text: `ignore entry ${x.kind}: ${x.message}` } })),
    ...report.warnings.map((w) => ({ level: 'warning' as const, message: { text: w } })),
  ];
  const sarif = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: { driver: { name: 'palisade', version: report.tool.version, semanticVersion: report.tool.version, informationUri: 'https://github.com/palisade-dev/palisade', rules } },
        invocations: [{ executionSuccessful: report.errors.length === 0, toolExecutionNotifications: notifications }],
        originalUriBaseIds: { ROOTPATH: { uri: 'file:///', description: { text: `root of ${report.target.name}` } } },
        results: [...report.vulnerabilities.map((v) => result(v)), ...report.ignored.map((v) => result(v, v.ignore))],
        properties: {
          target: report.target.name,
          ...(report.target.digest ? { digest: report.target.digest } : {}),
          ...(report.os ? { os: `${report.os.family} ${report.os.version}` } : {}),
        },
      },
    ],
  };
  return `${JSON.stringify(sarif, null, 2)}\n`;
}
