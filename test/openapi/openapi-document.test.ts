import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { API_BASE_PATH, HUB_PREFIX, ROUTES } from '../../functions/routes';
import { APP_VERSION } from '../../shared/config/version';
import { ELEMENTS } from '../../shared/elements';
import { instanceBodySchema } from '../../shared/instances';
import {
  buildOpenApiDocument,
  ERROR_STATUSES,
  instanceDocument,
  type OpenApiDocument,
  type OperationObject,
  SECURITY_SCHEMES,
} from '../../shared/openapi';

const documentOf = (key: string): OpenApiDocument => {
  const element = ELEMENTS.find((candidate) => candidate.key === key);
  if (!element) throw new Error(key);
  return buildOpenApiDocument({
    routes: ROUTES,
    basePath: API_BASE_PATH,
    hubPrefix: HUB_PREFIX,
    element,
    version: APP_VERSION,
  });
};

const basic = documentOf('servicenow');

const validate = async (document: unknown) =>
  new Validator({ strict: false }).validate(structuredClone(document) as Record<string, unknown>);

const operationOf = (document: OpenApiDocument, method: string, path: string): OperationObject | undefined =>
  document.paths[`${API_BASE_PATH}${path}`]?.[method.toLowerCase() as 'get'];

const resolve = (document: OpenApiDocument, ref: unknown): Record<string, unknown> => {
  const pointer = (ref as { $ref?: string }).$ref;
  if (pointer === undefined) return ref as Record<string, unknown>;
  return pointer
    .replace(/^#\//, '')
    .split('/')
    .reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], document) as Record<
    string,
    unknown
  >;
};

