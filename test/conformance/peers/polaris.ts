import { join } from 'node:path';
import { z } from 'zod';
import { readJson, scanFile } from '../corpus.js';
import type { CaseResult } from '../model.js';
import { checksFor, scanFiles, scanNote, selected, type PeerRunOptions, type ScanOutcome } from '../palisade.js';

/** polaris/expectations.json: one record per file of test/checks/<check>/. */
const expectationsSchema = z.array(
  z.object({
    check: z.string(),
    file: z.string(),
    expected: z.string(),
    custom_check_def: z.boolean(),
  }),
);

/**
 * Replays Polaris' TestChecks: each test/checks/<check>/ file is scanned alone with only <check> enabled;
 * `failure*` files must produce a finding, `success*` files none. Palisade runs exactly the checks that
 * list <check> in `equivalents.polaris`, honouring in-manifest exemptions as Polaris does.
 */
export function runPolaris(opts: PeerRunOptions): CaseResult[] {
  const cases = readJson(join(opts.corpusDir, 'expectations.json'), expectationsSchema);
  const out: CaseResult[] = [];
  for (const c of cases) {
    if (!selected(opts, c.check)) continue;
    const base: Omit<CaseResult, 'outcome' | 'got' | 'palisadeChecks'> = {
      peer: 'polaris', peerCheck: c.check, files: [c.file], expected: c.expected.split(' ')[0]!, source: 'test/schema_test.go TestChecks',
    };
    if (c.expected.startsWith('mutation-output')) {
      out.push({ ...base, palisadeChecks: [], outcome: 'skipped', got: '-', note: 'mutation output (expected result of `polaris fix`), not a verdict' });
      continue;
    }
    if (c.custom_check_def) {
      out.push({ ...base, palisadeChecks: [], outcome: 'skipped', got: '-', note: 'custom check defined by the test folder (check.yaml), not a built-in Polaris check' });
      continue;
    }
    if (c.expected !== 'failure' && c.expected !== 'success') {
      out.push({ ...base, palisadeChecks: [], outcome: 'skipped', got: '-', note: `unknown expectation "${c.expected}"` });
      continue;
    }
    const checks = checksFor('polaris', c.check, opts.checks);
    if (checks.length === 0) {
      out.push({ ...base, palisadeChecks: [], outcome: 'no-equivalent', got: '-' });
      continue;
    }
    const scan = scanFiles([scanFile(join(opts.corpusDir, c.file), opts.corpusDir)], { checks, annotations: 'on' });
    const agree = !scan.crashed && scan.flagged === (c.expected === 'failure');
    out.push({
      ...base,
      palisadeChecks: checks.map((k) => k.id),
      outcome: agree ? 'agree' : 'disagree',
      got: polarisWords(scan),
      notApplied: !scan.applied,
      note: agree ? undefined : scanNote(scan),
    });
  }
  return out;
}

/** Palisade's answer in Polaris' words: `failure`, `success`, with how it passed when that matters. */
function polarisWords(scan: ScanOutcome): string {
  if (scan.crashed) return 'error (check crashed)';
  if (scan.flagged) return 'failure';
  if (scan.exempted) return 'success (exempted)';
  return scan.applied ? 'success' : 'success (no mapped check applied)';
}
