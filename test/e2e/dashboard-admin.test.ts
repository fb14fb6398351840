/**
 * The dashboard's administration pages in a real browser against a real server on a temporary data
 * directory: onboarding a cluster (the fake Kubernetes API server refuses a permission, the wizard shows the
 * preflight and the grant, the grant is applied, the connector is saved), offboarding it to the final report,
 * an Owner's new API token shown once, a Reader's navigation without the Users page, and compliance.
 *
 * Needs Chromium at /usr/bin/chromium and the built dashboard (`npx vite build --config web/vite.config.ts`);
 * skipped, saying which is missing, without them.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import jsYaml from 'js-yaml';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadFrameworks } from '../../src/app/content.js';
import { secretBox } from '../../src/app/secrets.js';
import { addUser } from '../../src/app/users.js';
import { buildApp } from '../../src/api/server.js';
import { defaultWebRoot } from '../../src/api/web.js';
import { openSqliteStore } from '../../src/storage/sqlite/index.js';
import type { Store } from '../../src/storage/store.js';
import { startFakeKubeApiServer, type FakeKubeApiServer, type FakeRule } from '../helpers/fake-kube-apiserver.js';

const CHROMIUM = '/usr/bin/chromium';
const WEB = defaultWebRoot();
const missing = !existsSync(CHROMIUM) ? `no Chromium at ${CHROMIUM}` : !existsSync(join(WEB, 'index.html')) ? `the dashboard is not built (${WEB}); run npx vite build --config web/vite.config.ts` : undefined;
if (missing) console.warn(`dashboard-admin: skipped, ${missing}`);

const SHOTS = join(process.cwd(), 'test-results', 'screenshots');
const PASSWORD = 'a-long-enough-password';
const system = { name: 'system', role: 'owner' as const };
/** Reads of every kind but the networking ones (Ingress, NetworkPolicy): the preflight fails. */
const NO_NETWORKING: FakeRule[] = [{ verbs: ['get', 'list', 'watch'], apiGroups: ['', 'apps', 'batch', 'policy', 'autoscaling', 'admissionregistration.k8s.io', 'rbac.authorization.k8s.io'], resources: ['*'] }];

let dir: string;
let store: Store;
let app: FastifyInstance;
let kube: FakeKubeApiServer;
let browser: Browser;
let base: string;

async function logIn(username: string, path: string): Promise<Page> {
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  // Shorter than the test's own timeout, so a missing element fails with its locator rather than a bare timeout.
  page.setDefaultTimeout(10_000);
  await page.goto(base + path);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('navigation', { name: 'Main' }).waitFor();
  return page;
}

const shot = (page: Page, name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

/** Controls in the accessibility tree of the page (with any open dialog) that have no name: a form field without a label, an empty button. */
async function nameless(page: Page): Promise<string[]> {
  const tree = await page.locator('body').ariaSnapshot();
  return tree.split('\n').filter((line) => /^\s*- (textbox|combobox|checkbox|radio|button|link|spinbutton)(?: \[[^\]]*\])*(?::.*)?$/.test(line));
}

