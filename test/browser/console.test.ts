import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalModeHandle, runLocalMode } from '../../functions/local/run-local';
import { API_BASE_PATH, CONSOLE_OAUTH_CALLBACK_PATH } from '../../functions/routes';
import { readLocalConfig } from '../../shared/config';
import { makeTempDir } from '../adapters/temp-dir';
import { type SimulatorHandle, startSimulator } from '../simulator';
import { DEFAULT_OAUTH_CLIENTS } from '../simulator/auth';
import { launchChromium } from './chromium';

/**
 * The web console in headless Chromium against local mode (the `npm start` entry point, as a child
 * process) and a ServiceNow simulator: every page is driven the way a user would, and each leaves a
 * screenshot in test/browser/artifacts/.
 */

const USER_SECRET = 'a'.repeat(64);
const ORG_SECRET = 'b'.repeat(64);
const ARTIFACTS = join(import.meta.dirname, 'artifacts');
/** Enough rows for three 5 MiB parts of JSON lines, so a download commits (and shows) its progress twice. */
const INCIDENTS = 15_000;

let sim: SimulatorHandle;
let local: LocalModeHandle;
/** Where local mode serves the console. */
let consoleUrl: string;
let hooks: { server: Server; url: string; received: string[] };
let browser: Browser;
let context: BrowserContext;
let page: Page;
let dataDir: { dir: string; cleanup(): Promise<void> };
/** The page's console and uncaught errors, saved next to the screenshots. */
const consoleLines: string[] = [];
/** CSP violations the page reported (collected by an init script, outside the page's CSP). */
const violations = () => page.evaluate(() => (globalThis as unknown as PageGlobals).__violations ?? []);

/** The page's globals this file uses inside the browser (it compiles without the DOM types). */
interface PageGlobals {
  __violations: string[];
  document: {
    cookie: string;
    addEventListener(
      type: 'securitypolicyviolation',
      listener: (event: { effectiveDirective: string; blockedURI: string }) => void,
    ): void;
  };
  location: { href: string };
  sessionStorage: Record<string, string>;
  localStorage: Record<string, string>;
  DataTransfer: new () => { items: { add(file: File): void } };
}

