import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_SERVICENOW_URL_BYTES } from '../../shared/input';
import { type BulkHarness, startBulkHarness } from '../bulk/harness';

/**
 * ServiceNow echoes the request's query in up to four URLs of its `Link` header: a long `where` used to
 * overflow the response headers the client reads (a 502 "Could not reach ServiceNow"). Queries that fit
 * MAX_SERVICENOW_URL_BYTES now work; longer ones are a 400 saying why, before anything is created.
 */
const orOfNumbers = (count: number) =>
  Array.from({ length: count }, (_, i) => `number = 'INC${String(i).padStart(7, '0')}'`).join(' OR ');
/** `!` is percent-encoded (3 bytes a character): a where within the 8192-character bulk limit, too long as a URL. */
const orOfBangs = (count: number) =>
  Array.from({ length: count }, () => `short_description = '!!!!!!!!'`).join(' OR ');

describe('queries longer than ServiceNow takes', () => {
  let h: BulkHarness;
  beforeAll(async () => {
    h = await startBulkHarness();
    for (let i = 0; i < 3; i++) {
      h.sim.db.insert('incident', { short_description: `row ${i}` }, { userName: 'admin' });
    }
  });
  afterAll(() => h?.close());

  const list = (path: string, where: string, paging: Record<string, string> = { pageSize: '5' }) =>
    h.call('GET', `${path}?${new URLSearchParams({ where, ...paging })}`);

  it('lists with a where of 310 clauses, just under the limit', async () => {
    const res = await list(
      '/hubs/helpdesk/incidents',
      `${orOfNumbers(300)} OR short_description LIKE 'row%'`,
    );
    expect(res.status, res.text).toBe(200);
    expect(res.json<unknown[]>()).toHaveLength(3);
  });

  it('answers 400 naming the limit for a where of 450 clauses, on hub lists and attachment lists', async () => {
    const requestsBefore = h.sim.requests.length;
    for (const path of ['/hubs/helpdesk/incidents', '/incidents', '/problems']) {
      const res = await list(path, orOfNumbers(450));
      expect(res.status, res.text).toBe(400);
      const { message } = res.json<{ message: string }>();
      expect(message).toContain('too long for ServiceNow');
      expect(message).toContain(String(MAX_SERVICENOW_URL_BYTES));
    }
    const id = h.sim.db.insert('incident', { short_description: 'files' }, { userName: 'admin' }).sys_id;
    const attachments = await list(
      `/incidents/${id}/attachments`,
      orOfBangs(240).replaceAll('short_description', 'file_name'),
    );
    expect(attachments.status, attachments.text).toBe(400);
    // Nothing too long was sent (metadata reads are fine).
    const sent = h.sim.requests.slice(requestsBefore);
    expect(sent.every((entry) => (entry.query.sysparm_query ?? '').length < MAX_SERVICENOW_URL_BYTES)).toBe(
      true,
    );
  });

  it('refuses a bulk download or bulk query whose pages would not fit, creating no job', async () => {
    const jobsBefore = (await h.call('GET', '/bulk/jobs')).json<unknown[]>().length;
    const where = orOfBangs(240);
    expect(where.length).toBeLessThan(8192);
    const download = await h.call('POST', '/bulk/download', {
      json: { objectName: 'incidents', format: 'text/csv', where },
    });
    expect(download.status, download.text).toBe(400);
    expect(download.text).toContain('too long for ServiceNow');
    const query = await h.call(
      'POST',
      `/bulk/query?${new URLSearchParams({ q: `select * from incidents where ${where}` })}`,
    );
    expect(query.status, query.text).toBe(400);
    expect(query.text).toContain('too long for ServiceNow');
    expect((await h.call('GET', '/bulk/jobs')).json<unknown[]>()).toHaveLength(jobsBefore);

    const fits = await h.call('POST', '/bulk/download', {
      json: { objectName: 'incidents', format: 'text/csv', where: orOfNumbers(200) },
    });
    expect(fits.status, fits.text).toBe(200);
    const status = await h.settle(fits.json<{ id: string }>().id);
    expect(status.status, status.statusMessage).toBe('COMPLETED');
  });
});
