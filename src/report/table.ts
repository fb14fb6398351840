import pc from 'picocolors';
import type { ScanReport } from '../model/report.js';
import { SEVERITIES, type Severity } from '../model/severity.js';

export interface TableOptions {
  color: boolean;
  /** Terminal width, to truncate long messages; undefined when piped. */
  width?: number;
}

type Colors = ReturnType<typeof pc.createColors>;

/** A severity as a fixed-width, coloured label. */
export function sevLabel(s: Severity, c: Colors): string {
  const t = s.toUpperCase().padEnd(8);
  switch (s) {
    case 'critical': return c.bold(c.red(t));
    case 'high': return c.red(t);
    case 'medium': return c.yellow(t);
    case 'low': return c.cyan(t);
    default: return c.dim(t);
  }
}

/**
 * `-o table`: findings grouped by file and resource, most severe first, then exemption issues, input
 * errors, framework controls and the score. Colour only on a TTY.
 */
export function renderTable(report: ScanReport, opts: TableOptions): string {
  const c = pc.createColors(opts.color);
  const out: string[] = [];
  const byResource = new Map<string, ScanReport['findings']>();
  for (const f of report.findings) {
    const key = `${f.location.file}\u0000${f.resourceId}`;
    byResource.set(key, [...(byResource.get(key) ?? []), f]);
  }
  const keys = [...byResource.keys()].sort();
  let lastFile = '';
  for (const key of keys) {
    const [file, rid] = key.split('\u0000') as [string, string];
    if (file !== lastFile) {
      out.push(c.bold(c.underline(file)));
      lastFile = file;
    }
    out.push(`  ${c.bold(rid)}`);
    const list = byResource.get(key)!.sort((a, b) => SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity) || a.location.line - b.location.line);
    for (const f of list) {
      let msg = f.message;
      const head = `    ${sevLabel(f.severity, c)} ${f.checkId} ${f.slug}`;
      if (opts.width && msg.length > opts.width - 20) msg = `${msg.slice(0, Math.max(40, opts.width - 21))}…`;
      out.push(`${head}  ${c.dim(`line ${f.location.line}`)}`);
      out.push(`      ${msg}`);
    }
  }
  if (report.findings.length === 0) out.push(c.green('No findings.'));
  if (report.exemptionIssues.length > 0) {
    out.push('', c.bold(c.yellow(`Exemption issues (${report.exemptionIssues.length})`)));
    for (const x of report.exemptionIssues) out.push(`  ${c.yellow(x.kind.toUpperCase().padEnd(13))} ${x.source}  ${x.message}`);
  }
  if (report.exempted.length > 0) {
    out.push('', c.dim(`${report.exempted.length} finding(s) exempted (listed with their reasons in -o json/yaml/sarif).`));
  }
  if (report.errors.length > 0) {
    out.push('', c.bold(c.red(`Input errors (${report.errors.length})`)));
    for (const e of report.errors) out.push(`  ${c.red(e.code.padEnd(17))} ${e.file}${e.line ? `:${e.line}` : ''}${e.column ? `:${e.column}` : ''}  ${e.message}`);
  }
  if (report.skippedFiles.length > 0) out.push('', c.dim(`Skipped ${report.skippedFiles.length} file(s) with no Kubernetes object: ${report.skippedFiles.slice(0, 5).join(', ')}${report.skippedFiles.length > 5 ? ', …' : ''}`));
  for (const fw of report.framework ? report.frameworks : []) {
    out.push('', c.bold(`${fw.title}${fw.version ? ` ${fw.version}` : ''}: ${fw.passed} passed, ${fw.failed} failed, ${fw.notApplicable} not applicable, ${fw.manual} manual`));
    for (const ctl of fw.controls) {
      const st = ctl.status === 'fail' ? c.red('FAIL') : ctl.status === 'pass' ? c.green('PASS') : ctl.status === 'manual' ? c.dim('MANUAL') : c.dim('N/A');
      out.push(`  ${st.padEnd(opts.color ? 15 : 6)} ${ctl.id.padEnd(10)} ${ctl.title}${ctl.failedResources > 0 ? c.dim(` (${ctl.failedResources} resources)`) : ''}`);
    }
  }
  const s = report.summary;
  const sev = SEVERITIES.filter((x) => s.bySeverity[x] > 0).map((x) => `${s.bySeverity[x]} ${x}`).join(', ');
  const scoreColor = report.score.value >= 80 ? c.green : report.score.value >= 50 ? c.yellow : c.red;
  out.push('', `${c.bold('Score')} ${scoreColor(c.bold(`${report.score.value}/100`))}  ${s.resources} resources in ${s.files} files, ${s.checks} checks, ${s.findings} findings${sev ? ` (${sev})` : ''}, ${s.exempted} exempted, ${s.errors} input errors`);
  return `${out.join('\n')}\n`;
}
