/**
 * Local mode's presigned blob URLs, end to end through `runLocalMode` (the product as `npm start` runs it):
 * a bulk download answers 302 to a URL the local server streams, a presigned upload lands through PUT and
 * starts its job, and the URLs refuse tampering, expiry and a content type other than the signed one.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createLocalBlobUrls } from '../../shared/adapters/local/blob-urls';
import { startedForSuite } from '../helpers/lifecycle';
import { startLocalMode } from '../helpers/local-mode';

const USER = 'u'.repeat(40);
const ORG = 'o'.repeat(40);

describe('presigned blob URLs in local mode', () => {
  const local = startedForSuite(() =>
    startLocalMode('blob-urls', { secrets: { organization: ORG, user: USER }, logLevel: 'ERROR' }),
  );
  let hubAuth: string;

  const hub = (
    method: string,
    path: string,
    init: { json?: unknown; headers?: Record<string, string> } = {},
  ) =>
    fetch(`${local.api.url}${path}`, {
      method,
      redirect: 'manual',
      headers: {
        Authorization: hubAuth,
        ...(init.json === undefined ? {} : { 'Content-Type': 'application/json' }),
        ...init.headers,
      },
      ...(init.json === undefined ? {} : { body: JSON.stringify(init.json) }),
    });

  const settle = async (id: string): Promise<{ status: string; recordsCount: number }> => {
    for (let attempt = 0; attempt < 200; attempt++) {
      const status = (await (await hub('GET', `/bulk/${id}/status`)).json()) as {
        status: string;
        recordsCount: number;
      };
      if (['COMPLETED', 'ERROR', 'ABORTED', 'CANCELLED'].includes(status.status)) return status;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error(`job ${id} did not finish`);
  };

  beforeAll(async () => {
    const created = await fetch(`${local.api.url}/instances`, {
      method: 'POST',
      headers: { Authorization: `User ${USER}, Organization ${ORG}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({
        element: { key: 'servicenow' },
        name: 'demo',
        configuration: { username: 'admin', password: 'admin', 'servicenow.subdomain': local.simulator?.url },
      }),
    });
    expect(created.status).toBe(200);
    hubAuth = `User ${USER}, Element ${((await created.json()) as { token: string }).token}`;
  });

  it('redirects a finished download to a URL that streams the file, and refuses a tampered one', async () => {
    const created = await hub('POST', '/bulk/download', {
      json: { objectName: 'incidents', format: 'text/csv', selectFields: ['number', 'priority'] },
    });
    const { id } = (await created.json()) as { id: string };
    const done = await settle(id);
    expect(done.status).toBe('COMPLETED');

    const redirect = await hub('GET', `/bulk/${id}/incidents`, { headers: { Accept: 'text/csv' } });
    expect(redirect.status).toBe(302);
    const location = redirect.headers.get('location') ?? '';
    expect(location.startsWith(`${local.api.origin}/local-blobs/jobs/${id}/`)).toBe(true);
    const file = await fetch(location);
    expect(file.status).toBe(200);
    expect(file.headers.get('content-type')).toBe('text/csv');
    const lines = (await file.text()).trim().split('\n');
    expect(lines[0]).toBe('number,priority');
    expect(lines).toHaveLength(done.recordsCount + 1);

    const url = new URL(location);
    const signature = url.searchParams.get('signature') ?? '';
    for (const bad of [
      `${signature}00`,
      `${signature.slice(0, -1)}${signature.endsWith('0') ? '1' : '0'}`,
      signature.slice(0, 32),
    ]) {
      url.searchParams.set('signature', bad);
      expect((await fetch(url)).status).toBe(403);
    }
    // A GET URL does not authorise a PUT to the same key.
    expect((await fetch(location, { method: 'PUT', body: 'x' })).status).toBe(403);
  });

  it('takes a presigned upload with the signed content type only, and the landed file starts the job', async () => {
    const answer = await hub('POST', '/bulk/incidents/uploads', { json: { format: 'text/csv' } });
    expect(answer.status).toBe(200);
    const upload = (await answer.json()) as { id: string; uploadUrl: string; method: string };
    expect(upload.method).toBe('PUT');
    const csv = 'short_description,priority\nvia presigned one,2\nvia presigned two,3\n';

    const wrongType = await fetch(upload.uploadUrl, {
      method: 'PUT',
      headers: { 'Content-Type': 'text/plain' },
      body: csv,
    });
    expect(wrongType.status).toBe(403);
    expect(
      (await (await hub('GET', `/bulk/${upload.id}/status`)).json()) as { status: string },
    ).toMatchObject({
      status: 'CREATED',
    });

    const put = await fetch(upload.uploadUrl, {
      method: 'PUT',
      headers: { 'Content-Type': 'text/csv' },
      body: csv,
    });
    expect(put.status).toBe(200);
    expect(await settle(upload.id)).toMatchObject({ status: 'COMPLETED', recordsCount: 2 });
    const listed = await hub(
      'GET',
      `/hubs/helpdesk/incidents?where=${encodeURIComponent("short_description like 'via presigned%'")}`,
    );
    const written = ((await listed.json()) as { short_description: string }[])
      .map((row) => row.short_description)
      .sort();
    expect(written).toEqual(['via presigned one', 'via presigned two']);
  });
});

describe('local blob URL signatures', () => {
  const secret = Buffer.alloc(32, 7);
  let now = 1_000_000_000_000;
  const urls = createLocalBlobUrls({ origin: () => 'http://127.0.0.1:1', secret, now: () => now });
  const parts = (url: string) => {
    const parsed = new URL(url);
    return [parsed.pathname, parsed.searchParams] as const;
  };

  it('verifies until the expiry, then refuses', () => {
    const [path, query] = parts(urls.sign('GET', 'jobs/a b/ünï.csv', 60));
    expect(urls.verify('GET', path, query)).toBe('jobs/a b/ünï.csv');
    now += 61_000;
    expect(urls.verify('GET', path, query)).toBeUndefined();
  });

  it('binds the method, the key and the PUT content type', () => {
    const [path, query] = parts(urls.sign('PUT', 'incoming/1/job', 60, 'text/csv'));
    expect(urls.verify('PUT', path, query, 'text/csv')).toBe('incoming/1/job');
    expect(urls.verify('PUT', path, query, 'application/json')).toBeUndefined();
    expect(urls.verify('GET', path, query)).toBeUndefined();
    expect(urls.verify('PUT', path.replace('/job', '/other'), query, 'text/csv')).toBeUndefined();
    expect(urls.verify('PUT', '/local-blobs/../etc/passwd', query, 'text/csv')).toBeUndefined();
  });
});
