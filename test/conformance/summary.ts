import { findKnownDifference } from './known-differences.js';
import type { CaseResult, CheckRow, ExplainedDisagreement, KnownDifference, Peer, PeerReport, Totals } from './model.js';

/** Agreement threshold below which the run fails. */
export const MIN_AGREEMENT_PCT = 95;

function emptyRow(peerCheck: string): CheckRow {
  return { peerCheck, palisadeChecks: [], compared: 0, agree: 0, disagree: 0, noEquivalent: 0, skipped: 0, outOfScope: 0, warningCases: 0, warningFlagged: 0 };
}

/** Adds up cases into totals; `unexplained` counts disagreements without a known difference. */
export function totalsOf(results: readonly CaseResult[], known: readonly KnownDifference[]): Totals {
  const t: Totals = { cases: results.length, compared: 0, agree: 0, disagree: 0, unexplained: 0, noEquivalent: 0, skipped: 0, outOfScope: 0, agreementPct: undefined };
  for (const r of results) {
    if (r.outcome === 'agree') {
      t.compared++;
      t.agree++;
    } else if (r.outcome === 'disagree') {
      t.compared++;
      t.disagree++;
      if (!findKnownDifference(known, r)) t.unexplained++;
    } else if (r.outcome === 'no-equivalent') t.noEquivalent++;
    else if (r.outcome === 'skipped') t.skipped++;
    else t.outOfScope++;
  }
  t.agreementPct = t.compared > 0 ? (100 * t.agree) / t.compared : undefined;
  return t;
}

/** Groups a peer's cases per peer check id (in first-seen order) and totals them. */
export function summarisePeer(peer: Peer, corpusDir: string, results: readonly CaseResult[], known: readonly KnownDifference[]): PeerReport {
  const rows = new Map<string, CheckRow>();
  const reasons = new Map<string, number>();
  for (const r of results) {
    let row = rows.get(r.peerCheck);
    if (!row) rows.set(r.peerCheck, (row = emptyRow(r.peerCheck)));
    for (const id of r.palisadeChecks) if (!row.palisadeChecks.includes(id)) row.palisadeChecks.push(id);
    switch (r.outcome) {
      case 'agree':
      case 'disagree':
        row.compared++;
        if (r.outcome === 'agree') row.agree++;
        else row.disagree++;
        if (r.warning) {
          row.warningCases++;
          // A Warning case agrees exactly when Palisade flags it.
          if (r.outcome === 'agree') row.warningFlagged++;
        }
        break;
      case 'no-equivalent':
        row.noEquivalent++;
        break;
      case 'skipped':
        row.skipped++;
        reasons.set(r.note ?? 'no reason given', (reasons.get(r.note ?? 'no reason given') ?? 0) + 1);
        break;
      case 'out-of-scope':
        row.outOfScope++;
        break;
    }
  }
  return {
    peer,
    corpusDir,
    rows: [...rows.values()],
    totals: totalsOf(results, known),
    skipReasons: [...reasons].map(([reason, count]) => ({ reason, count })).sort((a, b) => b.count - a.count),
    results: [...results],
  };
}

/** Every disagreement with its known-difference reason (undefined = UNEXPLAINED). */
export function explainDisagreements(results: readonly CaseResult[], known: readonly KnownDifference[]): ExplainedDisagreement[] {
  return results.filter((r) => r.outcome === 'disagree').map((result) => ({ result, reason: findKnownDifference(known, result)?.reason }));
}

/** 1 when overall agreement is under the threshold or a disagreement is unexplained; 0 otherwise. */
export function exitCodeFor(overall: Totals): 0 | 1 {
  if (overall.unexplained > 0) return 1;
  if (overall.agreementPct !== undefined && overall.agreementPct < MIN_AGREEMENT_PCT) return 1;
  return 0;
}
