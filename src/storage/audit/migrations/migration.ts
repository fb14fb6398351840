/** One numbered schema change of the audit store. */
export interface AuditMigration {
  /** Applied in ascending order; never reused or renumbered once released. */
  id: number;
  name: string;
  /** SQLite statements, run in one transaction with the version bump. */
  sql: string;
}
