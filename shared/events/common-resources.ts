import type { StateTable } from '../ports';
import type { SnRecord } from '../servicenow';
import { findCommonResource, type InstanceRef, toCommon } from '../transformations';
import { type ResourcePoll, resourceOf } from './configuration';

/**
 * Events of a common resource (transformations apply to event callbacks too). For every
 * polled resource whose name is a common resource of the instance, the poll reads the transformation's
 * ServiceNow table and each record in the callback's `raw` is mapped with `toCommon` (the event's
 * objectType stays the configured name, objectId the row's sys_id or idField). Looked up at every poll,
 * so a new or changed transformation applies to the next one. DELETED events carry ServiceNow's
 * delete-audit row as before: there is no record left to map.
 */
export const withCommonResources = async (
  stateTable: StateTable,
  instance: InstanceRef,
  resources: readonly ResourcePoll[],
): Promise<ResourcePoll[]> =>
  Promise.all(
    resources.map(async (resource) => {
      const common = await findCommonResource(stateTable, instance, resourceOf(resource));
      if (!common) return resource;
      const { transformation } = common;
      const mapsId = transformation.fields.some((f) => f.path === 'id');
      const { filter: _filter, commonOnly: _commonOnly, ...rest } = resource;
      return {
        ...rest,
        table: common.vendorName,
        transform: async (record: SnRecord) => {
          const mapped = await toCommon(transformation, record);
          if (mapsId) return mapped;
          const { id: _passedThrough, ...fields } = mapped;
          return { id: record.sys_id, ...fields };
        },
      };
    }),
  );
