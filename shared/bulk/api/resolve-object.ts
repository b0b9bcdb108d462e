import type { StateTable } from '../../ports';
import { resolveResource } from '../../resources';
import type { Transformation } from '../../transformations';
import { findCommonResource, type InstanceRef } from '../../transformations/store';

/** What a bulk job reads or writes: a ServiceNow table, maybe a slice of it, maybe through a transformation. */
export interface BulkObject {
  /** As the caller named it (`incidents`, `incident`, a common resource name). */
  objectName: string;
  table: string;
  /** The hub resource's slice (agents = users with itil), ANDed into every download filter. */
  filter?: string;
  /** Set for a common resource: rows are mapped with toCommon / toVendor. */
  transformation?: Transformation;
}

/**
 * The seam with transformations: an instance's common resource of that name wins (its vendorName
 * table, its effective transformation), else the hub's mapping (`incidents` -> incident, any table
 * name as is; 404 for a name that cannot be a table).
 */
export async function resolveBulkObject(
  stateTable: StateTable,
  instance: InstanceRef,
  objectName: string,
): Promise<BulkObject> {
  const common = await findCommonResource(stateTable, instance, objectName);
  if (common !== undefined) {
    return { objectName, table: common.vendorName, transformation: common.transformation };
  }
  const resolved = resolveResource(objectName);
  return {
    objectName,
    table: resolved.table,
    ...(resolved.filter === undefined ? {} : { filter: resolved.filter }),
  };
}
