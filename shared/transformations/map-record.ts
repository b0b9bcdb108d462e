import { type ExpressionLimits, evaluateExpression } from './computed';
import { commonToVendor, vendorToCommon } from './convert';
import { getPath, rootKey, setPath } from './paths';
import { passThroughOf } from './resolve';
import type { Transformation, TransformationField } from './schema';

type Json = Record<string, unknown>;

const removed = (field: TransformationField, direction: 'fromVendor' | 'toVendor'): boolean =>
  field.configuration?.some((c) => c.type === 'remove' && (c.properties?.[direction] ?? true)) ?? false;

/**
 * Vendor record -> common record. Mapped fields are read at `vendorPath`, converted to `type` (lenient,
 * see convert.ts) and written at `path`; missing vendor values are left out. Fields with
 * `remove.fromVendor` are dropped. With passThrough.fromVendor, top-level vendor keys no mapped field
 * reads are copied as they are (never overwriting a mapped value). Computed fields run last, on the
 * original vendor record.
 */
export async function toCommon(
  transformation: Transformation,
  vendorRecord: Json,
  limits?: ExpressionLimits,
): Promise<Json> {
  const result: Json = {};
  const used = new Set<string>();
  for (const field of transformation.fields) {
    if (field.vendorPath === undefined) continue;
    used.add(rootKey(field.vendorPath));
    if (removed(field, 'fromVendor')) continue;
    const raw = getPath(vendorRecord, field.vendorPath);
    if (raw === undefined) continue;
    setPath(result, field.path, vendorToCommon(raw, field.type, field.mask));
  }
  if (passThroughOf(transformation).fromVendor) {
    for (const [key, value] of Object.entries(vendorRecord)) {
      if (!used.has(key) && !Object.hasOwn(result, key) && key !== '__proto__') result[key] = value;
    }
  }
  for (const field of transformation.fields) {
    if (field.expression === undefined || removed(field, 'fromVendor')) continue;
    const value = await evaluateExpression(field.expression, vendorRecord, field.path, limits);
    setPath(result, field.path, vendorToCommon(value, field.type, field.mask));
  }
  return result;
}

/**
 * Common record -> vendor record (writes). Fields present in the common record are converted (strict:
 * 400 naming the field) and written at `vendorPath`; `remove.toVendor` fields and computed fields are
 * not sent. With passThrough.toVendor, top-level common keys no mapped field covers are copied.
 */
export function toVendor(transformation: Transformation, commonRecord: Json): Json {
  const result: Json = {};
  const used = new Set<string>();
  for (const field of transformation.fields) {
    used.add(rootKey(field.path));
    if (field.vendorPath === undefined || removed(field, 'toVendor')) continue;
    const value = getPath(commonRecord, field.path);
    if (value === undefined) continue;
    setPath(result, field.vendorPath, commonToVendor(value, field));
  }
  if (passThroughOf(transformation).toVendor) {
    for (const [key, value] of Object.entries(commonRecord)) {
      if (!used.has(key) && !Object.hasOwn(result, key) && key !== '__proto__') result[key] = value;
    }
  }
  return result;
}
