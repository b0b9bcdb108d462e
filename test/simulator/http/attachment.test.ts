import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SimulatorHandle, startSimulator } from '../index';
import { ADMIN_BASIC, api, createIncidents, type ListBody, type OneBody } from './helpers';

describe('simulator Attachment API', () => {
  let sim: SimulatorHandle;
  let incidentId: string;

  beforeAll(async () => {
    sim = await startSimulator({ data: false });
    [incidentId = ''] = await createIncidents(sim, 1);
  });
  afterAll(() => sim.close());

  it('stores a raw body from POST /file, lists it, serves metadata and bytes, and deletes it', async () => {
    const bytes = Buffer.from([0, 1, 2, 250, 251, 252]);
    const created = await api<OneBody>(
      sim,
      `/api/now/attachment/file?table_name=incident&table_sys_id=${incidentId}&file_name=blob.bin`,
      { method: 'POST', body: bytes, headers: { 'content-type': 'application/octet-stream' } },
    );
    expect(created.status).toBe(201);
    const id = String(created.body.result.sys_id);
    expect(created.headers.get('location')).toBe(`${sim.url}/api/now/attachment/${id}`);
    expect(created.body.result).toMatchObject({
      file_name: 'blob.bin',
      content_type: 'application/octet-stream',
      size_bytes: '6',
      table_name: 'incident',
      table_sys_id: incidentId,
      download_link: `${sim.url}/api/now/attachment/${id}/file`,
    });

    const listed = await api<ListBody>(
      sim,
      `/api/now/attachment?sysparm_query=table_name%3Dincident%5Etable_sys_id%3D${incidentId}`,
    );
    expect(listed.body.result.map((r) => r.sys_id)).toEqual([id]);
    expect(listed.headers.get('x-total-count')).toBe('1');

    const meta = await api<OneBody>(sim, `/api/now/attachment/${id}`);
    expect(meta.body.result.file_name).toBe('blob.bin');

    const file = await fetch(`${sim.url}/api/now/attachment/${id}/file`, {
      headers: { authorization: ADMIN_BASIC },
    });
    expect(file.status).toBe(200);
    expect(file.headers.get('content-type')).toBe('application/octet-stream');
    expect(JSON.parse(file.headers.get('x-attachment-metadata') ?? '{}')).toMatchObject({ sys_id: id });
    expect(Buffer.from(await file.arrayBuffer())).toEqual(bytes);

    const renamed = await api(sim, `/api/now/attachment/${id}`, {
      method: 'PATCH',
      body: { file_name: 'renamed.bin' },
    });
    expect(renamed.status).toBe(204);
    expect((await api<OneBody>(sim, `/api/now/attachment/${id}`)).body.result.file_name).toBe('renamed.bin');

    expect((await api(sim, `/api/now/attachment/${id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await api(sim, `/api/now/attachment/${id}`)).status).toBe(404);
    expect((await api(sim, `/api/now/attachment/${id}`, { method: 'DELETE' })).status).toBe(404);
  });

  it('accepts a multipart upload with the fields before the file part', async () => {
    const form = new FormData();
    form.append('table_name', 'incident');
    form.append('table_sys_id', incidentId);
    form.append('uploadFile', new Blob(['hello, world'], { type: 'text/plain' }), 'hello.txt');
    const res = await fetch(`${sim.url}/api/now/attachment/upload`, {
      method: 'POST',
      headers: { authorization: ADMIN_BASIC, accept: 'application/json' },
      body: form,
    });
    expect(res.status).toBe(201);
    const body = (await res.json()) as OneBody;
    expect(body.result).toMatchObject({
      file_name: 'hello.txt',
      content_type: 'text/plain',
      size_bytes: '12',
    });
    const file = await fetch(`${sim.url}/api/now/attachment/${String(body.result.sys_id)}/file`, {
      headers: { authorization: ADMIN_BASIC },
    });
    expect(await file.text()).toBe('hello, world');
  });

  it('rejects a multipart upload without a file part', async () => {
    const form = new FormData();
    form.append('table_name', 'incident');
    form.append('table_sys_id', incidentId);
    const res = await fetch(`${sim.url}/api/now/attachment/upload`, {
      method: 'POST',
      headers: { authorization: ADMIN_BASIC },
      body: form,
    });
    expect(res.status).toBe(400);
  });

  it('answers 400 for missing parameters and 404 for a missing target record', async () => {
    const missing = await api(
      sim,
      `/api/now/attachment/file?table_name=incident&table_sys_id=${incidentId}`,
      {
        method: 'POST',
        body: 'x',
        headers: { 'content-type': 'text/plain' },
      },
    );
    expect(missing.status).toBe(400);
    expect((missing.body as { status: string }).status).toBe('failure');
    const noTarget = await api(
      sim,
      '/api/now/attachment/file?table_name=incident&table_sys_id=0123456789abcdef0123456789abcdef&file_name=a.txt',
      { method: 'POST', body: 'x', headers: { 'content-type': 'text/plain' } },
    );
    expect(noTarget.status).toBe(404);
  });
});
