import type { ChoiceDef, FieldDef, FieldType, TableDef } from '../store/types';

/**
 * Table definitions of the simulator: the task hierarchy (task -> incident, problem, change_request),
 * users, groups, roles, companies, journal/audit/attachment tables and the metadata tables whose rows
 * are generated from these definitions. Values mirror a stock instance.
 */

const f = (name: string, label: string, type: FieldType, extra: Partial<FieldDef> = {}): FieldDef => ({
  name,
  label,
  type,
  ...extra,
});
const ref = (name: string, label: string, reference: string, extra: Partial<FieldDef> = {}): FieldDef =>
  f(name, label, 'reference', { reference, ...extra });
const choice = (
  name: string,
  label: string,
  choices: [string, string][],
  extra: Partial<FieldDef> = {},
): FieldDef =>
  f(name, label, 'choice', {
    choices: choices.map(([value, l]): ChoiceDef => ({ value, label: l })),
    ...extra,
  });

/** Every root table starts with these (sys_id is column 0). */
const SYS_FIELDS: FieldDef[] = [
  f('sys_id', 'Sys ID', 'GUID', { readOnly: true }),
  f('sys_created_on', 'Created', 'glide_date_time', { readOnly: true }),
  f('sys_created_by', 'Created by', 'string', { readOnly: true, maxLength: 40 }),
  f('sys_updated_on', 'Updated', 'glide_date_time', { readOnly: true }),
  f('sys_updated_by', 'Updated by', 'string', { readOnly: true, maxLength: 40 }),
  f('sys_mod_count', 'Updates', 'integer', { readOnly: true }),
];

const root = (def: Omit<TableDef, 'fields'> & { fields: FieldDef[] }): TableDef => ({
  ...def,
  fields: [...SYS_FIELDS, ...def.fields],
});

const IMPACT: [string, string][] = [
  ['1', '1 - High'],
  ['2', '2 - Medium'],
  ['3', '3 - Low'],
];

export const PRIORITY: [string, string][] = [
  ['1', '1 - Critical'],
  ['2', '2 - High'],
  ['3', '3 - Moderate'],
  ['4', '4 - Low'],
  ['5', '5 - Planning'],
];

export const INCIDENT_STATES: [string, string][] = [
  ['1', 'New'],
  ['2', 'In Progress'],
  ['3', 'On Hold'],
  ['6', 'Resolved'],
  ['7', 'Closed'],
  ['8', 'Canceled'],
];

export const INCIDENT_CATEGORIES: [string, string][] = [
  ['inquiry', 'Inquiry / Help'],
  ['software', 'Software'],
  ['hardware', 'Hardware'],
  ['network', 'Network'],
  ['database', 'Database'],
];

const task = root({
  name: 'task',
  label: 'Task',
  displayField: 'number',
  fields: [
    f('sys_class_name', 'Task type', 'sys_class_name', { readOnly: true }),
    f('number', 'Number', 'string', { maxLength: 40, readOnly: true }),
    f('short_description', 'Short description', 'string', { maxLength: 160 }),
    f('description', 'Description', 'string', { maxLength: 4000 }),
    choice(
      'state',
      'State',
      [
        ['-5', 'Pending'],
        ['1', 'Open'],
        ['2', 'Work in Progress'],
        ['3', 'Closed Complete'],
        ['4', 'Closed Incomplete'],
        ['7', 'Closed Skipped'],
      ],
      { defaultValue: '1' },
    ),
    choice('impact', 'Impact', IMPACT, { defaultValue: '3' }),
    choice('urgency', 'Urgency', IMPACT, { defaultValue: '3' }),
    choice('priority', 'Priority', PRIORITY, { defaultValue: '5' }),
    f('active', 'Active', 'boolean', { defaultValue: 'true' }),
    f('opened_at', 'Opened', 'glide_date_time', { defaultValue: 'javascript:gs.nowDateTime()' }),
    ref('opened_by', 'Opened by', 'sys_user', { defaultValue: 'javascript:gs.getUserID()' }),
    ref('assigned_to', 'Assigned to', 'sys_user'),
    ref('assignment_group', 'Assignment group', 'sys_user_group'),
    ref('company', 'Company', 'core_company'),
    f('closed_at', 'Closed', 'glide_date_time'),
    ref('closed_by', 'Closed by', 'sys_user'),
    f('close_notes', 'Close notes', 'string', { maxLength: 4000 }),
    f('due_date', 'Due date', 'glide_date_time'),
    f('reassignment_count', 'Reassignment count', 'integer', { defaultValue: '0' }),
    f('comments', 'Additional comments', 'journal_input'),
    f('work_notes', 'Work notes', 'journal_input'),
  ],
});