const startHookReceiver = async () => {
  const received: string[] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    request.on('end', () => {
      received.push(body);
      response.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`, received };
};

const shot = async (name: string) => {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
};

beforeAll(async () => {
  if (!existsSync(join(import.meta.dirname, '../../functions/console/web/dist/index.html'))) {
    throw new Error('The console is not built: run npm run build:console (npm test runs it first)');
  }
  await mkdir(ARTIFACTS, { recursive: true });
  dataDir = await makeTempDir('console');
  // The demo OAuth client also accepts our hosted callback, added once local mode listens.
  const redirectUris = [...(DEFAULT_OAUTH_CLIENTS[0]?.redirectUris ?? [])];
  sim = await startSimulator({
    seed: 7,
    oauthClients: DEFAULT_OAUTH_CLIENTS.map((client) => ({ ...client, redirectUris })),
    data: { incidents: INCIDENTS, problems: 5, changes: 5, users: 5, groups: 2, companies: 2 },
  });
  hooks = await startHookReceiver();
  local = await runLocalMode(
    readLocalConfig({
      PORT: '0',
      DEMO_SERVICENOW: '0',
      LOG_LEVEL: 'ERROR',
      ELEMENT_DATA_DIR: dataDir.dir,
      ELEMENT_USER_SECRET: USER_SECRET,
      ELEMENT_ORGANIZATION_SECRET: ORG_SECRET,
    }),
    // One page per download chunk: a job commits its progress at every 5 MiB part.
    { bulkPagesPerChunk: 1 },
  );
  redirectUris.push(`${local.api.origin}${API_BASE_PATH}${CONSOLE_OAUTH_CALLBACK_PATH}`);
  consoleUrl = `${local.api.url}/console/`;
  browser = await launchChromium();
  context = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
  await context.addInitScript(() => {
    const page = globalThis as unknown as PageGlobals;
    const list: string[] = [];
    page.__violations = list;
    page.document.addEventListener('securitypolicyviolation', (event) => {
      list.push(`${event.effectiveDirective} ${event.blockedURI}`);
    });
  });
  page = await context.newPage();
  page.setDefaultTimeout(15_000);
  page.on('console', (message) => consoleLines.push(`${message.type()}: ${message.text()}`));
  page.on('pageerror', (error) => consoleLines.push(`pageerror: ${error.message}`));
}, 90_000);

afterAll(async () => {
  await writeFile(join(ARTIFACTS, 'console.log'), consoleLines.join('\n'));
  await browser?.close();
  await local?.close();
  hooks?.server.close();
  await sim?.close();
  await dataDir?.cleanup();
});

const row = (selector: string, options?: { hasText: string }) => page.locator(selector, options);
/** How long the page may take to show what a step expects (a queue to drain, a job to end). */
const POLL = { timeout: 15_000, interval: 100 };

describe('the web console', () => {
  it('refuses a wrong secret with a clear message, then signs in and keeps the secrets in sessionStorage only', async () => {
    await page.goto(consoleUrl);
    await page.getByLabel('User secret', { exact: true }).fill(USER_SECRET);
    await page.getByLabel('Organization secret', { exact: true }).fill('c'.repeat(64));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect
      .poll(() => page.getByRole('alert').textContent(), POLL)
      .toMatch(/These secrets were refused/);
    await shot('sign-in-refused');

    await page.getByLabel('Organization secret', { exact: true }).fill(ORG_SECRET);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Instances', level: 1 }).waitFor();
    const storage = await page.evaluate(() => {
      const { sessionStorage, localStorage, document, location } = globalThis as unknown as PageGlobals;
      return {
        session: Object.values(sessionStorage),
        local: Object.keys(localStorage).length,
        cookie: document.cookie,
        url: location.href,
      };
    });
    expect(storage.session.sort()).toEqual([USER_SECRET, ORG_SECRET].sort());
    expect(storage.local).toBe(0);
    expect(storage.cookie).toBe('');
    expect(storage.url).not.toContain(USER_SECRET);
  });

  it('creates a Basic instance against ServiceNow and shows its state and masked configuration', async () => {
    const form = page.locator('form[data-form="basic"]');
    await form.getByLabel('Name', { exact: true }).fill('demo basic');
    await form.getByLabel('ServiceNow URL', { exact: true }).fill(sim.url);
    await form.getByLabel('Username', { exact: true }).fill('admin');
    await form.getByLabel('Password', { exact: true }).fill('admin');
    await form.getByLabel('Tags', { exact: true }).fill('demo, console');
    await form.getByRole('button', { name: 'Create' }).click();
    await page.getByRole('heading', { name: /demo basic/, level: 1 }).waitFor();
    await expect.poll(() => page.locator('.state').textContent(), POLL).toMatch(/valid.*enabled/);
    const password = page.locator('tr', { has: page.locator('code', { hasText: /^password$/ }) });
    await expect.poll(() => password.locator('td').textContent(), POLL).toBe('********');
    await shot('instance');

    await page.getByRole('link', { name: 'Instances' }).first().click();
    const listed = row('tr[data-instance]');
    await expect.poll(() => listed.count(), POLL).toBe(1);
    expect(await listed.textContent()).toMatch(/demo basic.*servicenow.*valid.*enabled.*demo, console/);
    await shot('instances');
  });

  it("connects an OAuth instance through ServiceNow's authorize page and the hosted callback, and re-authorizes it", async () => {
    const form = page.locator('form[data-form="oauth"]');
    await form.getByLabel('Name', { exact: true }).fill('demo oauth');
    await form.getByLabel('ServiceNow URL', { exact: true }).fill(sim.url);
    await form.getByLabel('OAuth client id', { exact: true }).fill('demo-client');
    await form.getByLabel('OAuth client secret', { exact: true }).fill('demo-secret');
    await form.getByRole('button', { name: 'Connect with OAuth' }).click();

    // ServiceNow's consent page: the client secret never travels in a URL.
    await page.getByRole('button', { name: 'Allow' }).waitFor();
    expect(page.url().startsWith(sim.url)).toBe(true);
    expect(page.url()).not.toContain('demo-secret');
    await shot('oauth-consent');
    await page.getByRole('button', { name: 'Allow' }).click();

    await page.waitForURL(/#\/instances\/\d+\?connected=1$/);
    await page.getByText('Connected: ServiceNow authorized this instance.').waitFor();
    await page.getByRole('heading', { name: /demo oauth/, level: 1 }).waitFor();
    await expect
      .poll(() => page.locator('.state').textContent(), POLL)
      .toMatch(/valid.*enabled.*servicenowoauth/);
    const secret = page.locator('tr', { has: page.locator('code', { hasText: /^oauth\.api\.secret$/ }) });
    await expect.poll(() => secret.locator('td').textContent(), POLL).toBe('********');
    const id = /#\/instances\/(\d+)/.exec(page.url())?.[1];

    // Re-authorize: refused once (a clear page, nothing changed), then allowed.
    await page.getByRole('button', { name: 'Re-authorize with OAuth' }).click();
    await page.getByRole('button', { name: 'Deny' }).click();
    await page.waitForURL(/#\/connect-error\?/);
    await expect.poll(() => page.getByRole('alert').textContent(), POLL).toMatch(/\w/);
    await shot('connect-error');
    await page.goto(`${consoleUrl}#/instances/${id}`);
    await page.getByRole('button', { name: 'Re-authorize with OAuth' }).click();
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL(new RegExp(`#/instances/${id}\\?connected=1$`));
    await expect.poll(() => page.locator('.state').textContent(), POLL).toMatch(/valid/);
    await page.getByRole('link', { name: 'Instances' }).first().click();
    await expect.poll(() => row('tr[data-instance]').count(), POLL).toBe(2);
  }, 60_000);

  it('shows a delivered event in the log after "Poll now", with its payload, and redelivers it', async () => {
    await page.getByRole('link', { name: 'demo basic' }).click();
    await page.getByLabel('Callback URL', { exact: true }).fill(hooks.url);
    await page.getByLabel('Poll every (minutes)', { exact: true }).fill('1');
    await page.getByRole('button', { name: 'Save events settings' }).click();
    await expect.poll(() => page.getByRole('status').allTextContents(), POLL).toContain('Events enabled');
    // Events start when enabled: change a record a second later, in ServiceNow's own second resolution.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const created = await fetch(`${sim.url}/api/now/table/incident`, {
      method: 'POST',
      headers: { Authorization: `Basic ${btoa('admin:admin')}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ short_description: 'seen by the console' }),
    });
    expect(created.status).toBe(201);

    await page.getByRole('button', { name: 'Poll now' }).click();
    const delivered = row('tr[data-event][data-delivery="DELIVERED"]');
    await delivered.first().waitFor({ timeout: 20_000 });
    expect(hooks.received.length).toBeGreaterThanOrEqual(1);
    expect(hooks.received.join('\n')).toContain('seen by the console');
    expect(await page.getByTestId('lag').textContent()).toMatch(/^\d+ s$/);

    await delivered.first().getByRole('button', { name: 'Payload' }).click();
    expect(await page.locator('#payload-title + pre').textContent()).toMatch(/"objectType": "incidents"/);
    await shot('events');

    const before = hooks.received.length;
    await delivered.first().getByRole('button', { name: 'Redeliver' }).click();
    await expect
      .poll(() => page.getByRole('status').allTextContents(), POLL)
      .toContainEqual(expect.stringMatching(/queued again/));
    await expect.poll(() => hooks.received.length, { ...POLL, timeout: 20_000 }).toBeGreaterThan(before);
    await delivered.first().waitFor({ timeout: 20_000 });
  }, 60_000);

  it('runs a bulk download to COMPLETED with the progress bar moving, and fetches the file', async () => {
    await page.getByRole('link', { name: 'Bulk' }).click();
    await page.getByRole('heading', { name: 'Start a download' }).waitFor();
    const form = page.locator('section[aria-labelledby="download-title"]');
    await expect
      .poll(() => form.getByLabel('Object', { exact: true }).locator('option').allTextContents(), POLL)
      .toContain('incidents');
    await form.getByLabel('Object', { exact: true }).selectOption('incidents');
    await form.getByLabel('Format', { exact: true }).selectOption('application/json');
    // Each page of the table takes a while, so the job is seen between its start and its end.
    sim.faults.rate({ kind: 'latency', ms: 500 }, 1, {
      match: (request) => request.method === 'GET' && request.path.startsWith('/api/now/table/incident'),
    });
    await form.getByRole('button', { name: 'Start the download' }).click();

    const job = row('tr[data-job]').first();
    await job.waitFor();
    const seen = new Set<number>();
    for (let i = 0; i < 450; i += 1) {
      // Status first: a COMPLETED row's bar, read after it, is at least as new as that status.
      const status = await job.getAttribute('data-status');
      seen.add(Number(await job.locator('progress').getAttribute('value')));
      if (status === 'COMPLETED') break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    sim.faults.clear();
    expect(await job.getAttribute('data-status')).toBe('COMPLETED');
    expect(seen.has(100)).toBe(true);
    // At least one value strictly between start and end: the bar moved while the job ran.
    expect([...seen].some((value) => value > 0 && value < 100)).toBe(true);
    expect(Number(await job.getByTestId('records').textContent())).toBeGreaterThanOrEqual(INCIDENTS);
    await shot('bulk');

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      job.getByRole('button', { name: 'JSON array' }).click(),
    ]);
    // The job's own format (a JSON array), served as written.
    const records = JSON.parse(await readFile((await download.path()) as string, 'utf8')) as {
      number?: string;
    }[];
    expect(records).toHaveLength(Number(await job.getByTestId('records').textContent()));
    expect(records[0]).toHaveProperty('number');
    expect(download.suggestedFilename()).toMatch(/^incidents-.+\.json$/);
  }, 90_000);

  it('uploads a CSV with one bad row by drag and drop and shows that row in the error table', async () => {
    const csv = 'short_description,urgency\nfrom the console 1,1\nbad\nfrom the console 2,2\n';
    // A drop as the browser makes it: a DataTransfer holding the file, dispatched on the drop zone.
    const dataTransfer = await page.evaluateHandle((text) => {
      const { DataTransfer } = globalThis as unknown as PageGlobals;
      const transfer = new DataTransfer();
      transfer.items.add(new File([text], 'incidents.csv', { type: 'text/csv' }));
      return transfer;
    }, csv);
    const zone = page.getByTestId('drop-zone');
    await zone.dispatchEvent('dragover', { dataTransfer });
    await zone.dispatchEvent('drop', { dataTransfer });
    await expect.poll(() => zone.textContent(), POLL).toContain('Selected: incidents.csv');
    const form = page.locator('section[aria-labelledby="upload-title"]');
    await form.getByLabel('Object', { exact: true }).selectOption('incidents');
    await form.getByRole('button', { name: 'Upload' }).click();

    const job = row('tr[data-job]').first();
    await expect.poll(() => job.textContent(), { ...POLL, timeout: 20_000 }).toMatch(/upload/);
    await expect.poll(() => job.getAttribute('data-status'), { ...POLL, timeout: 20_000 }).toBe('COMPLETED');
    await job.getByRole('button', { name: 'Errors' }).click();
    const errors = page.locator('table[aria-label="Row errors"] tbody tr');
    await expect.poll(() => errors.count(), POLL).toBe(1);
    expect(await errors.first().textContent()).toMatch(/^2\s*Expected 2 columns, found 1/);
    await shot('bulk-upload-errors');
  }, 60_000);

  it("shows transformations with the API's validation messages", async () => {
    await page.getByRole('link', { name: 'Transformations' }).click();
    const definitions = page.locator('form[data-form="definition"]');
    await definitions.getByLabel('Object name', { exact: true }).fill('tickets');
    await definitions
      .getByLabel('The definition (JSON)', { exact: true })
      .fill('{"fields": [{"path": "id", "type": "nonsense"}]}');
    await definitions.getByRole('button', { name: 'Create' }).click();
    await expect.poll(() => definitions.getByRole('alert').textContent(), POLL).toMatch(/type|nonsense/i);

    await definitions
      .getByLabel('The definition (JSON)', { exact: true })
      .fill('{"fields": [{"path": "id", "type": "string"}, ');
    await definitions.getByRole('button', { name: 'Create' }).click();
    await expect
      .poll(() => definitions.getByRole('alert').textContent(), POLL)
      .toMatch(/The JSON is not valid/);

    await definitions
      .getByLabel('The definition (JSON)', { exact: true })
      .fill('{"fields": [{"path": "id", "type": "string"}, {"path": "title", "type": "string"}]}');
    await definitions.getByRole('button', { name: 'Create' }).click();
    await expect
      .poll(() => definitions.getByRole('status').textContent(), POLL)
      .toBe('Definition tickets saved');
    await page.locator('summary', { hasText: 'tickets' }).first().waitFor();

    const mappings = page.locator('form[data-form="transformation"]');
    await mappings.getByLabel('Object name', { exact: true }).fill('tickets');
    await mappings.getByRole('button', { name: 'Create' }).click();
    await expect
      .poll(() => mappings.getByRole('status').textContent(), POLL)
      .toBe('Transformation tickets saved');
    await shot('transformations');
  });

  it('renders the OpenAPI document with Swagger UI under the strict CSP, no script blocked', async () => {
    await page.getByRole('link', { name: 'API reference' }).click();
    const reference = page.getByTestId('api-reference');
    // Swagger UI is 1.5 MB of script: on a busy 2-core machine it takes a while to parse and render.
    await reference.locator('.opblock-tag').first().waitFor({ timeout: 60_000 });
    expect(await reference.locator('.opblock-tag').count()).toBeGreaterThanOrEqual(2);
    expect(await reference.textContent()).toContain('/elements/api-v2/elements');
    await shot('api-reference');
    const blocked = await violations();
    expect(blocked.filter((v) => v.startsWith('script-src'))).toEqual([]);
  }, 90_000);

  it('lists both instances with their state and last poll, and works at a phone width', async () => {
    await page.getByRole('link', { name: 'Instances' }).first().click();
    const basic = row('tr[data-instance]', { hasText: 'demo basic' });
    await expect.poll(() => basic.textContent(), POLL).toMatch(/valid.*enabled.*on\d/);
    expect(await basic.textContent()).not.toContain('—');
    await shot('instances-overview');

    await page.setViewportSize({ width: 390, height: 844 });
    await row('tr[data-instance]').first().waitFor();
    // Evaluated in the page (this file has no DOM types): how far the page is wider than the screen.
    const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
    expect(overflow).toBeLessThanOrEqual(0);
    await shot('instances-phone');
  });
});
