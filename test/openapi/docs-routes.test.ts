import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aliceAuth, basicBody, bobAuth, type Harness, hubAuth, startHarness } from '../instances/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.close());

interface Document {
  openapi: string;
  info: Record<string, unknown>;
  servers: { url: string; description?: string }[];
  paths: Record<string, Record<string, unknown>>;
}

const expectValid = async (document: Document) => {
  const result = await new Validator({ strict: false }).validate(structuredClone(document) as never);
  expect(result.valid, JSON.stringify(result.errors)).toBe(true);
};

describe('GET /elements/{keyOrId}/docs', () => {
  it('serves the OpenAPI 3.1 document of the element, by key or id, to platform callers', async () => {
    const res = await h.call('GET', '/elements/servicenow/docs', { auth: aliceAuth });
    expect(res.status, res.text).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.get('elements-request-id')).toMatch(/\S+/);
    const document = res.json() as Document;
    expect(document.openapi).toBe('3.1.0');
    expect(document.info).toMatchObject({ 'x-element-key': 'servicenow', 'x-element-hub': 'helpdesk' });
    // The origin the caller used; paths carry the base path.
    expect(document.servers[0]?.url).toBe(new URL(h.api).origin);
    expect(Object.keys(document.paths)).toContain('/elements/api-v2/hubs/helpdesk/{objectName}');
    await expectValid(document);
    const oauth = (await h.call('GET', '/elements/566/docs', { auth: aliceAuth })).json() as Document;
    expect(oauth.info['x-element-key']).toBe('servicenowoauth');
  });

  it('is refused without platform credentials and 404 for an unknown element', async () => {
    expect((await h.call('GET', '/elements/servicenow/docs')).status).toBe(401);
    const unknown = await h.call('GET', '/elements/salesforce/docs', { auth: aliceAuth });
    expect(unknown.status).toBe(404);
    expect(unknown.json()).toMatchObject({ requestId: expect.any(String), message: expect.any(String) });
  });
});

describe('GET /instances/{id}/docs', () => {
  let instance: { id: number; name: string; token: string };
  beforeAll(async () => {
    const res = await h.call('POST', '/instances', { auth: aliceAuth, body: basicBody(h.sim, {}) });
    expect(res.status, res.text).toBe(200);
    instance = res.json() as typeof instance;
  });

  it("names the owner's instance in info and servers, never its token", async () => {
    const res = await h.call('GET', `/instances/${instance.id}/docs`, { auth: aliceAuth });
    expect(res.status, res.text).toBe(200);
    const document = res.json() as Document;
    expect(document.info).toMatchObject({
      'x-element-key': 'servicenow',
      'x-element-instance-id': instance.id,
      'x-element-instance-name': instance.name,
    });
    expect(document.servers[0]?.description).toContain(String(instance.id));
    expect(res.text).not.toContain(instance.token);
    expect(res.text).not.toContain('admin'); // the instance's user name and password stay out
    await expectValid(document);
  });

  it("is a 404 for another user's instance and for a missing one, 401 with an element token", async () => {
    const other = await h.call('GET', `/instances/${instance.id}/docs`, { auth: bobAuth });
    expect(other.status).toBe(404);
    expect((await h.call('GET', '/instances/999999/docs', { auth: aliceAuth })).status).toBe(404);
    expect(
      (await h.call('GET', `/instances/${instance.id}/docs`, { auth: hubAuth(instance.token) })).status,
    ).toBe(401);
  });
});
