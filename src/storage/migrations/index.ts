import { m001Init } from './001_init.js';
import { m002AuditIngest } from './002_audit_ingest.js';
import { m003ImageVulnerabilities } from './003_image_vulnerabilities.js';
import { m004Offboarding } from './004_offboarding.js';
import { m005RoleBindings } from './005_role_bindings.js';
import { m006CheckSummary } from './006_check_summary.js';
import { m007FindingFixes } from './007_finding_fixes.js';
import { m008AssetKeyIndex } from './008_asset_key_index.js';
import { m009ComplianceHistory } from './009_compliance_history.js';
import type { Migration } from './migration.js';

export type { Migration } from './migration.js';

/** Every migration, in order. A test checks the list against the folder. */
export const MIGRATIONS: readonly Migration[] = [m001Init, m002AuditIngest, m003ImageVulnerabilities, m004Offboarding, m005RoleBindings, m006CheckSummary, m007FindingFixes, m008AssetKeyIndex, m009ComplianceHistory];