const incident: TableDef = {
  name: 'incident',
  label: 'Incident',
  superClass: 'task',
  displayField: 'number',
  numberPrefix: 'INC',
  fields: [
    choice('state', 'State', INCIDENT_STATES, { defaultValue: '1' }),
    ref('caller_id', 'Caller', 'sys_user'),
    choice('category', 'Category', INCIDENT_CATEGORIES, { defaultValue: 'inquiry' }),
    f('subcategory', 'Subcategory', 'string', { maxLength: 40 }),
    choice('contact_type', 'Channel', [
      ['email', 'Email'],
      ['phone', 'Phone'],
      ['self-service', 'Self-service'],
      ['walk-in', 'Walk-in'],
    ]),
    f('resolved_at', 'Resolved', 'glide_date_time'),
    ref('resolved_by', 'Resolved by', 'sys_user'),
    choice('close_code', 'Resolution code', [
      ['Solved (Work Around)', 'Solved (Work Around)'],
      ['Solved (Permanently)', 'Solved (Permanently)'],
      ['Solved Remotely (Work Around)', 'Solved Remotely (Work Around)'],
      ['Solved Remotely (Permanently)', 'Solved Remotely (Permanently)'],
      ['Not Solved (Not Reproducible)', 'Not Solved (Not Reproducible)'],
      ['Not Solved (Too Costly)', 'Not Solved (Too Costly)'],
      ['Closed/Resolved by Caller', 'Closed/Resolved by Caller'],
    ]),
    ref('problem_id', 'Problem', 'problem'),
    f('reopen_count', 'Reopen count', 'integer', { defaultValue: '0' }),
  ],
};

const problem: TableDef = {
  name: 'problem',
  label: 'Problem',
  superClass: 'task',
  displayField: 'number',
  numberPrefix: 'PRB',
  fields: [
    choice(
      'state',
      'State',
      [
        ['101', 'New'],
        ['102', 'Assess'],
        ['103', 'Root Cause Analysis'],
        ['104', 'Fix in Progress'],
        ['106', 'Resolved'],
        ['107', 'Closed'],
      ],
      { defaultValue: '101' },
    ),
    f('known_error', 'Known error', 'boolean', { defaultValue: 'false' }),
    f('cause_notes', 'Cause notes', 'string', { maxLength: 4000 }),
    f('fix_notes', 'Fix notes', 'string', { maxLength: 4000 }),
    choice('category', 'Category', INCIDENT_CATEGORIES),
  ],
};

const changeRequest: TableDef = {
  name: 'change_request',
  label: 'Change Request',
  superClass: 'task',
  displayField: 'number',
  numberPrefix: 'CHG',
  fields: [
    choice(
      'state',
      'State',
      [
        ['-5', 'New'],
        ['-4', 'Assess'],
        ['-3', 'Authorize'],
        ['-2', 'Scheduled'],
        ['-1', 'Implement'],
        ['0', 'Review'],
        ['3', 'Closed'],
        ['4', 'Canceled'],
      ],
      { defaultValue: '-5' },
    ),
    choice(
      'type',
      'Type',
      [
        ['standard', 'Standard'],
        ['normal', 'Normal'],
        ['emergency', 'Emergency'],
      ],
      { defaultValue: 'normal' },
    ),
    choice(
      'risk',
      'Risk',
      [
        ['1', 'Very High'],
        ['2', 'High'],
        ['3', 'Moderate'],
        ['4', 'Low'],
      ],
      { defaultValue: '3' },
    ),
    choice('category', 'Category', [
      ['hardware', 'Hardware'],
      ['software', 'Software'],
      ['network', 'Network'],
      ['other', 'Other'],
    ]),
    ref('requested_by', 'Requested by', 'sys_user'),
    f('start_date', 'Planned start date', 'glide_date_time'),
    f('end_date', 'Planned end date', 'glide_date_time'),
    f('implementation_plan', 'Implementation plan', 'string', { maxLength: 4000 }),
    f('backout_plan', 'Backout plan', 'string', { maxLength: 4000 }),
  ],
};

