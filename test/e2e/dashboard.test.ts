/**
 * The web dashboard in a real browser (Chromium through playwright-core) against a real server: the API and
 * the built dashboard served by the same Fastify instance, on SQLite in a temporary data directory, seeded with
 * the bundled demo environment (a cluster snapshot, scanned images, a replayed audit log).
 *
 * Every page is opened and screenshotted to test-results/screenshots/<page>.png.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/api/server.js';
import { loadDemoEnvironment, type DemoSummary } from '../../src/app/demo.js';
import { secretBox } from '../../src/app/secrets.js';
import { addUser } from '../../src/app/users.js';
import { openSqliteStore, sqliteFileIn } from '../../src/storage/sqlite/index.js';
import type { Store } from '../../src/storage/store.js';

const CHROMIUM = process.env.PALISADE_CHROMIUM ?? '/usr/bin/chromium';
const ROOT = join(import.meta.dirname, '..', '..');
const WEB_DIST = join(ROOT, 'web', 'dist');
const SHOTS = join(ROOT, 'test-results', 'screenshots');
const PASSWORD = 'correct-horse-battery-staple';
const system = { name: 'system', role: 'owner' as const };

const skip = existsSync(CHROMIUM) ? false : `${CHROMIUM} is not installed (apt-get install chromium, or set PALISADE_CHROMIUM): the dashboard browser tests are skipped`;
if (skip) console.warn(`dashboard e2e: ${skip}`);

/** Builds the dashboard when web/dist is missing, or fails saying how. */
function ensureBuilt(): void {
  if (existsSync(join(WEB_DIST, 'index.html'))) return;
  try {
    execFileSync(join(ROOT, 'node_modules', '.bin', 'vite'), ['build', '--config', 'web/vite.config.ts', '--logLevel', 'warn'], { cwd: ROOT, stdio: 'pipe' });
  } catch (e) {
    throw new Error(`web/dist is missing and \`npx vite build --config web/vite.config.ts\` failed: ${(e as { stderr?: Buffer }).stderr?.toString() ?? String(e)}`);
  }
}

let dir: string;
let store: Store;
let app: FastifyInstance;
let base: string;
let browser: Browser;
let demo: DemoSummary;
const cspErrors: string[] = [];

beforeAll(async () => {
  if (skip) return;
  ensureBuilt();
  mkdirSync(SHOTS, { recursive: true });
  dir = mkdtempSync(join(tmpdir(), 'palisade-dashboard-'));
  store = openSqliteStore(sqliteFileIn(dir));
  await store.migrate();
  const secrets = secretBox(randomBytes(32));
  demo = await loadDemoEnvironment({ store, secrets }, { dataDir: dir });
  await addUser(store, system, { username: 'olivia', role: 'owner', password: PASSWORD });
  await addUser(store, system, { username: 'rita', role: 'reader', password: PASSWORD });
  app = await buildApp({ store, secrets, webRoot: WEB_DIST });
  await app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'] });
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await app?.close();
  await store?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A fresh browser context (its own cookies) with a page that records Content-Security-Policy violations. */
async function newPage(): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, baseURL: base });
  const page = await context.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) cspErrors.push(m.text());
  });
  return { context, page };
}

