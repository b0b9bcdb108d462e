import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { contentDisposition, MAX_ATTACHMENT_BYTES } from '../../shared/hub/attachments';
import { HUB, type MetaHarness, startMetaHarness } from './meta-harness';

/** Attachments over real HTTP (local mode + simulator): multipart upload, list, metadata, download, delete. */
let h: MetaHarness;
beforeAll(async () => {
  h = await startMetaHarness();
});
afterAll(() => h?.close());
afterEach(() => h.sim.faults.clear());

interface Attachment {
  id: string;
  sys_id: string;
  file_name: string;
  content_type: string;
  size_bytes: string;
  table_name: string;
  table_sys_id: string;
}

const newIncident = () =>
  h.sim.db.insert('incident', { short_description: 'with files' }, { userName: 'admin' }).sys_id as string;

const form = (bytes: Uint8Array, fileName: string, type: string, field = 'file') => {
  const data = new FormData();
  data.append('note', 'ignored');
  data.append(field, new Blob([bytes], { type }), fileName);
  return data;
};

const upload = (path: string, bytes: Uint8Array, fileName = 'report.pdf', type = 'application/pdf') =>
  h.call('POST', path, { raw: form(bytes, fileName, type) });

describe('incident attachments', () => {
  it('uploads multipart (content type and name kept), lists, reads metadata and downloads the same bytes', async () => {
    const id = newIncident();
    const bytes = randomBytes(300_000);
    const res = await upload(`${HUB}/incidents/${id}/attachments`, bytes);
    expect(res.status, res.text).toBe(200);
    const created = res.json() as Attachment;
    expect(created).toMatchObject({
      file_name: 'report.pdf',
      content_type: 'application/pdf',
      size_bytes: String(bytes.length),
      table_name: 'incident',
      table_sys_id: id,
    });
    expect(created.id).toBe(created.sys_id);
    // ServiceNow got the raw file with its own Content-Type.
    expect(h.sim.requests.at(-1)).toMatchObject({ method: 'POST', path: '/api/now/attachment/file' });

    const listed = await h.call('GET', `${HUB}/incidents/${id}/attachments?returnTotalCount=true`);
    expect(listed.status, listed.text).toBe(200);
    expect((listed.json() as Attachment[]).map((a) => a.id)).toEqual([created.id]);
    expect(listed.headers.get('elements-returned-count')).toBe('1');
    expect(listed.headers.get('elements-total-count')).toBe('1');

    const meta = await h.call('GET', `/incidents/${id}/attachments/${created.id}`);
    expect(meta.status).toBe(200);
    expect(meta.json()).toMatchObject({ id: created.id, file_name: 'report.pdf' });

    const file = await h.call('GET', `${HUB}/incidents/${id}/attachments/${created.id}/file`);
    expect(file.status, file.text).toBe(200);
    expect(file.headers.get('content-type')).toBe('application/pdf');
    expect(file.headers.get('content-disposition')).toBe(
      `attachment; filename="report.pdf"; filename*=UTF-8''report.pdf`,
    );
    expect(file.headers.get('x-content-type-options')).toBe('nosniff');
    expect(file.bytes.equals(bytes)).toBe(true);
  });

  it('keeps non-ASCII names safely and text files byte for byte', async () => {
    const id = newIncident();
    const bytes = Buffer.from('héllo\r\n\u0000wörld', 'utf8');
    const res = await upload(`${HUB}/incidents/${id}/attachments`, bytes, 'résumé v2.txt', 'text/plain');
    expect(res.status, res.text).toBe(200);
    const created = res.json() as Attachment;
    expect(created.file_name).toBe('résumé v2.txt');
    const file = await h.call(
      'GET',
      `${HUB}/incidents/${created.table_sys_id}/attachments/${created.id}/file`,
    );
    expect(file.bytes.equals(bytes)).toBe(true);
    expect(file.headers.get('content-disposition')).toBe(
      `attachment; filename="r_sum_ v2.txt"; filename*=UTF-8''r%C3%A9sum%C3%A9%20v2.txt`,
    );
  });

  it('never lets a file name break out of Content-Disposition', () => {
    expect(contentDisposition('a"b\\c\r\nSet-Cookie: x.txt')).toBe(
      `attachment; filename="a_b_c__Set-Cookie: x.txt"; filename*=UTF-8''a%22b%5Cc%0D%0ASet-Cookie%3A%20x.txt`,
    );
  });

  it('filters with CEQL on attachment fields, pages, and never leaks another record through an OR', async () => {
    const id = newIncident();
    const other = newIncident();
    for (const [name, size] of [
      ['a.txt', 10],
      ['b.txt', 2000],
      ['c.csv', 30],
    ] as const) {
      h.sim.clock.advance(1000);
      expect(
        (await upload(`${HUB}/incidents/${id}/attachments`, randomBytes(size), name, 'text/plain')).status,
      ).toBe(200);
    }
    expect(
      (await upload(`${HUB}/incidents/${other}/attachments`, randomBytes(5), 'x.txt', 'text/plain')).status,
    ).toBe(200);
    const names = async (qs: string) => {
      const res = await h.call('GET', `${HUB}/incidents/${id}/attachments?${qs}`);
      expect(res.status, res.text).toBe(200);
      return (res.json() as Attachment[]).map((a) => a.file_name);
    };
    expect(await names('')).toEqual(['c.csv', 'b.txt', 'a.txt']);
    expect(await names(`where=${encodeURIComponent("file_name like '%.txt'")}&orderBy=file_name`)).toEqual([
      'a.txt',
      'b.txt',
    ]);
    expect(await names(`where=${encodeURIComponent('size_bytes > 20')}&orderBy=size_bytes desc`)).toEqual([
      'b.txt',
      'c.csv',
    ]);
    expect(await names(`where=${encodeURIComponent("file_name = 'a.txt' or file_name = 'x.txt'")}`)).toEqual([
      'a.txt',
    ]);
    expect(await names('pageSize=2&page=2')).toEqual(['a.txt']);
    const first = await h.call('GET', `${HUB}/incidents/${id}/attachments?pageSize=2`);
    const token = first.headers.get('elements-next-page-token');
    expect(token).toEqual(expect.any(String));
    expect(await names(`pageSize=2&nextPage=${token}`)).toEqual(['a.txt']);
    // The token is bound to the query it was issued for.
    const foreign = await h.call(
      'GET',
      `${HUB}/incidents/${id}/attachments?pageSize=2&orderBy=file_name&nextPage=${token}`,
    );
    expect(foreign.status).toBe(400);
    const unknown = await h.call(
      'GET',
      `${HUB}/incidents/${id}/attachments?where=${encodeURIComponent("nope = 'x'")}`,
    );
    expect(unknown.status).toBe(400);
  });

  it('answers 404 for an attachment of another record, a missing record and a missing attachment', async () => {
    const id = newIncident();
    const other = newIncident();
    const created = (
      await upload(`${HUB}/incidents/${id}/attachments`, randomBytes(10))
    ).json() as Attachment;
    for (const path of [
      `/incidents/${other}/attachments/${created.id}`,
      `/incidents/${other}/attachments/${created.id}/file`,
      `/problems/${id}/attachments/${created.id}`,
      `/incidents/${id}/attachments/0123456789abcdef0123456789abcdef`,
      `/incidents/0123456789abcdef0123456789abcdef/attachments`,
      `/incidents/${id}/attachments/bad%5Eid`,
    ]) {
      const res = await h.call('GET', `${HUB}${path}`);
      expect(res.status, path).toBe(404);
    }
    expect((await h.call('DELETE', `${HUB}/incidents/${other}/attachments/${created.id}`)).status).toBe(404);
    const missingTarget = await upload(
      `${HUB}/incidents/0123456789abcdef0123456789abcdef/attachments`,
      randomBytes(3),
    );
    expect(missingTarget.status).toBe(404);
    // Still there after the refused delete.
    expect((await h.call('GET', `${HUB}/incidents/${id}/attachments/${created.id}`)).status).toBe(200);
  });

  it('deletes an attachment (200) after which it is gone', async () => {
    const id = newIncident();
    const created = (
      await upload(`${HUB}/incidents/${id}/attachments`, randomBytes(10))
    ).json() as Attachment;
    const deleted = await h.call('DELETE', `${HUB}/incidents/${id}/attachments/${created.id}`);
    expect(deleted.status, deleted.text).toBe(200);
    expect((await h.call('GET', `${HUB}/incidents/${id}/attachments/${created.id}`)).status).toBe(404);
    expect((await h.call('GET', `${HUB}/incidents/${id}/attachments`)).json()).toEqual([]);
  });

  it('refuses uploads without a file part (400), as JSON (415), and above the limit (413)', async () => {
    const id = newIncident();
    const path = `${HUB}/incidents/${id}/attachments`;
    const noFile = await h.call('POST', path, {
      raw: form(randomBytes(5), 'a.bin', 'application/octet-stream', 'other'),
    });
    expect(noFile.status, noFile.text).toBe(400);
    expect((await h.call('POST', path, { body: { file: 'x' } })).status).toBe(415);
    const before = h.sim.requests.length;
    const big = await upload(path, randomBytes(MAX_ATTACHMENT_BYTES + 1));
    expect(big.status, big.text).toBe(413);
    expect((big.json() as { message: string }).message).toMatch(/attach larger files in ServiceNow directly/);
    expect(h.sim.requests.slice(before).filter((r) => r.method === 'POST')).toEqual([]);
    expect((await upload(path, randomBytes(MAX_ATTACHMENT_BYTES))).status).toBe(200);
  });

  it('refuses downloads above the limit with 413 before reading the bytes', async () => {
    const id = newIncident();
    const created = (
      await upload(`${HUB}/incidents/${id}/attachments`, randomBytes(10))
    ).json() as Attachment;
    // An attachment added to ServiceNow by other means (no upload limit there: 1 GB by default, C.1).
    h.sim.db.update(
      'sys_attachment',
      created.id,
      { size_bytes: String(MAX_ATTACHMENT_BYTES + 1) },
      { userName: 'admin' },
    );
    const before = h.sim.requests.length;
    const res = await h.call('GET', `${HUB}/incidents/${id}/attachments/${created.id}/file`);
    expect(res.status).toBe(413);
    expect(h.sim.requests.slice(before).filter((r) => r.path.endsWith('/file'))).toEqual([]);
  });
});
