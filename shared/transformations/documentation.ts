import type { StateTable } from '../ports/state-table';
import { parsePath } from './paths';
import { addToDocumentation, passThroughOf } from './resolve';
import type { Transformation } from './schema';
import { createTransformationStore, findCommonResource, type InstanceRef, instanceScope } from './store';

/**
 * The instance's common resources for its OpenAPI document: every
 * effective transformation with `addToDocumentation`, with a JSON schema of its records.
 */

type JsonSchema = Record<string, unknown>;

const TYPE_SCHEMAS: Record<string, JsonSchema> = {
  string: { type: ['string', 'null'] },
  number: { type: ['number', 'null'] },
  boolean: { type: ['boolean', 'null'] },
  date: { type: ['string', 'null'], format: 'date-time' },
};

/** Object schema for a record with these fields (nested common paths become nested objects). */
export function commonRecordSchema(transformation: Transformation): JsonSchema {
  const root: JsonSchema = { type: 'object', properties: {} as Record<string, JsonSchema> };
  for (const field of transformation.fields) {
    if (field.configuration?.some((c) => c.type === 'remove' && (c.properties?.fromVendor ?? true))) continue;
    const keys = parsePath(field.path).flatMap((s) => (s.kind === 'key' ? [s.key] : []));
    let node = root;
    keys.forEach((key, i) => {
      const properties = node.properties as Record<string, JsonSchema>;
      if (i === keys.length - 1) {
        properties[key] = {
          ...TYPE_SCHEMAS[field.type],
          ...(field.expression === undefined ? {} : { readOnly: true, description: 'Computed (JSONata)' }),
        };
        return;
      }
      properties[key] ??= { type: 'object', properties: {} };
      node = properties[key];
    });
  }
  const properties = root.properties as Record<string, JsonSchema>;
  if (!properties.id) properties.id = { type: 'string', readOnly: true, description: 'sys_id' };
  return {
    ...root,
    additionalProperties: passThroughOf(transformation).fromVendor,
    description: `Mapped from the ServiceNow table ${transformation.vendorName}`,
  };
}

export interface DocumentedCommonResource {
  name: string;
  vendorName: string;
  schema: JsonSchema;
}

/** Every common resource of the instance with addToDocumentation, by name. */
export async function documentedCommonResources(
  stateTable: StateTable,
  instance: InstanceRef,
): Promise<DocumentedCommonResource[]> {
  const store = createTransformationStore({ stateTable, now: () => new Date() });
  const levels = await Promise.all([
    store.listTransformations({ level: 'organization' }, instance.elementKey),
    store.listTransformations({ level: 'account', accountId: instance.ownerUserId }, instance.elementKey),
    store.listTransformations(instanceScope(instance), instance.elementKey),
  ]);
  const names = [...new Set(levels.flat().map((t) => t.objectName))].sort();
  const found = await Promise.all(
    names.map(async (name) => {
      try {
        return await findCommonResource(stateTable, instance, name);
      } catch {
        return undefined; // an unresolvable inheritance chain is reported by the hub, not by the docs
      }
    }),
  );
  return found.flatMap((common) =>
    common && addToDocumentation(common.transformation)
      ? [
          {
            name: common.name,
            vendorName: common.vendorName,
            schema: commonRecordSchema(common.transformation),
          },
        ]
      : [],
  );
}
