import type { CaseResult, CheckRow, ExplainedDisagreement, KnownDifference, PeerReport, Totals } from './model.js';
import { MIN_AGREEMENT_PCT } from './summary.js';

/** Everything a report shows. */
export interface RunSummary {
  corpus: string;
  peers: PeerReport[];
  overall: Totals;
  disagreements: ExplainedDisagreement[];
  /** Known differences that explained nothing in this run (stale, or the case now agrees). */
  unusedKnownDifferences: KnownDifference[];
  exitCode: 0 | 1;
}

const UNEXPLAINED = 'UNEXPLAINED';

/** One decimal, rounded down, so that a figure just under the threshold never prints as the threshold. */
function pct(p: number | undefined): string {
  return p === undefined ? 'n/a' : `${(Math.floor(p * 10) / 10).toFixed(1)}%`;
}

/** `a.yaml`, `a.yaml + b.yaml`, or `dir/ (12 files)` when many files share a folder. */
export function describeFiles(files: readonly string[]): string {
  if (files.length <= 2) return files.join(' + ');
  const dirs = new Set(files.map((f) => f.slice(0, f.lastIndexOf('/') + 1)));
  if (dirs.size === 1) return `${[...dirs][0]} (${files.length} files)`;
  const common = files.reduce((acc, f) => {
    let i = 0;
    while (i < acc.length && i < f.length && acc[i] === f[i]) i++;
    return acc.slice(0, i);
  });
  return `${common.slice(0, common.lastIndexOf('/') + 1)}** (${files.length} files)`;
}

function table(header: string[], rows: string[][], rightAligned: ReadonlySet<number>): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => '  ' + cells.map((c, i) => (rightAligned.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)];
}

function rowCells(r: CheckRow, withWarnings: boolean): string[] {
  const cells = [r.peerCheck, r.palisadeChecks.join(', ') || '-', String(r.compared), String(r.agree), String(r.disagree), String(r.skipped)];
  if (withWarnings) cells.push(r.warningCases > 0 ? `${r.warningFlagged}/${r.warningCases}` : '-');
  return cells;
}

function listIds(rows: readonly CheckRow[], max = 12): string {
  const ids = rows.map((r) => r.peerCheck);
  return ids.slice(0, max).join(', ') + (ids.length > max ? `, ... (+${ids.length - max})` : '');
}

