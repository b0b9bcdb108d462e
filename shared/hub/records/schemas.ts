import * as z from '../../validation/zod';

/**
 * Request and response shapes of the hub's record routes. Records pass ServiceNow's columns through,
 * so their schemas name `id` and leave the table's fields open (GET /objects/{name}/docs has them).
 */

/** A ServiceNow row as the hub returns it (shape.ts `toHubRecord`). */
export const hubRecordSchema = z
  .looseObject({ id: z.string().check(z.describe('The record sys_id')) })
  .check(
    z.describe(
      'A ServiceNow record: `id` (= sys_id) plus the table fields, values as ServiceNow returns them ' +
        '(strings; reference fields flattened to their sys_id, or {value, display_value} objects with displayValues=all). ' +
        'Fields whose value is null are left out while the instance has filter.response.nulls=true.',
    ),
  );

/** A page of a list. */
export const recordListSchema = z.array(hubRecordSchema);

/** POST, PUT and PATCH bodies. */
export const recordInputSchema = z
  .record(z.string(), z.unknown())
  .check(z.describe('Fields of the table to set, by column name (choice fields by value or label)'));

/** `DELETE` of a record or an attachment answers an empty object. */
export const deletedSchema = z.object({}).check(z.describe('Empty object'));

/** `GET /hubs/helpdesk/ping`. */
export const pongSchema = z.object({
  dateTime: z.iso.datetime(),
  endpoint: z.string().check(z.describe('The element key of the instance')),
  valid: z.boolean().check(z.describe('true when ServiceNow answered with the instance credentials')),
});