async function logIn(page: Page, username: string, password = PASSWORD): Promise<void> {
  await page.goto('/');
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

/**
 * Runs an expression in the page. The browser code is written as text: this project's TypeScript settings are
 * Node's, without the DOM's types.
 */
function inPage<T>(page: Page, expression: string): Promise<T> {
  return page.evaluate(expression) as Promise<T>;
}

/** Form controls, buttons and links on the page without an accessible name (label, aria-label, aria-labelledby, text, title). */
function unnamedControls(page: Page): Promise<string[]> {
  return inPage(
    page,
    `(() => {
      const named = (el) => {
        if (el.getAttribute('aria-label')?.trim()) return true;
        const by = el.getAttribute('aria-labelledby');
        if (by && by.split(/\\s+/).some((id) => document.getElementById(id)?.textContent?.trim())) return true;
        if (el.labels && [...el.labels].some((l) => l.textContent.trim())) return true;
        if (el.tagName === 'BUTTON' || el.tagName === 'A') return Boolean(el.textContent.trim() || el.getAttribute('title'));
        return false;
      };
      return [...document.querySelectorAll('input, select, textarea, button, a[href]')].filter((el) => !named(el)).map((el) => el.outerHTML.slice(0, 120));
    })()`,
  );
}

/** Whether keyboard focus is inside the open dialog. */
const focusInDialog = (page: Page) => inPage<boolean>(page, `Boolean(document.activeElement?.closest('[role="dialog"]'))`);

/** The names of the buttons a write would need, present on the page. */
async function writeButtons(page: Page): Promise<string[]> {
  const names = await page.getByRole('button').allInnerTexts();
  return names.filter((n) => /exempt|acknowledge|resolve|dismiss|suppress/i.test(n));
}

describe.skipIf(skip)('dashboard', () => {
  let owner: { context: BrowserContext; page: Page };

  beforeAll(async () => {
    if (skip) return;
    owner = await newPage();
  });
  afterAll(async () => {
    await owner?.context.close();
  });

  it('serves a built index.html with no inline script', () => {
    const html = readFileSync(join(WEB_DIST, 'index.html'), 'utf8');
    expect(html).toMatch(/<script type="module"[^>]* src="\/assets\/[^"]+\.js"><\/script>/);
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(demo.findings).toBeGreaterThan(0);
  });

  it('refuses a wrong password with a message, then logs in and shows the user, the role and the navigation', async () => {
    const { page } = owner;
    await logIn(page, 'olivia', 'not-the-password');
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('Wrong username or password');
    expect(await page.getByLabel('Password').inputValue()).toBe('');
    await shot(page, 'login');
    await logIn(page, 'olivia');
    await page.getByRole('navigation', { name: 'Main' }).waitFor();
    const header = page.getByRole('banner');
    expect(await header.textContent()).toContain('olivia');
    expect(await header.textContent()).toContain('Owner');
    for (const title of ['Overview', 'Recommendations', 'Vulnerabilities', 'Alerts', 'Inventory', 'Reports']) {
      expect(await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: title, exact: true }).count(), title).toBe(1);
    }
    expect(await page.getByRole('main').count()).toBe(1);
  }, 60_000);

  it('renders every page with its main content', async () => {
    const { page } = owner;
    const visit = async (path: string, h1: string | RegExp, name: string, content: (p: Page) => Promise<void>) => {
      await page.goto(path);
      await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent(), { timeout: 15_000 }).toMatch(h1);
      await content(page);
      await page.waitForLoadState('networkidle');
      expect(await unnamedControls(page), `${name}: controls without a name`).toEqual([]);
      await shot(page, name);
    };
    const rows = (label: string) => async (p: Page) => {
      await p.getByRole('table', { name: label }).locator('tbody tr').first().waitFor({ timeout: 15_000 });
    };
    await visit('/', 'Overview', 'overview', async (p) => {
      await p.getByRole('img', { name: /Secure score/ }).first().waitFor();
      await p.getByRole('link', { name: /./ }).filter({ has: p.locator('xpath=self::*[starts-with(@href, "/recommendations/")]') }).first().waitFor();
      await p.getByRole('img', { name: /Assets by type/ }).waitFor();
    });
    await visit('/recommendations', 'Recommendations', 'recommendations', rows('Recommendations'));
    const firstRec = page.getByRole('table', { name: 'Recommendations' }).locator('tbody tr a').first();
    const recTitle = (await firstRec.textContent())!;
    await firstRec.click();
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe(recTitle);
    await rows('Affected resources')(page);
    expect(await page.getByRole('heading', { name: 'Remediation' }).count()).toBe(1);
    // The most severe recommendation of the demo (a privileged container) has a fix: the kubectl patch for the live object.
    expect(await page.getByRole('region', { name: 'Suggested fix' }).locator('pre').first().textContent()).toMatch(/^kubectl patch \w+ '[^']+' -n '[^']+' --type=json -p '\[/);
    await shot(page, 'recommendation');

    await visit('/vulnerabilities', 'Vulnerabilities', 'vulnerabilities', rows('Vulnerable images'));
    expect(await page.getByRole('link', { name: 'Download CSV' }).getAttribute('href')).toMatch(/^\/api\/v1\/exports\/vulnerabilities\.csv/);
    await visit('/vulnerabilities?view=cve', 'Vulnerabilities', 'vulnerabilities-cve', rows('Vulnerabilities by CVE'));
    await page.goto('/vulnerabilities');
    await page.getByRole('table', { name: 'Vulnerable images' }).locator('tbody tr a').first().click();
    await rows('Vulnerable packages')(page);
    expect(await page.getByRole('table', { name: 'Vulnerable packages' }).locator('thead').textContent()).toMatch(/Installed.*Fixed.*Layer/);
    await shot(page, 'image');

    await visit('/alerts?days=all', 'Alerts', 'alerts', rows('Alerts'));
    await page.getByRole('table', { name: 'Alerts' }).locator('tbody tr a').first().click();
    await page.getByRole('heading', { name: 'MITRE ATT&CK' }).waitFor();
    await page.getByRole('heading', { name: /Raw events/ }).waitFor();
    await page.getByRole('heading', { name: 'Entities' }).waitFor();
    await shot(page, 'alert');

    await visit('/inventory', 'Inventory', 'inventory', rows('Assets'));
    await visit('/inventory?type=pod', 'Inventory', 'inventory-pods', rows('Assets'));
    await page.getByRole('table', { name: 'Assets' }).locator('tbody tr a').first().click();
    await page.getByRole('heading', { name: /What runs it/ }).waitFor();
    await page.getByRole('heading', { name: /Who can reach it/ }).waitFor();
    await shot(page, 'asset');

    await visit('/reports', 'Reports', 'reports', async (p) => {
      await p.getByRole('link', { name: /Open HTML/ }).waitFor();
    });
    expect(await page.getByRole('link', { name: /findings CSV/i }).getAttribute('href')).toBe('/api/v1/exports/findings.csv');
    expect(cspErrors).toEqual([]);
  }, 180_000);

  it('creates an exemption from a recommendation', async () => {
    const { page } = owner;
    await page.goto('/recommendations');
    await page.getByRole('table', { name: 'Recommendations' }).locator('tbody tr a').first().click();
    await page.getByRole('table', { name: 'Affected resources' }).locator('tbody tr').first().waitFor();
    const checkId = decodeURIComponent(new URL(page.url()).pathname.split('/').pop()!);
    await page.getByRole('button', { name: 'Exempt…' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    // Focus starts inside the dialog and stays there.
    expect(await focusInDialog(page)).toBe(true);
    for (let i = 0; i < 12; i++) await page.keyboard.press('Tab');
    expect(await focusInDialog(page)).toBe(true);
    expect(await unnamedControls(page)).toEqual([]);
    await dialog.getByLabel('Reason').fill('Vendor image; replaced in the Q3 platform upgrade');
    await dialog.getByLabel('Owner').fill('platform-team');
    await shot(page, 'exemption-dialog');
    await dialog.getByRole('button', { name: 'Create exemption' }).click();
    await expect.poll(() => page.getByRole('status').allTextContents()).toEqual(expect.arrayContaining([expect.stringContaining('Exemption created')]));
    await expect.poll(() => page.getByRole('table', { name: 'Exemptions' }).textContent(), { timeout: 10_000 }).toContain('platform-team');
    const saved = await store.listExemptions({});
    expect(saved).toEqual([expect.objectContaining({ checkId, owner: 'platform-team', reason: 'Vendor image; replaced in the Q3 platform upgrade', createdBy: 'user:olivia' })]);
    expect(saved[0]!.scope).toMatch(/^asset:/);
    expect(saved[0]!.expiresAt).not.toBeNull();
  }, 60_000);

  it('closes a dialog with Esc and gives focus back', async () => {
    const { page } = owner;
    const open = page.getByRole('button', { name: 'Exempt…' });
    await open.focus({ timeout: 10_000 });
    await page.keyboard.press('Enter');
    await page.getByRole('dialog').waitFor({ timeout: 10_000 });
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'detached', timeout: 10_000 });
    expect(await inPage(page, 'document.activeElement?.textContent')).toBe('Exempt…');
  }, 30_000);

  it('acknowledges an alert', async () => {
    const { page } = owner;
    await page.goto('/alerts?days=all&status=new');
    const table = page.getByRole('table', { name: 'Alerts' });
    await table.locator('tbody tr').first().waitFor();
    const button = table.getByRole('button', { name: /^Acknowledge alert \d+/ }).first();
    const id = Number(/alert (\d+)/.exec((await button.getAttribute('aria-label'))!)![1]);
    await button.click();
    await expect.poll(() => page.getByRole('status').allTextContents()).toEqual(expect.arrayContaining([`Alert ${id} acknowledged`]));
    const alert = (await store.listAlerts({ limit: 1000 })).items.find((a) => a.id === id)!;
    expect(alert).toMatchObject({ status: 'acknowledged', statusBy: 'user:olivia' });
    await page.goto(`/alerts/${id}`);
    await page.getByRole('heading', { name: 'MITRE ATT&CK' }).waitFor();
    expect(await page.getByRole('main').textContent()).toContain('acknowledged');
    expect(await page.getByRole('button', { name: 'Resolve' }).count()).toBe(1);
    expect(await page.getByRole('button', { name: 'Acknowledge' }).count()).toBe(0);
  }, 60_000);

  it('reaches the navigation by keyboard and opens a page with Enter', async () => {
    const { page } = owner;
    await page.goto('/');
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
    // Tab only once the page has settled: its content arriving must not move the focus mid-way.
    await page.getByRole('heading', { name: 'Top recommendations' }).waitFor();
    let reached = false;
    for (let i = 0; i < 20 && !reached; i++) {
      await page.keyboard.press('Tab');
      reached = await inPage<boolean>(page, `document.activeElement?.closest('nav[aria-label="Main"]') != null && document.activeElement.textContent === 'Alerts'`);
    }
    expect(reached).toBe(true);
    const ring = await inPage<string>(page, 'getComputedStyle(document.activeElement).outlineStyle');
    expect(ring).not.toBe('none');
    await page.keyboard.press('Enter');
    await expect.poll(() => new URL(page.url()).pathname).toBe('/alerts');
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Alerts');
    expect(await page.getByRole('link', { name: 'Alerts', exact: true }).getAttribute('aria-current')).toBe('page');
    // Focus moved to the new page, as after a full page load.
    expect(await inPage(page, 'document.activeElement?.id')).toBe('main');
  }, 30_000);

  it('shows a Reader no write action', async () => {
    const reader = await newPage();
    try {
      const { page } = reader;
      await logIn(page, 'rita');
      await page.getByRole('navigation', { name: 'Main' }).waitFor();
      expect(await page.getByRole('banner').textContent()).toContain('Reader');
      await page.goto('/recommendations');
      await page.getByRole('table', { name: 'Recommendations' }).locator('tbody tr a').first().click();
      await page.getByRole('table', { name: 'Affected resources' }).locator('tbody tr').first().waitFor();
      expect(await writeButtons(page)).toEqual([]);
      await page.goto('/alerts?days=all');
      await page.getByRole('table', { name: 'Alerts' }).locator('tbody tr').first().waitFor();
      expect(await writeButtons(page)).toEqual([]);
      await page.getByRole('table', { name: 'Alerts' }).locator('tbody tr a').first().click();
      await page.getByRole('heading', { name: 'MITRE ATT&CK' }).waitFor();
      expect(await writeButtons(page)).toEqual([]);
      await shot(page, 'alert-reader');
    } finally {
      await reader.context.close();
    }
  }, 60_000);

  it('goes back to the login form after logout, and on a 401', async () => {
    const { page } = owner;
    await page.goto('/inventory');
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByLabel('Username').waitFor();
    expect(await page.getByRole('navigation', { name: 'Main' }).count()).toBe(0);
    await logIn(page, 'olivia');
    await page.getByRole('navigation', { name: 'Main' }).waitFor();
    await owner.context.clearCookies();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Vulnerabilities' }).click();
    await page.getByLabel('Username').waitFor();
    expect(await page.getByRole('alert').textContent()).toContain('session has ended');
  }, 60_000);
});
