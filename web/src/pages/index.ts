import type { PageDef } from '../page.js';
import { alertDetailPage, alertsPage } from './alerts.js';
import { assetPage, inventoryPage } from './inventory.js';
import { complianceFrameworkPage, compliancePage } from './compliance.js';
import { connectorNewPage, connectorOffboardPage, connectorPage, connectorsPage } from './connectors.js';
import { overviewPage } from './overview.js';
import { recommendationDetailPage, recommendationsPage } from './recommendations.js';
import { reportsPage } from './reports.js';
import { usersPage } from './users.js';
import { imagePage, vulnerabilitiesPage } from './vulnerabilities.js';

/** Every page of the dashboard, in navigation order. A test checks this list against the folder. */
export const PAGES: PageDef[] = [
  overviewPage,
  recommendationsPage,
  recommendationDetailPage,
  vulnerabilitiesPage,
  imagePage,
  alertsPage,
  alertDetailPage,
  inventoryPage,
  assetPage,
  reportsPage,
  compliancePage,
  complianceFrameworkPage,
  connectorsPage,
  connectorNewPage,
  connectorPage,
  connectorOffboardPage,
  usersPage,
];
