export { AuditStore, MAX_ALERT_AUDIT_IDS, MAX_ALERT_EVENTS, type AuditStoreOptions } from './store.js';
export { auditDbPath, defaultDataDir } from './paths.js';
export { AUDIT_MIGRATIONS, type AuditMigration } from './migrations/index.js';
export * from './types.js';