const sysUser = root({
  name: 'sys_user',
  label: 'User',
  displayField: 'name',
  fields: [
    f('user_name', 'User ID', 'string', { maxLength: 40, mandatory: true }),
    f('first_name', 'First name', 'string', { maxLength: 50 }),
    f('last_name', 'Last name', 'string', { maxLength: 50 }),
    f('name', 'Name', 'string', { maxLength: 151 }),
    f('email', 'Email', 'email'),
    f('phone', 'Business phone', 'phone_number'),
    f('title', 'Title', 'string', { maxLength: 60 }),
    f('department', 'Department', 'string', { maxLength: 60 }),
    ref('company', 'Company', 'core_company'),
    ref('manager', 'Manager', 'sys_user'),
    f('active', 'Active', 'boolean', { defaultValue: 'true' }),
    f('locked_out', 'Locked out', 'boolean', { defaultValue: 'false' }),
    f('roles', 'Roles', 'string', { maxLength: 255 }),
    f('time_zone', 'Time zone', 'string', { maxLength: 40, defaultValue: 'UTC' }),
  ],
});

const sysUserGroup = root({
  name: 'sys_user_group',
  label: 'Group',
  displayField: 'name',
  fields: [
    f('name', 'Name', 'string', { maxLength: 80, mandatory: true }),
    f('description', 'Description', 'string', { maxLength: 1000 }),
    ref('manager', 'Manager', 'sys_user'),
    f('email', 'Group email', 'email'),
    f('active', 'Active', 'boolean', { defaultValue: 'true' }),
  ],
});

const sysUserGrmember = root({
  name: 'sys_user_grmember',
  label: 'Group Member',
  displayField: 'sys_id',
  fields: [ref('user', 'User', 'sys_user'), ref('group', 'Group', 'sys_user_group')],
});

const sysUserRole = root({
  name: 'sys_user_role',
  label: 'Role',
  displayField: 'name',
  fields: [f('name', 'Name', 'string', { maxLength: 100 }), f('description', 'Description', 'string')],
});

const sysUserHasRole = root({
  name: 'sys_user_has_role',
  label: 'User Role',
  displayField: 'sys_id',
  fields: [
    ref('user', 'User', 'sys_user'),
    ref('role', 'Role', 'sys_user_role'),
    f('inherited', 'Inherited', 'boolean', { defaultValue: 'false' }),
    choice('state', 'State', [
      ['active', 'Active'],
      ['pending', 'Pending'],
    ]),
  ],
});

const coreCompany = root({
  name: 'core_company',
  label: 'Company',
  displayField: 'name',
  fields: [
    f('name', 'Name', 'string', { maxLength: 80 }),
    f('city', 'City', 'string', { maxLength: 50 }),
    f('country', 'Country', 'string', { maxLength: 40 }),
    f('phone', 'Phone', 'phone_number'),
    f('website', 'Website', 'url'),
    f('customer', 'Customer', 'boolean', { defaultValue: 'false' }),
    f('vendor', 'Vendor', 'boolean', { defaultValue: 'false' }),
  ],
});

/** One row per comment / work note. Deletes of these are not audited. */
const sysJournalField = root({
  name: 'sys_journal_field',
  label: 'Journal Entry',
  displayField: 'value',
  auditDeletes: false,
  fields: [
    f('element', 'Element', 'string', { maxLength: 40 }),
    f('element_id', 'Element ID', 'GUID'),
    f('name', 'Table name', 'string', { maxLength: 80 }),
    f('value', 'Value', 'string', { maxLength: 4000 }),
  ],
});

