import type { Severity } from '../../../model/severity.js';

/**
 * Severity words of the feeds, to Palisade's scale. Debian's `unimportant` and Ubuntu's `negligible` become
 * `low`, as other scanners report them, so results stay comparable; Debian's `not yet assigned` and
 * Red Hat's missing ratings give no severity (the CVSS-derived or overall one applies instead).
 */
const WORDS: Record<string, Severity> = {
  critical: 'critical',
  high: 'high',
  important: 'high',
  moderate: 'medium',
  medium: 'medium',
  low: 'low',
  negligible: 'low',
  unimportant: 'low',
};

/**
 * `HIGH`, `Moderate`, `medium**` -> a severity; unknown words (and `not yet assigned`) -> undefined. Debian
 * marks urgencies it has not reviewed itself with trailing asterisks; they count as the plain word.
 */
export function severityFromWord(word: unknown): Severity | undefined {
  if (typeof word !== 'string') return undefined;
  return WORDS[word.trim().toLowerCase().replace(/\*+$/, '')];
}
