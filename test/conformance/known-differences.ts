import { minimatch } from 'minimatch';
import { parse } from 'yaml';
import { z } from 'zod';
import { PEERS, type CaseResult, type KnownDifference } from './model.js';

const entrySchema = z
  .object({
    peer: z.enum(PEERS),
    check: z.string().min(1),
    case: z.string().min(1),
    resource: z.string().min(1).optional(),
    expected: z.string().min(1).optional(),
    got: z.string().min(1).optional(),
    reason: z.string().min(10, 'a reason must say why the difference is deliberate or a peer bug'),
  })
  .strict();

const fileSchema = z.array(entrySchema);

/**
 * Parses known-differences.yaml: a list of `{peer, check, case, resource?, expected?, got?, reason}`. An empty file (or an
 * empty list) is valid. Throws with the offending entry's position when the file is malformed.
 */
export function parseKnownDifferences(text: string, file: string): KnownDifference[] {
  const raw: unknown = parse(text);
  if (raw === null || raw === undefined) return [];
  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? ` at ${issue.path.join('.')}` : '';
    throw new Error(`${file}${where}: ${issue?.message ?? 'invalid known-differences file'}`);
  }
  return parsed.data;
}

/**
 * Does this known difference explain that case? Peer and check must match, the glob must match a case
 * file, and the optional resource glob and pinned `expected` / `got` must match too.
 */
export function matchesKnownDifference(k: KnownDifference, r: CaseResult): boolean {
  if (k.peer !== r.peer || k.check.toLowerCase() !== r.peerCheck.toLowerCase()) return false;
  if (!r.files.some((f) => minimatch(f, k.case, { dot: true }))) return false;
  if (k.resource !== undefined && (r.resource === undefined || !minimatch(r.resource, k.resource, { dot: true }))) return false;
  // Pinned outcomes keep an entry written for one count mismatch from hiding a different one later.
  if (k.expected !== undefined && k.expected !== r.expected) return false;
  if (k.got !== undefined && k.got !== r.got) return false;
  return true;
}

/** The first known difference that explains the case, if any. */
export function findKnownDifference(list: readonly KnownDifference[], r: CaseResult): KnownDifference | undefined {
  return list.find((k) => matchesKnownDifference(k, r));
}

/** Entries that explain none of the given disagreements: stale, or written for a case that now agrees. */
export function unusedKnownDifferences(list: readonly KnownDifference[], disagreements: readonly CaseResult[]): KnownDifference[] {
  return list.filter((k) => !disagreements.some((r) => matchesKnownDifference(k, r)));
}
