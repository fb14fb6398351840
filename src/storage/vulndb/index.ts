/**
 * The vulnerability database: one SQLite file, the only place advisory rows are written as SQL.
 *
 * - `store.ts`: open (schema-checked), lookups, document replacement, status, export;
 * - `transfer.ts`: verified, atomic import of an export;
 * - `merge.ts`: how records of one vulnerability from several sources become one;
 * - `schema.ts`: the file layout and its version;
 * - `paths.ts`: the default location.
 */
export { defaultVulnDbPath } from './paths.js';
export { mergeRecords, type RecordPart } from './merge.js';
export { FORMAT, SCHEMA_VERSION } from './schema.js';
export { openVulnDb, sha256File, type DocumentStatus, type ExportResult, type OpenOptions, type SourceStatus, type VulnDb, type VulnDbStatus } from './store.js';
export { importVulnDb, type ImportResult } from './transfer.js';
