import cvssCalculator from 'ae-cvss-calculator';
import type { CvssScore } from '../../../model/advisory.js';
import type { Severity } from '../../../model/severity.js';

/**
 * CVSS vectors as feeds give them, scored here rather than trusted: a feed's own number may be stale or
 * computed with another version's formula.
 */

interface CalculatedScores {
  base?: number;
  overall?: number;
}
interface CvssVectorObject {
  getVectorName(): string;
  calculateScores(): CalculatedScores;
}

const VERSIONS: Record<string, CvssScore['version']> = { 'CVSS:2.0': '2.0', 'CVSS:3.0': '3.0', 'CVSS:3.1': '3.1', 'CVSS:4.0': '4.0' };

type Scored = { ok: true; value: CvssScore } | { ok: false; message: string };

/** Feeds repeat a few thousand distinct vectors over hundreds of thousands of records: score each once. */
const cache = new Map<string, Scored>();
const CACHE_LIMIT = 20_000;

/**
 * The base score of `vector` (CVSS 2.0, 3.0, 3.1 or 4.0), or why it cannot be scored. A vector missing a
 * base metric is refused rather than scored as 0.
 */
export function scoreCvss(vector: string, source: string): Scored {
  const v = vector.trim();
  let r = cache.get(v);
  if (!r) {
    r = score(v);
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(v, r);
  }
  return r.ok ? { ok: true, value: { ...r.value, source } } : r;
}

function score(v: string): Scored {
  let parsed: CvssVectorObject | null;
  try {
    parsed = (cvssCalculator as unknown as { fromVector(v: string): CvssVectorObject | null }).fromVector(v);
  } catch (e) {
    return { ok: false, message: `CVSS vector "${v}" does not parse: ${(e as Error).message}` };
  }
  const version = parsed ? VERSIONS[parsed.getVectorName()] : undefined;
  if (!parsed || !version) return { ok: false, message: `"${v}" is not a CVSS 2.0, 3.0, 3.1 or 4.0 vector` };
  // The calculator leaves `base` out when a base metric is missing (`CVSS:3.1/AV:N`); 4.0 always sets it, so
  // check the metrics that every 4.0 base vector has.
  if (version === '4.0' && !['AV', 'AC', 'AT', 'PR', 'UI', 'VC', 'VI', 'VA', 'SC', 'SI', 'SA'].every((m) => new RegExp(`/${m}:`).test(v))) {
    return { ok: false, message: `CVSS 4.0 vector "${v}" lacks a base metric` };
  }
  const scores = parsed.calculateScores();
  const score = scores.base;
  if (typeof score !== 'number' || !Number.isFinite(score)) return { ok: false, message: `CVSS vector "${v}" lacks a base metric` };
  return { ok: true, value: { version, vector: v, score, source: '' } };
}

/** Qualitative rating of a CVSS 3.x/4.0 base score (FIRST's table; 2.0 has no critical band, so `high`). */
export function severityOfScore(s: CvssScore): Severity | undefined {
  if (s.version === '2.0') return s.score >= 7 ? 'high' : s.score >= 4 ? 'medium' : s.score > 0 ? 'low' : undefined;
  if (s.score >= 9) return 'critical';
  if (s.score >= 7) return 'high';
  if (s.score >= 4) return 'medium';
  if (s.score > 0) return 'low';
  return undefined;
}
