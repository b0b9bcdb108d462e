import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler as bulkHandler } from '../../functions/bulk/handler';
import { handler as hubHandler } from '../../functions/hub/handler';
import { isElementError } from '../../shared/errors';
import { parseMultipartFields, parseMultipartFile } from '../../shared/hub/attachments';
import { makeTempDir } from '../adapters/temp-dir';
import { type BulkHarness, startBulkHarness, uploadForm } from '../bulk/harness';
import { httpEvent, lambdaContext } from '../functions/factories';
import { startLocalProcess } from '../helpers/local-process';
import { ALICE, aliceAuth, basicBody, hubAuth, ORG } from '../instances/harness';
import { startSimulator } from '../simulator';

/**
 * Truncated and malformed multipart bodies: busboy reports a cut-off file part on the file stream as
 * well as on the parser, and an unhandled stream `error` ends the whole process (every request in
 * flight with it). Each must be a 400 that changes nothing.
 */
const BOUNDARY = 'XYZ';
const CONTENT_TYPE = `multipart/form-data; boundary=${BOUNDARY}`;
/** The body of the report: the file part starts and the body ends inside it. */
const truncatedFile = Buffer.from(
  `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\nabc`,
);
const malformedBodies: Record<string, Buffer> = {
  'cut inside the file part': truncatedFile,
  'cut inside a skipped file part': Buffer.from(
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="other"; filename="b.bin"\r\n\r\nxyz`,
  ),
  'cut inside the part headers': Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-da`),
  'no closing boundary after a field': Buffer.from(
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="metaData"\r\n\r\n{}`,
  ),
};

const rejection = async (promise: Promise<unknown>) => {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
};

describe('multipart parser on malformed bodies', () => {
  for (const [name, body] of Object.entries(malformedBodies)) {
    it(`answers 400 for a body ${name} (file parser and fields-only parser)`, async () => {
      for (const error of [
        await rejection(parseMultipartFile(body, CONTENT_TYPE)),
        await rejection(parseMultipartFields(body, CONTENT_TYPE)),
      ]) {
        expect(isElementError(error) && error.status).toBe(400);
        expect((error as Error).message).toMatch(/multipart/);
      }
    });
  }
});

describe('truncated multipart requests over HTTP', () => {
  let h: BulkHarness;
  let incidentId: string;
  beforeAll(async () => {
    h = await startBulkHarness();
    incidentId = h.sim.db.insert('incident', { short_description: 'target' }, { userName: 'admin' })
      .sys_id as string;
  });
  afterAll(() => h?.close());

  const send = (path: string, body: Buffer = truncatedFile) =>
    h.call('POST', path, { raw: body.toString('latin1'), headers: { 'Content-Type': CONTENT_TYPE } });

  const stored = async () => ({
    jobs: (await h.call('GET', '/bulk/jobs')).json<unknown[]>().length,
    blobs: (await h.deps.blobStore!.list('')).items.length,
    attachments: h.sim.db.size('sys_attachment'),
    incidents: h.sim.db.size('incident'),
  });

  it('answers 400 on every multipart route, creates nothing, and the server keeps serving', async () => {
    const before = await stored();
    for (const path of [
      '/bulk/incidents',
      '/hubs/helpdesk/bulk/incidents',
      '/bulk/query?q=select%20*%20from%20incidents',
      `/incidents/${incidentId}/attachments`,
      `/hubs/helpdesk/incidents/${incidentId}/attachments`,
    ]) {
      for (const body of Object.values(malformedBodies)) {
        const res = await send(path, body);
        expect(res.status, `${path}: ${res.text}`).toBe(400);
        expect(res.json<{ message: string }>().message).toMatch(/multipart/i);
      }
    }
    expect(await stored()).toEqual(before);
    const ping = await h.call('GET', '/ping');
    expect(ping.status).toBe(200);
  });

  it('answers 400 at the Lambda handlers, for the body API Gateway delivers (base64)', async () => {
    const authorizer = { outcome: 'allow', kind: 'hub', userId: 'alice', instanceId: String(h.instanceId) };
    const calls = [
      bulkHandler(
        httpEvent({
          method: 'POST',
          path: '/bulk/incidents',
          routePath: '/bulk/{id}',
          pathParameters: { id: 'incidents' },
          body: truncatedFile,
          contentType: CONTENT_TYPE,
          authorizer,
        }),
        lambdaContext(),
      ),
      hubHandler(
        httpEvent({
          method: 'POST',
          path: `/incidents/${incidentId}/attachments`,
          routePath: '/{objectName}/{id}/attachments',
          pathParameters: { objectName: 'incidents', id: incidentId },
          body: truncatedFile,
          contentType: CONTENT_TYPE,
          authorizer,
        }),
        lambdaContext(),
      ),
    ];
    for (const result of await Promise.all(calls)) {
      expect(result.statusCode, result.body).toBe(400);
      expect(JSON.parse(result.body ?? '{}').message).toMatch(/multipart/);
    }
  });

  it('leaves a request in flight alongside a bad one unaffected', async () => {
    const good = h.call('POST', '/bulk/incidents', {
      form: uploadForm('short_description\nfrom the good request\n'),
    });
    const bad = Promise.all(Array.from({ length: 5 }, () => send('/bulk/incidents')));
    const [goodRes, badRes] = await Promise.all([good, bad]);
    expect(badRes.map((res) => res.status)).toEqual([400, 400, 400, 400, 400]);
    expect(goodRes.status, goodRes.text).toBe(200);
    const status = await h.settle(goodRes.json<{ id: string }>().id);
    expect(status).toMatchObject({ status: 'COMPLETED', recordsCount: 1 });
  });
});

describe('the request of the report against `npm start`', () => {
  it('answers 400 and the process keeps running', async () => {
    const temp = await makeTempDir('hostile-process');
    const sim = await startSimulator({ data: false });
    const local = await startLocalProcess({
      ELEMENT_DATA_DIR: temp.dir,
      ELEMENT_ORGANIZATION_SECRET: ORG,
      ELEMENT_USER_SECRET: ALICE,
    });
    try {
      const created = await fetch(`${local.apiUrl}/instances`, {
        method: 'POST',
        headers: { Authorization: aliceAuth, 'Content-Type': 'application/json' },
        body: JSON.stringify(basicBody(sim)),
      });
      expect(created.status).toBe(200);
      const { token } = (await created.json()) as { token: string };
      for (const path of ['/bulk/incidents', '/bulk/query?q=select%20*%20from%20incidents']) {
        const res = await fetch(`${local.apiUrl}${path}`, {
          method: 'POST',
          headers: { Authorization: hubAuth(token), 'Content-Type': CONTENT_TYPE },
          body: truncatedFile,
        });
        expect(res.status, path).toBe(400);
      }
      const ping = await fetch(`${local.apiUrl}/ping`);
      expect(ping.status).toBe(200);
      expect(local.stderr()).not.toMatch(/Unexpected end of form/);
    } finally {
      local.child.kill('SIGTERM');
      await local.exit;
      await sim.close();
      await temp.cleanup();
    }
  });
});
