import pc from 'picocolors';
import type { DetectedVulnerability } from '../model/advisory.js';
import type { ImageScanReport } from '../model/image-report.js';
import type { OsInfo } from '../model/package.js';
import { SEVERITIES } from '../model/severity.js';
import { sevLabel } from './table.js';

/** Options of the image table. */
export interface ImageTableOptions {
  color: boolean;
  /** Terminal width, to cut long titles; undefined when piped. */
  width?: number;
}

type Colors = ReturnType<typeof pc.createColors>;

function osName(os: OsInfo | undefined): string {
  if (!os) return 'unknown OS';
  return `${os.family === 'distroless' ? 'distroless (debian)' : os.family} ${os.version}${os.codename ? ` (${os.codename})` : ''}`.trim();
}

const OS_ECOSYSTEMS = new Set(['debian', 'ubuntu', 'alpine', 'wolfi', 'chainguard', 'redhat', 'rocky', 'alma', 'centos', 'oracle', 'amazon', 'fedora']);

/** The group a vulnerable package is listed under: the OS packages, or the file a language package came from. */
function targetOf(v: DetectedVulnerability, os: OsInfo | undefined): string {
  if (OS_ECOSYSTEMS.has(v.package.ecosystem)) return `${osName(os)} packages${v.package.filePath ? ` (${v.package.filePath})` : ''}`;
  return v.package.filePath ? `${v.package.filePath} (${v.package.ecosystem})` : `${v.package.ecosystem} packages`;
}

function fixText(v: DetectedVulnerability, c: Colors): string {
  if (v.fixedVersion) return c.green(`fixed in ${v.fixedVersion}`);
  return c.dim(v.status === 'affected' ? 'no fix yet' : v.status.replace(/-/g, ' '));
}

function cut(s: string, max: number | undefined): string {
  if (max === undefined || s.length <= max) return s;
  return `${s.slice(0, Math.max(20, max - 1))}…`;
}

/**
 * `scan image -o table`: the image and its OS, then vulnerabilities grouped by target (the OS packages,
 * each language package file) and package, most severe first; then ignored entries, ignore file issues,
 * analyzer errors, warnings and a summary line. Colour only on a terminal.
 */
export function renderImageTable(report: ImageScanReport, opts: ImageTableOptions): string {
  const c = pc.createColors(opts.color);
  const out: string[] = [];
  const t = report.target;
  out.push(`${c.bold('Target')}    ${t.name}${t.kind === 'sbom' ? ' (SBOM)' : ''}${t.digest ? c.dim(`  ${t.digest}`) : ''}${t.platform ? c.dim(`  ${t.platform}`) : ''}`);
  out.push(`${c.bold('OS')}        ${osName(report.os)}${report.os?.prettyName ? c.dim(`  ${report.os.prettyName}`) : ''}`);
  if (report.db) {
    const db = report.db;
    const when = db.updatedAt ? `updated ${db.updatedAt.slice(0, 10)}` : 'update time unknown';
    out.push(`${c.bold('Database')}  ${db.stale ? c.yellow(when) : when}${c.dim(`  ${db.path}`)}`);
  }
  out.push('');

  const groups = new Map<string, Map<string, DetectedVulnerability[]>>();
  for (const v of report.vulnerabilities) {
    const target = targetOf(v, report.os);
    const pkgKey = `${v.package.name}\u0000${v.installedVersion}\u0000${v.package.filePath ?? ''}`;
    const byPkg = groups.get(target) ?? new Map<string, DetectedVulnerability[]>();
    byPkg.set(pkgKey, [...(byPkg.get(pkgKey) ?? []), v]);
    groups.set(target, byPkg);
  }
  const worst = (list: DetectedVulnerability[]): number => Math.min(...list.map((v) => SEVERITIES.indexOf(v.severity)));
  const indent = 6 + 9 + 1;
  for (const [target, byPkg] of [...groups].sort((a, b) => a[0].localeCompare(b[0]))) {
    out.push(c.bold(c.underline(target)));
    const pkgs = [...byPkg.values()].sort((a, b) => worst(a) - worst(b) || a[0].package.name.localeCompare(b[0].package.name));
    for (const list of pkgs) {
      const p = list[0].package;
      const src = p.sourceName && p.sourceName !== p.name ? c.dim(`  (source ${p.sourceName})`) : '';
      out.push(`  ${c.bold(p.name)} ${list[0].installedVersion}${src}`);
      const idWidth = Math.max(...list.map((v) => v.id.length));
      for (const v of list) {
        const head = `    ${sevLabel(v.severity, c)} ${v.id.padEnd(idWidth)}  ${fixText(v, c)}`;
        out.push(head);
        if (v.title) out.push(`${' '.repeat(indent)}${cut(v.title, opts.width ? opts.width - indent : undefined)}`);
      }
    }
  }
  if (report.vulnerabilities.length === 0) out.push(c.green('No vulnerabilities found.'));

  if (report.ignored.length > 0) {
    out.push('', c.bold(c.dim(`Ignored (${report.ignored.length})`)));
    for (const v of report.ignored) out.push(c.dim(`  ${v.id} in ${v.package.name} ${v.installedVersion}: ${v.ignore.reason} (${v.ignore.source}${v.ignore.expires ? `, until ${v.ignore.expires}` : ''})`));
  }
  if (report.ignoreIssues.length > 0) {
    out.push('', c.bold(c.yellow(`Ignore file issues (${report.ignoreIssues.length})`)));
    for (const x of report.ignoreIssues) out.push(`  ${c.yellow(x.kind.toUpperCase().padEnd(9))} ${x.message}`);
  }
  if (report.errors.length > 0) {
    out.push('', c.bold(c.red(`Analyzer errors (${report.errors.length})`)));
    for (const e of report.errors) out.push(`  ${c.red(e.analyzer ?? 'sbom')} ${e.path}  ${e.message}`);
  }
  if (report.warnings.length > 0) {
    out.push('', c.bold(c.yellow(`Warnings (${report.warnings.length})`)));
    for (const w of report.warnings) out.push(`  ${w}`);
  }
  const s = report.summary;
  const sev = SEVERITIES.filter((x) => s.bySeverity[x] > 0).map((x) => `${s.bySeverity[x]} ${x}`).join(', ');
  const filters = [report.filters.severities ? `severity ${report.filters.severities.join(',')}` : '', report.filters.ignoreUnfixed ? 'fixed only' : ''].filter(Boolean).join(', ');
  const total = s.vulnerabilities === 0 ? c.green('0 vulnerabilities') : c.bold(`${s.vulnerabilities} vulnerabilit${s.vulnerabilities === 1 ? 'y' : 'ies'}`);
  out.push(
    '',
    `${total}${sev ? ` (${sev})` : ''} in ${s.vulnerablePackages} of ${s.packages} packages, ${s.fixable} fixable, ${s.ignored} ignored` +
      `${s.filtered ? `, ${s.filtered} filtered out${filters ? ` (${filters})` : ''}` : ''}${s.errors ? `, ${s.errors} analyzer errors` : ''}`,
  );
  return `${out.join('\n')}\n`;
}