/** The human-readable report: a table per peer, totals, then one line per disagreement. */
export function renderText(s: RunSummary, verbose: boolean): string {
  const out: string[] = [`Palisade conformance with peer test suites (corpus: ${s.corpus})`, ''];
  for (const p of s.peers) {
    const withWarnings = p.peer === 'kube-score';
    out.push(`${p.peer} (${p.corpusDir})`);
    const mapped = p.rows.filter((r) => r.compared > 0 || r.palisadeChecks.length > 0);
    if (mapped.length > 0) {
      const header = ['peer check', 'palisade', 'compared', 'agree', 'disagree', 'skipped'];
      if (withWarnings) header.push('Warning flagged');
      out.push(...table(header, mapped.map((r) => rowCells(r, withWarnings)), new Set([2, 3, 4, 5, 6])));
    } else {
      out.push('  no case compared yet');
    }
    const noEq = p.rows.filter((r) => r.noEquivalent > 0);
    if (noEq.length > 0) out.push(`  no equivalent: ${p.totals.noEquivalent} cases of ${noEq.length} peer checks: ${verbose ? noEq.map((r) => r.peerCheck).join(', ') : listIds(noEq)}`);
    const oos = p.rows.filter((r) => r.outOfScope > 0);
    if (oos.length > 0) out.push(`  ${p.peer === 'trivy-detector' ? 'not supported (no advisory data for the distribution or vendor)' : 'out of scope (PodSecurityPolicy, control-plane flags)'}: ${p.totals.outOfScope} cases of ${oos.length} peer checks: ${verbose ? oos.map((r) => r.peerCheck).join(', ') : listIds(oos)}`);
    if (p.skipReasons.length > 0) {
      out.push(`  skipped: ${p.totals.skipped} cases`);
      for (const r of p.skipReasons) out.push(`    ${String(r.count).padStart(3)}  ${r.reason}`);
    }
    const t = p.totals;
    out.push(`  total: ${t.cases} cases, ${t.compared} compared, ${t.agree} agree, ${t.disagree} disagree (${t.unexplained} unexplained): ${pct(t.agreementPct)} agreement`, '');
  }
  const o = s.overall;
  out.push(`overall: ${o.compared} cases compared, ${o.agree} agree, ${o.disagree} disagree (${o.unexplained} unexplained): ${pct(o.agreementPct)} agreement (threshold ${MIN_AGREEMENT_PCT}%)`);
  out.push(`         ${o.noEquivalent} cases without a Palisade equivalent, ${o.skipped} skipped, ${o.outOfScope} out of scope`);
  if (s.disagreements.length > 0) {
    out.push('', 'Disagreements:');
    for (const d of s.disagreements) out.push(`  ${disagreementLine(d, verbose)}`);
  }
  if (s.unusedKnownDifferences.length > 0) {
    out.push('', 'Known differences that explained nothing in this run (remove them, or fix their globs):');
    for (const k of s.unusedKnownDifferences) out.push(`  ${k.peer} ${k.check} ${k.case}${k.resource ? ` ${k.resource}` : ''}`);
  }
  if (verbose) {
    out.push('', 'All cases:');
    for (const p of s.peers) for (const r of p.results) out.push(`  ${caseLine(r)}`);
  }
  out.push('', s.exitCode === 0 ? 'result: OK' : `result: FAIL (${o.unexplained > 0 ? `${o.unexplained} unexplained disagreement(s)` : `agreement under ${MIN_AGREEMENT_PCT}%`})`);
  return out.join('\n') + '\n';
}

function subject(r: CaseResult): string {
  return describeFiles(r.files) + (r.resource ? ` [${r.resource}]` : '');
}

/** `peer check case: expected X, got Y: reason` on one line. */
export function disagreementLine(d: ExplainedDisagreement, withNote: boolean): string {
  const r = d.result;
  const note = withNote && r.note ? `  {palisade: ${r.note}}${r.source ? ` {peer test: ${r.source}}` : ''}` : '';
  return `${r.peer} ${r.peerCheck} ${subject(r)}: expected ${r.expected}, got ${r.got}: ${d.reason ?? UNEXPLAINED}${note}`;
}

function caseLine(r: CaseResult): string {
  const checks = r.palisadeChecks.length > 0 ? ` -> ${r.palisadeChecks.join(',')}` : '';
  const na = r.notApplied ? ' (no mapped check applied)' : '';
  const note = r.note && r.outcome !== 'agree' ? ` (${r.note})` : '';
  return `${r.outcome.padEnd(13)} ${r.peer} ${r.peerCheck}${checks} ${subject(r)}: expected ${r.expected}, got ${r.got}${na}${note}`;
}

/** The machine-readable summary (`--json`); `verbose` adds every case. */
export function renderJson(s: RunSummary, verbose: boolean): string {
  return JSON.stringify(
    {
      corpus: s.corpus,
      thresholdPct: MIN_AGREEMENT_PCT,
      overall: s.overall,
      peers: s.peers.map((p) => ({
        peer: p.peer,
        corpusDir: p.corpusDir,
        totals: p.totals,
        checks: p.rows,
        skipReasons: p.skipReasons,
        ...(verbose ? { cases: p.results } : {}),
      })),
      disagreements: s.disagreements.map((d) => ({ ...d.result, reason: d.reason ?? UNEXPLAINED })),
      unusedKnownDifferences: s.unusedKnownDifferences,
      exitCode: s.exitCode,
    },
    null,
    2,
  ) + '\n';
}
