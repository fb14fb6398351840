/**
 * Vocabulary of the conformance harness: what a peer expects, what Palisade answered, and how the two
 * compare. Pure types, shared by the peer adapters, the report and the unit tests.
 */

/** The peer tools whose own test suites the harness replays. */
export const PEERS = ['polaris', 'kube-score', 'checkov', 'falco-k8saudit', 'trivy-detector'] as const;
export type Peer = (typeof PEERS)[number];

/**
 * How one case ended:
 * - `agree` / `disagree`: compared with Palisade;
 * - `no-equivalent`: no Palisade check lists the peer id in its `equivalents`;
 * - `skipped`: the case cannot be replayed faithfully (the reason says why);
 * - `out-of-scope`: the peer rule is outside what Palisade covers on purpose (PSP, control-plane flags).
 */
export type CaseOutcome = 'agree' | 'disagree' | 'no-equivalent' | 'skipped' | 'out-of-scope';

/** One replayed peer test case. */
export interface CaseResult {
  peer: Peer;
  /** The rule id in the peer tool (`runAsPrivileged`, `container-image-tag`, `CKV_K8S_16`). */
  peerCheck: string;
  /** Palisade checks that list `peerCheck` as an equivalent (and were run). */
  palisadeChecks: string[];
  /** Input files, relative to the peer's corpus folder. */
  files: string[];
  /** For per-resource cases: the resource in the peer's id format (`Deployment.default.web`). */
  resource?: string;
  outcome: CaseOutcome;
  /** What the peer's test expects, in words (`failure`, `Warning`, `passed=3 failed=4`). */
  expected: string;
  /** What Palisade answered, in the same words. */
  got: string;
  /** Why the case was skipped, or extra context worth printing with a disagreement. */
  note?: string;
  /** kube-score only: the expected grade was Warning (flagged, but not Critical). */
  warning?: boolean;
  /** No mapped Palisade check applied to anything in the input (a pass that proves little). */
  notApplied?: boolean;
  /** The upstream test that encodes the expectation, for readers who want to look it up. */
  source?: string;
}

/** A verified, deliberate difference between Palisade and a peer (test/conformance/known-differences.yaml). */
export interface KnownDifference {
  peer: Peer;
  check: string;
  /** Glob on the case's file paths (relative to the peer's corpus folder). */
  case: string;
  /** Optional glob on the peer resource id, for per-resource cases. */
  resource?: string;
  /** Optional exact `expected` / `got` of the case (pin count cases, where one entry covers a whole folder). */
  expected?: string;
  got?: string;
  reason: string;
}

/** A disagreement with its explanation, or `UNEXPLAINED`. */
export interface ExplainedDisagreement {
  result: CaseResult;
  reason: string | undefined;
}

/** Per-check row of a peer table. */
export interface CheckRow {
  peerCheck: string;
  palisadeChecks: string[];
  compared: number;
  agree: number;
  disagree: number;
  noEquivalent: number;
  skipped: number;
  outOfScope: number;
  /** kube-score: Warning cases compared, and how many of them Palisade flags. */
  warningCases: number;
  warningFlagged: number;
}

/** Totals of one peer (or of all peers). */
export interface Totals {
  cases: number;
  compared: number;
  agree: number;
  disagree: number;
  unexplained: number;
  noEquivalent: number;
  skipped: number;
  outOfScope: number;
  /** agree / compared, in percent; undefined when nothing was compared. */
  agreementPct: number | undefined;
}

/** Everything the harness learned about one peer. */
export interface PeerReport {
  peer: Peer;
  corpusDir: string;
  rows: CheckRow[];
  totals: Totals;
  /** Skip reasons with their case counts. */
  skipReasons: Array<{ reason: string; count: number }>;
  results: CaseResult[];
}
