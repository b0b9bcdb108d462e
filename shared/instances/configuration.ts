import { BASE_URL_KEY, type ElementDefinition, parameterOf } from '../elements';
import { InvalidInputError } from '../errors';
import { jsonNestsDeeperThan, MAX_JSON_DEPTH } from '../input';
import type { ConfigurationInput } from './request-body';

export const MASK = '********';
const MAX_VALUE_LENGTH = 8 * 1024;
const MAX_JSON_LENGTH = 64 * 1024;

/** A configuration as posted, normalised: every value a string; `null` means "unset / back to default". */
export type NormalizedConfiguration = Record<string, string | null>;

const asBoolean = (value: unknown): string | undefined => {
  if (value === true || value === 'true') return 'true';
  if (value === false || value === 'false') return 'false';
  return undefined;
};

const asInteger = (value: unknown): string | undefined => {
  const text =
    typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : undefined;
  if (text === undefined || !/^\d{1,9}$/.test(text) || Number(text) < 1) return undefined;
  return String(Number(text));
};

const asJsonObject = (value: unknown): string | undefined => {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return JSON.stringify(value);
  if (typeof value !== 'string') return undefined;
  try {
    const parsed: unknown = JSON.parse(value);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? JSON.stringify(parsed)
      : undefined;
  } catch {
    return undefined;
  }
};

const asText = (value: unknown): string | undefined => {
  if (typeof value === 'string') return value.trim();
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
};

const EXPECTED: Record<string, string> = {
  boolean: 'true or false',
  integer: 'a positive integer',
  json: 'a JSON object (or its text)',
  string: 'a string',
  url: 'a URL string',
};

/**
 * Checks posted configuration keys against the element and converts values to strings (CE returns
 * `"true"`/`"15"` even for posted booleans/numbers). All problems in one 400; values are
 * never echoed (they may be secrets).
 */
export const normalizeConfiguration = (
  element: ElementDefinition,
  input: ConfigurationInput | undefined,
): NormalizedConfiguration => {
  const out: NormalizedConfiguration = {};
  const unknown: string[] = [];
  const readOnly: string[] = [];
  const wrong: string[] = [];
  for (const [key, value] of Object.entries(input ?? {})) {
    if (key === BASE_URL_KEY) {
      readOnly.push(key);
      continue;
    }
    const parameter = parameterOf(element, key);
    if (!parameter) {
      unknown.push(key);
      continue;
    }
    if (value === null) {
      out[key] = null;
      continue;
    }
    // JSON given as text is parsed and written back: refused before either step recurses.
    if (
      parameter.type === 'json' &&
      typeof value === 'string' &&
      jsonNestsDeeperThan(value, MAX_JSON_DEPTH)
    ) {
      wrong.push(`${key} (nests deeper than ${MAX_JSON_DEPTH} levels)`);
      continue;
    }
    const converted =
      parameter.type === 'boolean'
        ? asBoolean(value)
        : parameter.type === 'integer'
          ? asInteger(value)
          : parameter.type === 'json'
            ? asJsonObject(value)
            : asText(value);
    const limit = parameter.type === 'json' ? MAX_JSON_LENGTH : MAX_VALUE_LENGTH;
    if (converted === undefined || converted.length > limit) {
      wrong.push(
        `${key} (expected ${EXPECTED[parameter.type]}${converted !== undefined ? `, at most ${limit} characters` : ''})`,
      );
      continue;
    }
    // An empty string unsets the key, like null.
    out[key] = converted === '' ? null : converted;
  }
  const problems = [
    ...(unknown.length
      ? [`unknown configuration keys for element ${element.key}: ${unknown.join(', ')}`]
      : []),
    ...(readOnly.length ? [`read-only configuration keys: ${readOnly.join(', ')}`] : []),
    ...(wrong.length ? [`wrong value types: ${wrong.join(', ')}`] : []),
  ];
  if (problems.length > 0) throw new InvalidInputError(`Invalid configuration: ${problems.join('; ')}`);
  return out;
};

/** Applies changes on top of a configuration: `null` removes a key. */
export const mergeConfiguration = (
  base: Record<string, string>,
  changes: NormalizedConfiguration,
): Record<string, string> => {
  const merged: Record<string, string> = { ...base };
  for (const [key, value] of Object.entries(changes)) {
    if (value === null) delete merged[key];
    else merged[key] = value;
  }
  return merged;
};

/** Element defaults, overridden by the given values. */
export const withDefaults = (
  element: ElementDefinition,
  values: Record<string, string>,
): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const parameter of element.configuration) {
    if (parameter.defaultValue !== undefined) out[parameter.key] = parameter.defaultValue;
  }
  return { ...out, ...values };
};
