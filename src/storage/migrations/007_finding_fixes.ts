import type { Migration } from './migration.js';

/**
 * A finding's suggested fix as the live resource needs it (`fix`, JSON text: a description and an RFC 6902 JSON
 * Patch computed against the object the sync read), so the recommendation view can offer `kubectl patch`.
 * Null when the check has no automatic fix; findings stored before this migration get one at their next sync.
 */
export const m007FindingFixes: Migration = {
  id: 7,
  name: 'finding_fixes',
  sqlite: 'ALTER TABLE findings ADD COLUMN fix TEXT;',
  postgres: 'ALTER TABLE findings ADD COLUMN fix TEXT;',
};
