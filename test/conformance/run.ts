/**
 * Conformance harness: replays the test suites of Polaris, kube-score and Checkov (read at run time from
 * the shared corpus, never copied here) against the Palisade checks that declare them as equivalents, and
 * Falco's k8s_audit regression cases against the threat rules (section falco-k8saudit), and Trivy's OS-package
 * detector tests against the vulnerability store and matcher (section trivy-detector).
 *
 *   npm run conformance -- [--peer polaris|kube-score|checkov] [--check <peer-id>] [--json] [--verbose]
 *
 * Exits 1 when overall agreement is under 95% or when a disagreement is not explained in
 * known-differences.yaml; 0 otherwise (also when the corpus is absent).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ALL_CHECKS } from '../../src/misconfig/checks/index.js';
import { corpusRoot, findRepoRoot } from './corpus.js';
import { parseKnownDifferences, unusedKnownDifferences } from './known-differences.js';
import { PEERS, type CaseResult, type Peer, type PeerReport } from './model.js';
import type { PeerRunOptions } from './palisade.js';
import { runFalco } from './falco.js';
import { runTrivyDetector } from './trivy-detector.js';
import { runCheckov } from './peers/checkov.js';
import { runKubeScore } from './peers/kube-score.js';
import { runPolaris } from './peers/polaris.js';
import { renderJson, renderText, type RunSummary } from './report.js';
import { explainDisagreements, exitCodeFor, summarisePeer, totalsOf } from './summary.js';

/** Each peer: its folder in the corpus and its adapter. */
const ADAPTERS: Record<Peer, { dir: string; run: (opts: PeerRunOptions) => CaseResult[] }> = {
  polaris: { dir: 'polaris', run: runPolaris },
  'kube-score': { dir: 'kube-score', run: runKubeScore },
  checkov: { dir: 'checkov-kubernetes', run: runCheckov },
  // Threat rules against Falco's k8s_audit regression cases (the checks list is not used).
  'falco-k8saudit': { dir: 'falco-k8saudit', run: runFalco },
  // Vulnerability store and matcher against Trivy's OS-package detector tests (the checks list is not used).
  'trivy-detector': { dir: 'trivy', run: (opts) => runTrivyDetector(opts) },
};

const USAGE = `usage: npm run conformance -- [--peer ${PEERS.join('|')}] [--check <peer-check-id>] [--json] [--verbose]`;

function isPeer(s: string): s is Peer {
  return (PEERS as readonly string[]).includes(s);
}

function main(argv: string[]): number {
  let args;
  try {
    args = parseArgs({
      args: argv,
      options: {
        peer: { type: 'string' },
        check: { type: 'string' },
        json: { type: 'boolean', default: false },
        verbose: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    }).values;
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (args.peer !== undefined && !isPeer(args.peer)) {
    process.stderr.write(`unknown peer "${args.peer}"\n${USAGE}\n`);
    return 2;
  }
  const peers: Peer[] = args.peer !== undefined ? [args.peer as Peer] : [...PEERS];

  const here = dirname(fileURLToPath(import.meta.url));
  const repoRoot = findRepoRoot(here);
  const corpus = corpusRoot(repoRoot);
  if (!existsSync(corpus)) {
    process.stdout.write(`conformance: corpus not found at ${corpus} (set PALISADE_CORPUS to its location); nothing to compare.\n`);
    return 0;
  }
  const knownFile = join(here, 'known-differences.yaml');
  const known = existsSync(knownFile) ? parseKnownDifferences(readFileSync(knownFile, 'utf8'), knownFile) : [];

  const reports: PeerReport[] = [];
  for (const peer of peers) {
    const dir = join(corpus, ADAPTERS[peer].dir);
    if (!existsSync(dir)) {
      process.stderr.write(`conformance: ${dir} not found; ${peer} skipped.\n`);
      continue;
    }
    const results = ADAPTERS[peer].run({ corpusDir: dir, checks: ALL_CHECKS, only: args.check });
    reports.push(summarisePeer(peer, dir, results, known));
  }

  const all = reports.flatMap((r) => r.results);
  const overall = totalsOf(all, known);
  const disagreements = explainDisagreements(all, known);
  // Only entries that could have matched in this run can be called unused.
  const inScope = known.filter((k) => peers.includes(k.peer) && (args.check === undefined || k.check.toLowerCase() === args.check.toLowerCase()));
  const summary: RunSummary = {
    corpus,
    peers: reports,
    overall,
    disagreements,
    unusedKnownDifferences: unusedKnownDifferences(inScope, disagreements.map((d) => d.result)),
    exitCode: exitCodeFor(overall),
  };
  process.stdout.write(args.json ? renderJson(summary, args.verbose) : renderText(summary, args.verbose));
  return summary.exitCode;
}

process.exitCode = main(process.argv.slice(2));
