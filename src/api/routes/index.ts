import type { ApiContext, RouteSpec } from '../route.js';
import { alertRoutes } from './alerts.js';
import { auditIngestRoutes } from './audit-ingest.js';
import { ingestTokenRoutes } from './ingest-tokens.js';
import { suppressionRoutes } from './suppressions.js';
import { assetRoutes } from './assets.js';
import { complianceRoutes } from './compliance.js';
import { exportRoutes } from './exports.js';
import { overviewRoutes } from './overview.js';
import { reportRoutes } from './reports.js';
import { auditLogRoutes } from './audit-log.js';
import { authRoutes } from './auth.js';
import { connectorRoutes } from './connectors.js';
import { exemptionRoutes } from './exemptions.js';
import { healthRoutes } from './health.js';
import { recommendationRoutes } from './recommendations.js';
import { offboardingRoutes } from './offboarding.js';
import { roleBindingRoutes } from './role-bindings.js';
import { scoreRoutes } from './score.js';
import { tokenRoutes } from './tokens.js';
import { userRoutes } from './users.js';
import { vulnerabilityRoutes } from './vulnerabilities.js';

/** Every resource's routes, one file each. A test checks this list against the folder. */
export const RESOURCES: ReadonlyArray<{ file: string; routes: (ctx: ApiContext) => RouteSpec[] }> = [
  { file: 'health', routes: healthRoutes as (ctx: ApiContext) => RouteSpec[] },
  { file: 'auth', routes: authRoutes as (ctx: ApiContext) => RouteSpec[] },
  { file: 'users', routes: userRoutes as (ctx: ApiContext) => RouteSpec[] },
  { file: 'tokens', routes: tokenRoutes as (ctx: ApiContext) => RouteSpec[] },
  { file: 'audit-log', routes: auditLogRoutes as (ctx: ApiContext) => RouteSpec[] },
  { file: 'exemptions', routes: exemptionRoutes as (ctx: ApiContext) => RouteSpec[] },
  { file: 'score', routes: scoreRoutes as (ctx: ApiContext) => RouteSpec[] },
  { file: 'connectors', routes: connectorRoutes as (ctx: ApiContext) => RouteSpec[] },
  { file: 'assets', routes: assetRoutes as (ctx: ApiContext) => RouteSpec[] },
  { file: 'recommendations', routes: recommendationRoutes as (ctx: ApiContext) => RouteSpec[] },
  { file: 'vulnerabilities', routes: vulnerabilityRoutes as (ctx: ApiContext) => RouteSpec[] },
  { file: 'audit-ingest', routes: auditIngestRoutes as (ctx: ApiContext) => RouteSpec[] },
  { file: 'ingest-tokens', routes: ingestTokenRoutes as (ctx: ApiContext) => RouteSpec[] },
  { file: 'alerts', routes: alertRoutes as (ctx: ApiContext) => RouteSpec[] },
  { file: 'suppressions', routes: suppressionRoutes as (ctx: ApiContext) => RouteSpec[] },
  { file: 'role-bindings', routes: roleBindingRoutes as (ctx: ApiContext) => RouteSpec[] },
  { file: 'offboarding', routes: offboardingRoutes as (ctx: ApiContext) => RouteSpec[] },
  { file: 'compliance', routes: complianceRoutes as (ctx: ApiContext) => RouteSpec[] },
  { file: 'overview', routes: overviewRoutes as (ctx: ApiContext) => RouteSpec[] },
  { file: 'exports', routes: exportRoutes as (ctx: ApiContext) => RouteSpec[] },
  { file: 'reports', routes: reportRoutes as (ctx: ApiContext) => RouteSpec[] },
];
