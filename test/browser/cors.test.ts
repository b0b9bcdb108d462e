import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BulkHarness, startBulkHarness } from '../bulk/harness';
import { ALICE, ORG } from '../instances/harness';
import { launchChromium } from './chromium';

/** A page server on its own port: another origin than the API's. */
const startPageServer = async (): Promise<{ server: Server; origin: string }> => {
  const server = createServer((_request, response) => {
    response.writeHead(200, { 'Content-Type': 'text/html' });
    response.end('<!doctype html><title>client</title><p>CE client</p>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
};

let allowedPage: { server: Server; origin: string };
let otherPage: { server: Server; origin: string };
let h: BulkHarness;
let browser: Browser;

beforeAll(async () => {
  allowedPage = await startPageServer();
  otherPage = await startPageServer();
  h = await startBulkHarness({
    simulator: { seed: 3, data: { incidents: 30, problems: 0, users: 3, groups: 1, companies: 1 } },
    env: { ELEMENT_CORS_ORIGINS: allowedPage.origin },
  });
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await h?.close();
  allowedPage?.server.close();
  otherPage?.server.close();
});

const pageAt = async (origin: string): Promise<Page> => {
  const page = await browser.newPage();
  await page.goto(`${origin}/`);
  return page;
};

describe('the API called from a browser page on another origin', () => {
  it('lists with the Elements-* headers readable, writes after a preflight, reads JSON errors', async () => {
    const page = await pageAt(allowedPage.origin);
    const result = await page.evaluate(
      async ({ api, hub, platform }) => {
        const list = await fetch(`${api}/hubs/helpdesk/incidents?pageSize=5`, {
          headers: { Authorization: hub },
        });
        const rows = (await list.json()) as unknown[];
        // A JSON body and an Authorization header: the browser sends a preflight first.
        const created = await fetch(`${api}/hubs/helpdesk/incidents`, {
          method: 'POST',
          headers: { Authorization: hub, 'Content-Type': 'application/json' },
          body: JSON.stringify({ short_description: 'from the browser' }),
        });
        const record = (await created.json()) as { id?: string };
        const patched = await fetch(`${api}/hubs/helpdesk/incidents/${record.id}`, {
          method: 'PATCH',
          headers: { Authorization: hub, 'Content-Type': 'application/json' },
          body: JSON.stringify({ state: '2' }),
        });
        const missing = await fetch(`${api}/hubs/helpdesk/incidents/0000000000000000000000000000dead`, {
          headers: { Authorization: hub },
        });
        const instances = await fetch(`${api}/instances`, { headers: { Authorization: platform } });
        return {
          listStatus: list.status,
          rows: rows.length,
          returned: list.headers.get('Elements-Returned-Count'),
          nextPage: list.headers.get('Elements-Next-Page-Token'),
          requestId: list.headers.get('Elements-Request-Id'),
          createdStatus: created.status,
          createdId: record.id,
          patchedStatus: patched.status,
          missingStatus: missing.status,
          missingBody: (await missing.json()) as { requestId?: string; message?: string },
          instancesStatus: instances.status,
        };
      },
      {
        api: h.url,
        hub: `User ${ALICE}, Element ${h.token}`,
        platform: `User ${ALICE}, Organization ${ORG}`,
      },
    );
    expect(result).toMatchObject({
      listStatus: 200,
      rows: 5,
      returned: '5',
      createdStatus: 200,
      patchedStatus: 200,
      missingStatus: 404,
      instancesStatus: 200,
    });
    expect(result.nextPage).toBeTruthy();
    expect(result.requestId).toBeTruthy();
    expect(result.createdId).toMatch(/^[0-9a-f]{32}$/);
    expect(result.missingBody.requestId).toBeTruthy();
    await page.close();
  });

  it('runs a bulk download and fetches its file as CSV and as JSON', async () => {
    const page = await pageAt(allowedPage.origin);
    const created = await page.evaluate(
      async ({ api, hub }) => {
        const res = await fetch(`${api}/bulk/query?q=${encodeURIComponent('select * from incidents')}`, {
          method: 'POST',
          headers: { Authorization: hub },
        });
        return (await res.json()) as { id: string };
      },
      { api: h.url, hub: `User ${ALICE}, Element ${h.token}` },
    );
    await h.settle(created.id);
    const fetchFile = (accept: string) =>
      page.evaluate(
        async ({ api, hub, id, accept }) => {
          const res = await fetch(`${api}/bulk/${id}/incidents`, {
            headers: { Authorization: hub, Accept: accept },
          });
          return { status: res.status, retryAfter: res.headers.get('Retry-After'), text: await res.text() };
        },
        { api: h.url, hub: `User ${ALICE}, Element ${h.token}`, id: created.id, accept },
      );
    const { recordsCount } = await h.settle(created.id);
    expect(recordsCount).toBeGreaterThanOrEqual(30);
    const json = await fetchFile('application/json');
    expect(json.status).toBe(200);
    expect(json.text.trim().split('\n')).toHaveLength(recordsCount);
    const converting = await fetchFile('text/csv');
    expect(converting.status).toBe(202);
    expect(converting.retryAfter).toBeTruthy();
    await h.queue.drain();
    const csv = await fetchFile('text/csv');
    expect(csv.status).toBe(200);
    expect(csv.text.trim().split('\n')).toHaveLength(recordsCount + 1);
    await page.close();
  });

  it('is refused by the browser for an origin not listed', async () => {
    const page = await pageAt(otherPage.origin);
    const outcome = await page.evaluate(
      async ({ api, hub }) => {
        try {
          await fetch(`${api}/hubs/helpdesk/incidents`, { headers: { Authorization: hub } });
          return 'read';
        } catch (error) {
          return (error as Error).name;
        }
      },
      { api: h.url, hub: `User ${ALICE}, Element ${h.token}` },
    );
    expect(outcome).toBe('TypeError');
    await page.close();
  });
});
