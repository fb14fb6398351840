/**
 * The vulnerability matcher: installed packages + advisory rows -> detected vulnerabilities. Pure; the
 * database arrives as an `AdvisoryLookup`, the end-of-life table as parsed data.
 *
 * - `match.ts`: `matchPackages`, the engine;
 * - `drivers/`: one driver per OS family (listed in `drivers/index.ts`), each with its quirks written down;
 * - `language.ts`: language ecosystems;
 * - `evaluate.ts`: what one row says of one version, and how rows of one vulnerability combine;
 * - `severity.ts`: which severity a finding gets, and CVSS scoring;
 * - `eol.ts`: the end-of-life table's schema and lookups.
 */
export { matchPackages, type MatchOptions, type MatchResult } from './match.js';
export { DRIVERS } from './drivers/index.js';
export type { DriverContext, NameLookup, OsDriver, OsFamily } from './driver.js';
export { combine, evaluateRow, type FindingStatus, type Verdict } from './evaluate.js';
export { eolRelease, eolTableSchema, isPast, parseEolTable, releaseOfCodename, type EolRelease, type EolTable } from './eol.js';
export { DEFAULT_SEVERITY, findingSeverity, scoredCvss } from './severity.js';
