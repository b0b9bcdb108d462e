/**
 * The transformations routes' OpenAPI descriptions and an instance document with a common resource are
 * valid OpenAPI 3.1 (the validator test/openapi uses), and every transformations route is described.
 */
import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import { API_BASE_PATH, HUB_PREFIX, ROUTES } from '../../functions/routes';
import { findElement } from '../../shared/elements';
import { buildOpenApiDocument, instanceDocument, OPERATIONS } from '../../shared/openapi';
import { TRANSFORMATION_OPERATIONS } from '../../shared/openapi/operations-transformations';
import { commonRecordSchema, loadExpressionEngine, parseTransformation } from '../../shared/transformations';

const validate = async (document: unknown) =>
  new Validator({ strict: false }).validate(structuredClone(document) as Record<string, unknown>);

describe('transformations in the OpenAPI document', () => {
  it('describes exactly the transformations routes of functions/routes.ts', () => {
    const routes = ROUTES.filter((r) => r.functionName === 'transformations').map(
      (r) => `${r.method} ${r.path}`,
    );
    expect(Object.keys(TRANSFORMATION_OPERATIONS).sort()).toEqual([...routes].sort());
  });

  it('stays valid with the operations merged and a documented common resource', async () => {
    const element = findElement('servicenow')!;
    for (const key of Object.keys(TRANSFORMATION_OPERATIONS)) expect(OPERATIONS[key]).toBeDefined();
    const base = buildOpenApiDocument({
      routes: ROUTES,
      basePath: API_BASE_PATH,
      hubPrefix: HUB_PREFIX,
      element,
      version: '1',
    });
    await loadExpressionEngine();
    const transformation = parseTransformation({
      vendorName: 'incident',
      fields: [
        { path: 'title', type: 'string', vendorPath: 'short_description' },
        { path: 'when', type: 'date', vendorPath: 'opened_at' },
        { path: 'a.b', type: 'number', vendorPath: 'priority' },
        { path: 'label', type: 'string', expression: 'number' },
      ],
    });
    const doc = instanceDocument(
      base,
      { id: 1, name: 'x' },
      undefined,
      [{ name: 'cases', vendorName: 'incident', schema: commonRecordSchema(transformation) }],
      { basePath: API_BASE_PATH, hubPrefix: HUB_PREFIX },
    );
    const result = await validate(doc);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    const post = doc.paths[`${API_BASE_PATH}/organizations/objects/{objectName}/definitions`]?.post;
    expect(post?.tags).toEqual(['transformations']);
    expect(doc.paths[`${API_BASE_PATH}${HUB_PREFIX}/cases/{id}`]?.patch?.requestBody).toBeDefined();
  });
});