describe('OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document for both elements and for an instance', async () => {
    for (const element of ELEMENTS) {
      const document = documentOf(element.key);
      expect(document.openapi).toBe('3.1.0');
      const result = await validate(document);
      expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
      expect(result.valid).toBe(true);
    }
    const result = await validate(
      instanceDocument(basic, { id: 7, name: 'Prod' }, 'https://api.example.com'),
    );
    expect(result.valid, JSON.stringify(result.errors)).toBe(true);
  });

  it('the validator can fail: a path parameter "in: body" (Swagger 2) or a missing info.version is refused', async () => {
    const swagger2 = structuredClone(basic);
    const parameter = swagger2.paths[`${API_BASE_PATH}/instances/{id}`]?.get?.parameters?.[0];
    expect(parameter).toMatchObject({ name: 'id', in: 'path' });
    Object.assign(parameter ?? {}, { in: 'body' });
    expect((await validate(swagger2)).valid).toBe(false);
    const noVersion = structuredClone(basic) as unknown as { info: Record<string, unknown> };
    delete noVersion.info.version;
    expect((await validate(noVersion)).valid).toBe(false);
  });

  it('has every route of ROUTES with its method, hub routes under both prefixes, and nothing else', () => {
    const documented = Object.entries(basic.paths).flatMap(([path, item]) =>
      Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`),
    );
    const expected = ROUTES.map((route) => `${route.method} ${API_BASE_PATH}${route.path}`);
    expect(documented.sort()).toEqual(expected.sort());
    expect(operationOf(basic, 'GET', '/hubs/helpdesk/incidents')).toBeUndefined(); // templates, not resources
    expect(operationOf(basic, 'GET', '/hubs/helpdesk/{objectName}')).toBeDefined();
    expect(operationOf(basic, 'GET', '/{objectName}')).toBeDefined();
    const ids = Object.values(basic.paths).flatMap((item) => Object.values(item).map((op) => op.operationId));
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('secures each operation as its route authenticates, with the Authorization header in two forms', () => {
    expect(basic.components.securitySchemes[SECURITY_SCHEMES.platform]).toMatchObject({
      type: 'apiKey',
      in: 'header',
      name: 'Authorization',
      description: expect.stringContaining('User <user secret>, Organization <organization secret>'),
    });
    expect(basic.components.securitySchemes[SECURITY_SCHEMES.hub]?.description).toContain(
      'User <user secret>, Element <element token>',
    );
    for (const route of ROUTES) {
      const operation = operationOf(basic, route.method, route.path);
      const expected = route.auth === 'none' ? [] : [{ [SECURITY_SCHEMES[route.auth]]: [] }];
      expect(operation?.security, `${route.method} ${route.path}`).toEqual(expected);
    }
    expect(operationOf(basic, 'GET', '/ping')?.security).toEqual([]);
    expect(operationOf(basic, 'POST', '/instances')?.security).toEqual([{ UserOrganization: [] }]);
    expect(operationOf(basic, 'GET', '/{objectName}')?.security).toEqual([{ UserElement: [] }]);
  });

  it("answers every operation with CE's error table, each an Error body with Elements-Request-Id", () => {
    expect(ERROR_STATUSES).toEqual([
      '400',
      '401',
      '403',
      '404',
      '405',
      '409',
      '413',
      '415',
      '429',
      '500',
      '502',
      '503',
      '504',
    ]);
    for (const route of ROUTES) {
      const operation = operationOf(basic, route.method, route.path);
      for (const status of ERROR_STATUSES) {
        const response = resolve(basic, operation?.responses[status]) as {
          content: Record<string, { schema: unknown }>;
          headers: Record<string, unknown>;
        };
        expect(response, `${route.method} ${route.path} ${status}`).toBeDefined();
        expect(resolve(basic, response.content['application/json']?.schema)).toMatchObject({
          required: ['requestId', 'message'],
          properties: { providerMessage: { type: 'string' } },
        });
        expect(Object.keys(response.headers)).toContain('Elements-Request-Id');
      }
    }
    const tooMany = resolve(basic, operationOf(basic, 'GET', '/{objectName}')?.responses['429']);
    expect(Object.keys(tooMany.headers as object)).toContain('Retry-After');
  });

  it('names the element (x-element-key, x-element-hub) and documents its configuration keys', () => {
    expect(basic.info).toMatchObject({
      'x-element-id': 145,
      'x-element-key': 'servicenow',
      'x-element-hub': 'helpdesk',
    });
    expect(documentOf('servicenowoauth').info['x-element-key']).toBe('servicenowoauth');
    expect(basic.components.schemas.ElementConfiguration).toMatchObject({
      required: ['username', 'password', 'servicenow.subdomain'],
    });
    expect(documentOf('servicenowoauth').components.schemas.ElementConfiguration?.required).toContain(
      'oauth.api.key',
    );
  });

  it('documents the list parameters and paging headers of hub list routes', () => {
    for (const path of ['/{objectName}', '/hubs/helpdesk/{objectName}', '/{objectName}/{id}/attachments']) {
      const operation = operationOf(basic, 'GET', path);
      const names = (operation?.parameters ?? []).map((parameter) => resolve(basic, parameter).name);
      expect(names).toEqual(
        expect.arrayContaining([
          'where',
          'pageSize',
          'page',
          'nextPage',
          'fields',
          'orderBy',
          'returnTotalCount',
          'displayValues',
        ]),
      );
      const success = operation?.responses['200'] as { headers: Record<string, unknown> };
      expect(Object.keys(success.headers).sort()).toEqual(
        [
          'Elements-Element-Instance-Id',
          'Elements-Next-Page-Token',
          'Elements-Request-Id',
          'Elements-Returned-Count',
          'Elements-Total-Count',
        ].sort(),
      );
    }
    expect(resolve(basic, basic.components.parameters.pageSize)).toMatchObject({
      schema: { maximum: 5000, default: 200 },
    });
    const pathNames = operationOf(basic, 'GET', '/{objectName}/{id}/attachments/{attachmentId}/file')
      ?.parameters?.map((parameter) => resolve(basic, parameter))
      .filter((parameter) => parameter.in === 'path')
      .map((parameter) => parameter.name);
    expect(pathNames).toEqual(['objectName', 'id', 'attachmentId']);
  });

  it('documents attachment upload as multipart with a required file, and the 413 limit on both directions', () => {
    const upload = operationOf(basic, 'POST', '/hubs/helpdesk/{objectName}/{id}/attachments');
    const schema = resolve(basic, upload?.requestBody?.content['multipart/form-data']?.schema);
    expect(schema).toMatchObject({ required: ['file'] });
    expect(upload?.description).toMatch(/413/);
    expect(
      operationOf(basic, 'GET', '/{objectName}/{id}/attachments/{attachmentId}/file')?.description,
    ).toMatch(/413/);
    const download = operationOf(basic, 'GET', '/{objectName}/{id}/attachments/{attachmentId}/file');
    expect(download).toBeDefined();
    // The attachment's own content type, whatever it is.
    expect(Object.keys((download!.responses['200'] as { content: object }).content)).toEqual(['*/*']);
  });

  it('names the instance in info and servers of an instance document, without its token', () => {
    const document = instanceDocument(basic, { id: 42, name: 'Prod desk' }, 'https://api.example.com');
    expect(document.info).toMatchObject({
      'x-element-instance-id': 42,
      'x-element-instance-name': 'Prod desk',
    });
    expect(document.info.title).toContain('Prod desk');
    expect(document.servers).toEqual([
      { url: 'https://api.example.com', description: expect.stringContaining('42') },
    ]);
    expect(document.paths).toBe(basic.paths);
  });
});

describe('request body of POST /instances', () => {
  const schema = basic.components.schemas.InstanceBody as Record<string, unknown>;
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  const validateBody = ajv.compile(schema);

  it('is the zod schema the handler validates with: same properties and required keys', () => {
    const shape = instanceBodySchema.shape;
    expect(Object.keys(schema.properties as object).sort()).toEqual(Object.keys(shape).sort());
    const zodRequired = Object.entries(shape)
      .filter(([, field]) => !field.safeParse(undefined).success)
      .map(([key]) => key);
    expect((schema.required as string[] | undefined) ?? []).toEqual(zodRequired);
    // Nested: providerData.code and element.key are optional in both, with the same limits.
    const providerData = (schema.properties as Record<string, { properties: Record<string, unknown> }>)
      .providerData;
    expect(providerData?.properties.code).toMatchObject({ type: 'string', minLength: 1, maxLength: 4096 });
    const operation = operationOf(basic, 'POST', '/instances');
    expect(JSON.stringify(operation?.requestBody)).toContain('#/components/schemas/InstanceBody');
  });

  it('accepts and refuses the same bodies as zod', () => {
    const samples: unknown[] = [
      {},
      { name: 'x', tags: ['a'], configuration: { username: 'u', 'pagination.max': 10, flag: true } },
      { element: { key: 'servicenow', id: 145 }, providerData: { code: 'abc', extra: 1 } },
      { name: 'x'.repeat(201) },
      { tags: Array.from({ length: 51 }, () => 't') },
      { providerData: { code: '' } },
      { configuration: { k: [1, 2] } },
      { element: { id: 'x'.repeat(21) } },
      { element: 'servicenow' },
      { name: 5 },
    ];
    for (const body of samples) {
      expect(validateBody(body), JSON.stringify(body)).toBe(instanceBodySchema.safeParse(body).success);
    }
    fc.assert(
      fc.property(
        fc.record(
          {
            name: fc.oneof(fc.string({ maxLength: 210 }), fc.integer()),
            tags: fc.oneof(fc.array(fc.string({ maxLength: 110 }), { maxLength: 55 }), fc.string()),
            configuration: fc.dictionary(
              fc.string({ maxLength: 5 }),
              fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.integer())),
            ),
            providerData: fc.record({ code: fc.string({ maxLength: 5 }) }, { requiredKeys: [] }),
          },
          { requiredKeys: [] },
        ),
        (body) => validateBody(body) === instanceBodySchema.safeParse(body).success,
      ),
      { numRuns: 300 },
    );
  });
});

describe('journal bodies', () => {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  ajv.addSchema({ $id: 'https://snow-element.local/doc', components: basic.components });
  const validateAt = (name: string) =>
    ajv.compile({ $ref: `https://snow-element.local/doc#/components/schemas/${name}` });

  it('document both spellings the handler takes: {comments}/{work_notes} or {value}, nothing else', () => {
    const comment = validateAt('CommentInput');
    expect(comment({ comments: 'text' })).toBe(true);
    expect(comment({ value: 'text' })).toBe(true);
    expect(comment({ comments: 'text', value: 'text' })).toBe(false);
    expect(comment({ work_notes: 'text' })).toBe(false);
    expect(comment({})).toBe(false);
    const workNote = validateAt('WorkNoteInput');
    expect(workNote({ work_notes: 'text' })).toBe(true);
    expect(workNote({ value: 'text' })).toBe(true);
    expect(workNote({ comments: 'text' })).toBe(false);
  });
});