describe.skipIf(missing !== undefined)('dashboard: connectors, users and tokens', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'palisade-dashboard-admin-'));
    mkdirSync(SHOTS, { recursive: true });
    store = openSqliteStore(join(dir, 'palisade.db'));
    await store.migrate();
    await addUser(store, system, { username: 'olivia', role: 'owner', password: PASSWORD });
    await addUser(store, system, { username: 'rita', role: 'reader', password: PASSWORD });
    kube = await startFakeKubeApiServer({ token: 'kube-token-for-the-dashboard-test' });
    app = await buildApp({ store, secrets: secretBox(randomBytes(32)), offboarding: { dataDir: dir }, webRoot: WEB });
    base = await app.listen({ host: '127.0.0.1', port: 0 });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await kube?.close();
    await store?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('onboards a cluster: the preflight with each refused permission and the grant YAML, then saved once the grant is applied', async () => {
    kube.rules = NO_NETWORKING;
    const page = await logIn('olivia', '/connectors/new');
    await page.getByRole('radio', { name: 'Container registry' }).check();
    await page.getByRole('textbox', { name: 'Registry URL' }).waitFor();
    expect(await nameless(page)).toEqual([]);
    await page.getByRole('radio', { name: 'Kubernetes cluster' }).check();
    expect(await nameless(page)).toEqual([]);
    await page.getByRole('textbox', { name: 'Name', exact: true }).fill('lab');
    await page.getByRole('textbox', { name: 'Kubeconfig', exact: true }).fill(kube.kubeconfig('lab'));
    await page.getByRole('textbox', { name: 'Context', exact: true }).fill('lab');
    await page.getByRole('button', { name: 'Next: run the preflight' }).click();

    // The preflight asks the API server about each permission: on a busy machine that takes seconds.
    await expect.poll(() => page.getByText('Preflight failed').count(), { timeout: 20_000 }).toBe(1);
    const checks = page.getByRole('list', { name: 'Preflight checks' });
    await expect.poll(() => checks.innerText(), { timeout: 20_000 }).toContain('watch networking.k8s.io/ingresses');
    const grant = await page.getByLabel('Grant YAML', { exact: true }).innerText();
    expect(grant).toContain('kind: ClusterRole');
    expect(await page.getByRole('button', { name: 'Copy the grant YAML' }).count()).toBe(1);
    expect(await store.listConnectors()).toEqual([]);
    expect(await nameless(page)).toEqual([]);
    await shot(page, 'onboarding-preflight');

    // Apply the grant it printed, then check again: it passes, and nothing is saved until asked.
    kube.rules = (jsYaml.loadAll(grant)[0] as { rules: FakeRule[] }).rules;
    await page.getByRole('button', { name: 'Run the preflight again' }).click();
    await page.getByText('Preflight passed').waitFor();
    expect(await store.listConnectors()).toEqual([]);
    await page.getByRole('button', { name: 'Save the connector' }).click();
    await page.getByRole('status').filter({ hasText: 'is saved' }).waitFor();
    const saved = await store.listConnectors();
    expect(saved.map((c) => [c.kind, c.name])).toEqual([['cluster', 'lab']]);
    await shot(page, 'onboarding-saved');

    await page.getByRole('link', { name: 'Open lab' }).click();
    await page.getByRole('heading', { name: 'lab', level: 1 }).waitFor();
    expect(await page.getByRole('button', { name: 'Sync now' }).count()).toBe(1);
    await shot(page, 'connector');
    await page.close();
  });

  it('offboards the cluster: the plan, the confirmation by name and reason, the steps, and the final report', async () => {
    const [lab] = await store.listConnectors();
    const page = await logIn('olivia', `/connectors/${lab!.id}/offboard`);
    await page.getByRole('heading', { name: 'What will change' }).waitFor();
    expect(await page.getByText('Dependencies').count()).toBeGreaterThan(0);
    expect(await nameless(page)).toEqual([]);
    await shot(page, 'offboarding-plan');
    await page.getByRole('button', { name: 'Next: confirm' }).click();

    const execute = page.getByRole('button', { name: 'Offboard lab' });
    expect(await execute.isDisabled()).toBe(true);
    await page.getByLabel('Type the connector name, lab, to confirm').fill('lab');
    await page.getByRole('textbox', { name: 'Reason', exact: true }).fill('cluster decommissioned');
    // Just onboarded, so it is active: offboarding it needs the explicit override.
    expect(await execute.isDisabled()).toBe(true);
    await page.getByLabel('Offboard it although it is still active').check();
    expect(await execute.isDisabled()).toBe(false);
    await execute.click();

    await page.getByRole('heading', { name: 'Final report' }).waitFor({ timeout: 30_000 });
    await page.getByText('Validation passed').waitFor();
    const steps = page.getByRole('list', { name: 'Offboarding steps' });
    expect(await steps.getByRole('listitem').count()).toBe(9);
    expect(await steps.innerText()).not.toContain('failed');
    expect(await page.getByText(dir).count()).toBeGreaterThan(0);
    expect(await page.getByRole('button', { name: 'Purge the data now' }).count()).toBe(1);
    expect(await nameless(page)).toEqual([]);
    await shot(page, 'offboarding-report');
    const record = await store.getOffboarding(lab!.id);
    expect(record?.reason).toBe('cluster decommissioned');

    // The purge, before the retention period ends, asks first.
    await page.getByRole('button', { name: 'Purge the data now' }).click();
    await page.getByRole('dialog', { name: 'Purge lab' }).getByRole('button', { name: 'Purge now' }).click();
    await page.getByText('Purged', { exact: false }).filter({ hasText: 'verified' }).waitFor();
    expect((await store.getOffboarding(lab!.id))?.purgedAt).toBeTruthy();

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Connectors' }).click();
    const offboardings = page.getByRole('table', { name: 'Offboardings' });
    await offboardings.getByRole('cell', { name: 'cluster decommissioned' }).waitFor();
    await shot(page, 'connectors');
    await page.close();
  });

  it('shows an Owner a new API token once, in a dialog with a copy button', async () => {
    const page = await logIn('olivia', '/users');
    await page.getByRole('table', { name: 'Audit trail' }).waitFor();
    expect(await nameless(page)).toEqual([]);
    // A dialog takes the focus and Esc closes it.
    await page.getByRole('button', { name: 'Add a user' }).click();
    const addUser = page.getByRole('dialog', { name: 'Add a user' });
    expect(await addUser.evaluate((d) => d.contains(d.ownerDocument.activeElement))).toBe(true);
    await page.keyboard.press('Escape');
    await addUser.waitFor({ state: 'detached' });

    await page.getByRole('button', { name: 'Create a token' }).click();
    await page.getByRole('dialog').getByRole('textbox', { name: 'Name', exact: true }).fill('ci-pipeline');
    await page.getByRole('dialog').getByLabel('Role').selectOption('contributor');
    await page.getByRole('button', { name: 'Create the token' }).click();

    const dialog = page.getByRole('dialog', { name: 'Token ci-pipeline' });
    await dialog.waitFor();
    expect(await dialog.getByRole('button', { name: 'Copy the token' }).count()).toBe(1);
    const token = (await dialog.getByLabel('Token', { exact: true }).innerText()).trim();
    expect(token.length).toBeGreaterThan(20);
    expect(await nameless(page)).toEqual([]);
    await shot(page, 'token-created');
    // The token works, with the role asked for.
    const me = await fetch(`${base}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } });
    expect(await me.json()).toMatchObject({ role: 'contributor' });

    await dialog.getByRole('button', { name: 'Done' }).click();
    await page.getByRole('table', { name: 'API tokens' }).getByRole('cell', { name: 'ci-pipeline', exact: true }).waitFor();
    expect(await page.content()).not.toContain(token);
    await page.close();
  });

  it('does not show a Reader the Users page, nor the buttons that change connectors', async () => {
    const staging = await store.createConnector({ kind: 'cluster', name: 'staging', config: { context: 'staging', inCluster: false, scope: {} }, secrets: null });
    // Two days of compliance history of every framework, as two syncs would have recorded it.
    const day = (ago: number) => new Date(Date.now() - ago * 86_400_000).toISOString();
    await store.appendCompliancePoints(
      loadFrameworks().flatMap((f) => [
        { connectorId: staging.id, framework: f.id, at: day(1), passed: 2, failed: 6, notApplicable: 1, manual: 1, score: 25 },
        { connectorId: staging.id, framework: f.id, at: day(0), passed: 6, failed: 2, notApplicable: 1, manual: 1, score: 75 },
      ]),
    );
    const page = await logIn('rita', '/connectors');
    const nav = page.getByRole('navigation', { name: 'Main' });
    expect(await nav.getByRole('link', { name: 'Connectors' }).count()).toBe(1);
    expect(await nav.getByRole('link', { name: 'Users & tokens' }).count()).toBe(0);
    await page.getByRole('table', { name: 'Connectors' }).waitFor();
    expect(await page.getByRole('link', { name: 'Add a connector' }).count()).toBe(0);
    expect(await page.getByText('Inactive connectors').count()).toBe(0);
    await shot(page, 'reader-connectors');
    await page.goto(`${base}/users`);
    await page.getByText('Not available with your role').waitFor();

    // Compliance is for every role: the frameworks, then one framework's controls with links to the checks.
    await page.goto(`${base}/compliance`);
    const frameworks = page.getByRole('table', { name: 'Frameworks' });
    await frameworks.waitFor();
    expect(await nameless(page)).toEqual([]);
    await shot(page, 'compliance');
    await frameworks.getByRole('link').first().click();
    await page.getByRole('table').first().waitFor();
    expect(await page.getByRole('link', { name: 'HTML report' }).getAttribute('href')).toMatch(/^\/api\/v1\/reports\/compliance\/[^/]+\.html$/);
    expect(await page.locator('a[href^="/recommendations/"]').count()).toBeGreaterThan(0);
    // The trend: score and failed controls over the two days, each an image named by its summary.
    await page.getByRole('img', { name: 'Compliance score over time: 75.0% now' }).waitFor();
    expect(await page.locator('svg[role="img"][aria-label^="Failed controls over time: 2 now, 6 at "]').count()).toBe(1);
    await shot(page, 'compliance-framework');
    await page.close();
  });
});
