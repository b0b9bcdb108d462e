/**
 * Checks real HTTP answers against the OpenAPI document: the route must be documented, the status must
 * be one of its responses, and a JSON body must match that response's schema (ajv, JSON Schema 2020-12,
 * the document's own `$ref`s). Harnesses call `check` on each answer and tests assert no problems.
 */
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import type { OpenApiDocument } from '../../shared/openapi';

export interface CapturedResponse {
  method: string;
  /** The URL path as sent (query string ignored). */
  path: string;
  status: number;
  contentType: string | null;
  requestId: string | null;
  text: string;
}

interface Template {
  path: string;
  pattern: RegExp;
  parameters: number;
}

const DOCUMENT_ID = 'https://snow-element.local/openapi.json';

/** JSON pointer escaping (RFC 6901). */
const pointer = (...parts: string[]) =>
  parts.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');

const resolve = (document: OpenApiDocument, node: unknown): Record<string, unknown> => {
  const ref = (node as { $ref?: string } | undefined)?.$ref;
  if (ref === undefined) return node as Record<string, unknown>;
  return ref
    .replace(/^#\//, '')
    .split('/')
    .reduce<unknown>((at, key) => (at as Record<string, unknown>)[key], document) as Record<string, unknown>;
};

export interface ResponseValidator {
  /** Problems with one answer (empty when it matches the document); the operation is remembered. */
  check(response: CapturedResponse): string[];
  /** `METHOD /template status` of every checked answer. */
  readonly seen: Set<string>;
}

export const createResponseValidator = (document: OpenApiDocument): ResponseValidator => {
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false, validateSchema: false });
  ajv.addSchema({ ...structuredClone(document), $id: DOCUMENT_ID });
  // Literal segments win over parameters, as in API Gateway and the local router.
  const templates: Template[] = Object.keys(document.paths)
    .map((path) => ({
      path,
      pattern: new RegExp(`^${path.replace(/\{[^}]+\}/g, '[^/]+').replace(/\./g, '\\.')}$`),
      parameters: (path.match(/\{/g) ?? []).length,
    }))
    .sort((a, b) => a.parameters - b.parameters || b.path.length - a.path.length);
  const compiled = new Map<string, ValidateFunction>();
  const seen = new Set<string>();

  const validatorAt = (location: string): ValidateFunction => {
    let validate = compiled.get(location);
    if (!validate) {
      validate = ajv.compile({ $ref: `${DOCUMENT_ID}#${location}` });
      compiled.set(location, validate);
    }
    return validate;
  };

  const check = (response: CapturedResponse): string[] => {
    const method = response.method.toLowerCase() as 'get';
    const where = `${response.method} ${response.path} -> ${response.status}`;
    const template = templates.find((t) => t.pattern.test(response.path) && document.paths[t.path]?.[method]);
    if (!template) {
      // A documented path asked with another verb: 405 with the error body (no operation to list it on).
      const pathKnown = templates.some((t) => t.pattern.test(response.path));
      if (!pathKnown || response.status !== 405) return [`${where}: no documented operation`];
      const validate = validatorAt('/components/schemas/Error');
      return validate(JSON.parse(response.text))
        ? []
        : [`${where}: body does not match Error: ${ajv.errorsText(validate.errors)}`];
    }
    const operation = document.paths[template.path]?.[method];
    seen.add(`${response.method} ${template.path} ${response.status}`);
    const problems: string[] = [];
    if (!response.requestId) problems.push(`${where}: no Elements-Request-Id header`);
    const responseKey = String(response.status);
    const declared = operation?.responses[responseKey];
    if (declared === undefined) return [...problems, `${where}: status not documented for ${template.path}`];
    // Where the response object lives, to compile its schema with the document's own $refs.
    const ref = (declared as { $ref?: string }).$ref;
    const location = ref
      ? ref.replace(/^#/, '')
      : `/${pointer('paths', template.path, method, 'responses', responseKey)}`;
    const resolved = resolve(document, declared) as { content?: Record<string, { schema?: unknown }> };
    const content = resolved.content;
    if (content === undefined) {
      if (response.text !== '')
        problems.push(`${where}: documented without a body, answered ${response.text.slice(0, 200)}`);
      return problems;
    }
    const actual = (response.contentType ?? '').split(';')[0]?.trim() ?? '';
    // The most specific documented media range: `text/csv`, then `text/*`, then `*/*`.
    const mediaType = [actual, `${actual.split('/')[0]}/*`, '*/*'].find(
      (type) => content[type] !== undefined,
    );
    if (mediaType === undefined) {
      return [
        ...problems,
        `${where}: media type ${actual || '(none)'} not documented (${Object.keys(content).join(', ')})`,
      ];
    }
    if (actual !== 'application/json') return problems;
    let body: unknown;
    try {
      body = JSON.parse(response.text);
    } catch {
      return [...problems, `${where}: body is not JSON`];
    }
    const validate = validatorAt(`${location}/${pointer('content', mediaType, 'schema')}`);
    if (!validate(body)) {
      problems.push(
        `${where}: body does not match ${template.path}: ${ajv.errorsText(validate.errors, { separator: '; ' })}`,
      );
    }
    return problems;
  };

  return { check, seen };
};
