import { m001Init } from './001_init.js';
import type { AuditMigration } from './migration.js';

export type { AuditMigration } from './migration.js';

/** Every migration of the audit store, in order. A test checks the list against the folder. */
export const AUDIT_MIGRATIONS: readonly AuditMigration[] = [m001Init];
