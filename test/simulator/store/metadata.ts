import { createHash } from 'node:crypto';
import type { FieldDef, FieldType, SimRecord, TableDef } from './types';

/** Deterministic 32-hex sys_id for generated metadata rows (stable across runs). */
export function stableSysId(key: string): string {
  return createHash('md5').update(key).digest('hex');
}

const DEFAULT_MAX_LENGTH: Partial<Record<FieldType, number>> = {
  GUID: 32,
  string: 255,
  reference: 32,
  choice: 40,
  journal_input: 4000,
  journal: 4000,
  html: 65000,
  url: 1024,
  email: 100,
  sys_class_name: 80,
  integer: 40,
  decimal: 40,
  boolean: 40,
  glide_date_time: 40,
  glide_date: 40,
};

const bool = (b: boolean | undefined): string => (b ? 'true' : 'false');

/**
 * Rows of sys_db_object, sys_dictionary and sys_choice describing the given tables:
 * one sys_db_object row per table with super_class -> the parent's sys_db_object sys_id; one
 * sys_dictionary row per own column plus the collection row (element ""); sys_choice per choice value.
 */
export function metadataRows(
  defs: TableDef[],
  fieldsOf: (table: string) => FieldDef[],
): [string, SimRecord[]][] {
  const objects: SimRecord[] = [];
  const dictionary: SimRecord[] = [];
  const choices: SimRecord[] = [];
  const extended = new Set(defs.map((d) => d.superClass).filter((s): s is string => !!s));
  for (const def of defs) {
    objects.push({
      sys_id: stableSysId(`sys_db_object:${def.name}`),
      name: def.name,
      label: def.label,
      super_class: def.superClass ? stableSysId(`sys_db_object:${def.superClass}`) : '',
      sys_name: def.label,
      is_extendable: bool(extended.has(def.name) || def.name === 'task'),
      number_ref: def.numberPrefix ?? '',
    });
    dictionary.push({
      sys_id: stableSysId(`sys_dictionary:${def.name}:`),
      name: def.name,
      element: '',
      column_label: def.label,
      internal_type: 'collection',
      reference: '',
      max_length: '40',
      mandatory: 'false',
      read_only: 'false',
      active: 'true',
      default_value: '',
    });
    // Own columns only: inherited ones are described on the parent (Camel walks super_class, C.7),
    // except overrides (a child redefining a parent's column, e.g. incident.state's choices).
    const parentNames = new Set(def.superClass ? fieldsOf(def.superClass).map((f) => f.name) : []);
    for (const f of def.fields) {
      if (!parentNames.has(f.name)) {
        dictionary.push({
          sys_id: stableSysId(`sys_dictionary:${def.name}:${f.name}`),
          name: def.name,
          element: f.name,
          column_label: f.label,
          internal_type: f.type,
          reference: f.reference ?? '',
          max_length: String(f.maxLength ?? DEFAULT_MAX_LENGTH[f.type] ?? 40),
          mandatory: bool(f.mandatory),
          read_only: bool(f.readOnly),
          active: 'true',
          default_value: f.defaultValue ?? '',
        });
      }
      for (const [sequence, c] of (f.choices ?? []).entries()) {
        choices.push({
          sys_id: stableSysId(`sys_choice:${def.name}:${f.name}:${c.value}`),
          name: def.name,
          element: f.name,
          value: c.value,
          label: c.label,
          language: 'en',
          inactive: 'false',
          sequence: String(sequence),
        });
      }
    }
  }
  return [
    ['sys_db_object', objects],
    ['sys_dictionary', dictionary],
    ['sys_choice', choices],
  ];
}
