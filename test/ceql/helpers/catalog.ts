import { fieldCatalog } from './ceql';

/** A fixed incident catalog for the translation tables (the hub will back it by sys_dictionary). */
export const incidentFields = fieldCatalog('incident', {
  number: 'string',
  short_description: 'string',
  priority: 'choice',
  state: 'choice',
  active: 'boolean',
  reassignment_count: 'integer',
  business_stc: 'decimal',
  opened_at: 'glide_date_time',
  due_on: 'glide_date',
  caller_id: 'reference',
  'caller_id.email': 'email',
  assigned_to: 'reference',
  // A catalog entry ServiceNow could not parse as a field name (must still be refused).
  'Bad^Name': 'string',
});