const sysAuditDelete = root({
  name: 'sys_audit_delete',
  label: 'Audit Deleted Record',
  displayField: 'display_value',
  auditDeletes: false,
  fields: [
    f('tablename', 'Table', 'string', { maxLength: 80 }),
    f('documentkey', 'Document key', 'GUID'),
    f('display_value', 'Display value', 'string', { maxLength: 255 }),
  ],
});

/** Attachment metadata; the bytes are kept by the HTTP layer. */
const sysAttachment = root({
  name: 'sys_attachment',
  label: 'Attachment',
  displayField: 'file_name',
  fields: [
    f('file_name', 'File name', 'string', { maxLength: 100 }),
    f('content_type', 'Content type', 'string', { maxLength: 100 }),
    f('size_bytes', 'Size bytes', 'integer'),
    f('size_compressed', 'Size compressed', 'integer'),
    f('compressed', 'Compressed', 'boolean', { defaultValue: 'false' }),
    f('table_name', 'Table name', 'string', { maxLength: 100 }),
    f('table_sys_id', 'Table sys ID', 'GUID'),
    f('hash', 'Hash', 'string', { maxLength: 64 }),
    f('download_link', 'Download link', 'url'),
    f('image_width', 'Image width', 'integer'),
    f('image_height', 'Image height', 'integer'),
    f('average_image_color', 'Average image color', 'string', { maxLength: 40 }),
    f('created_by_name', 'Created by name', 'string', { maxLength: 255 }),
    f('updated_by_name', 'Updated by name', 'string', { maxLength: 255 }),
    f('sys_tags', 'Tags', 'string', { maxLength: 255 }),
  ],
});

const sysDbObject = root({
  name: 'sys_db_object',
  label: 'Table',
  displayField: 'label',
  auditDeletes: false,
  fields: [
    f('name', 'Name', 'string', { maxLength: 80 }),
    f('label', 'Label', 'string', { maxLength: 80 }),
    ref('super_class', 'Extends table', 'sys_db_object'),
    f('sys_name', 'System name', 'string', { maxLength: 255 }),
    f('is_extendable', 'Extensible', 'boolean', { defaultValue: 'false' }),
    f('number_ref', 'Auto number prefix', 'string', { maxLength: 40 }),
  ],
});

const sysDictionary = root({
  name: 'sys_dictionary',
  label: 'Dictionary Entry',
  displayField: 'column_label',
  auditDeletes: false,
  fields: [
    f('name', 'Table', 'string', { maxLength: 80 }),
    f('element', 'Column name', 'string', { maxLength: 80 }),
    f('column_label', 'Column label', 'string', { maxLength: 80 }),
    f('internal_type', 'Type', 'string', { maxLength: 40 }),
    f('reference', 'Reference', 'string', { maxLength: 80 }),
    f('max_length', 'Max length', 'integer'),
    f('mandatory', 'Mandatory', 'boolean', { defaultValue: 'false' }),
    f('read_only', 'Read only', 'boolean', { defaultValue: 'false' }),
    f('active', 'Active', 'boolean', { defaultValue: 'true' }),
    f('default_value', 'Default value', 'string', { maxLength: 512 }),
  ],
});

const sysChoice = root({
  name: 'sys_choice',
  label: 'Choices',
  displayField: 'label',
  auditDeletes: false,
  fields: [
    f('name', 'Table', 'string', { maxLength: 80 }),
    f('element', 'Element', 'string', { maxLength: 80 }),
    f('value', 'Value', 'string', { maxLength: 40 }),
    f('label', 'Label', 'string', { maxLength: 100 }),
    f('language', 'Language', 'string', { maxLength: 40, defaultValue: 'en' }),
    f('inactive', 'Inactive', 'boolean', { defaultValue: 'false' }),
    f('sequence', 'Sequence', 'integer'),
  ],
});

/** Every table of the simulator, parents before children. */
export const SIM_TABLES: TableDef[] = [
  task,
  incident,
  problem,
  changeRequest,
  sysUser,
  sysUserGroup,
  sysUserGrmember,
  sysUserRole,
  sysUserHasRole,
  coreCompany,
  sysJournalField,
  sysAuditDelete,
  sysAttachment,
  sysDbObject,
  sysDictionary,
  sysChoice,
];
