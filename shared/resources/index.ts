import { NotFoundError } from '../errors';

/**
 * A hub resource resolved to the ServiceNow table that holds it.
 * `filter` is an encoded query ANDed into every list (and checked on reads by id), so a resource that is a
 * slice of a table (agents = users with the itil role) never shows rows outside its slice.
 */
export interface ResolvedResource {
  table: string;
  /** The hub resource name when objectName is a mapped resource (`incidents`), absent for a raw table. */
  resource?: string;
  filter?: string;
}

const RESOURCES: Record<string, Omit<ResolvedResource, 'resource'>> = {
  incidents: { table: 'incident' },
  accounts: { table: 'core_company' },
  // `roles=itil` is ServiceNow's own reference qualifier for "Assigned to": on a real instance
  // sys_user.roles matches any user holding the role (CE creates agents with roles "itil").
  // The simulator stores roles as a plain comma list, so there it matches users whose roles are exactly
  // "itil" (a simulator gap, reported; not papered over with LIKE, which real instances do not promise).
  agents: { table: 'sys_user', filter: 'roles=itil' },
  contacts: { table: 'sys_user' },
  problems: { table: 'problem' },
  changes: { table: 'change_request' },
  users: { table: 'sys_user' },
  groups: { table: 'sys_user_group' },
};

/** A raw table name: lower-case ServiceNow identifier, at most 80 characters (sys_db_object.name). */
export const TABLE_NAME = /^[a-z][a-z0-9_]{0,79}$/;

/**
 * `incidents` -> incident, ..., anything else must look like a table name (then metadata decides whether
 * it exists: 404 for an unknown table). Throws 404 for a name that cannot be a table.
 */
export const resolveResource = (objectName: string): ResolvedResource => {
  const mapped = Object.hasOwn(RESOURCES, objectName) ? RESOURCES[objectName] : undefined;
  if (mapped) return { ...mapped, resource: objectName };
  if (!TABLE_NAME.test(objectName)) {
    throw new NotFoundError(`No such resource or table: ${JSON.stringify(objectName.slice(0, 100))}`);
  }
  return { table: objectName };
};

/** The hub resource names with a mapping (for docs and /objects). */
export const HUB_RESOURCES: readonly string[] = Object.keys(RESOURCES);
