import { randomUUID } from 'node:crypto';
import { SIM_TABLES } from '../data/schema';
import { compileQuery, type QuerySchema } from '../query/compile';
import { executeQuery } from '../query/planner';
import { createClock, formatDateTime } from './clock';
import { SimDatabaseError } from './errors';
import { metadataRows } from './metadata';

export { stableSysId } from './metadata';

import { type Row, SortedIndex } from './sortedIndex';
import type {
  ExplainedQueryResult,
  FieldDef,
  QueryOptions,
  SimClock,
  SimDatabaseStore,
  SimRecord,
  TableDef,
  WriteContext,
} from './types';

export interface DatabaseOptions {
  clock?: SimClock;
  /** Unknown fields in queries return no rows (glide.invalid_query.returns_no_rows). */
  strictQueries?: boolean;
  /** Table definitions (default: SIM_TABLES, the simulator's full schema). */
  tables?: TableDef[];
  /** Equality (hash) indexes per table, inherited by extending tables. Defaults to DEFAULT_HASH_INDEXES. */
  hashIndexes?: Record<string, string[]>;
  /** 'naive' disables every index (full scan + sort): a reference to test the planner against. */
  planner?: 'cost' | 'naive';
  /** sys_id source for inserts without one (default: random 32 lowercase hex). */
  newSysId?: () => string;
}

/** Equality indexes a real instance would have (lookups by number, user name, parent record...). */
export const DEFAULT_HASH_INDEXES: Record<string, string[]> = {
  task: ['number'],
  sys_user: ['user_name'],
  sys_user_group: ['name'],
  sys_user_grmember: ['user', 'group'],
  sys_user_has_role: ['user'],
  sys_journal_field: ['element_id'],
  sys_attachment: ['table_sys_id'],
  sys_audit_delete: ['documentkey'],
  sys_db_object: ['name'],
  sys_dictionary: ['name'],
  sys_choice: ['name'],
};

/** Fields callers never write; sys_id only on insert. */
const SYSTEM_FIELDS = new Set([
  'sys_id',
  'sys_created_on',
  'sys_created_by',
  'sys_updated_on',
  'sys_updated_by',
  'sys_mod_count',
  'sys_class_name',
]);

const SYS_ID = /^[0-9a-f]{32}$/;

interface TableState {
  def: TableDef;
  name: string;
  fields: FieldDef[];
  names: string[];
  columns: Map<string, number>;
  parent: TableState | undefined;
  children: TableState[];
  byId: SortedIndex;
  ordered: SortedIndex[];
  hashes: Map<number, Map<string, Row[]>>;
  col: {
    createdOn: number;
    createdBy: number;
    updatedOn: number;
    updatedBy: number;
    modCount: number;
    className: number | undefined;
    number: number | undefined;
  };
  /** Indexes whose key changes on every update (sys_updated_on). */
  size: number;
}

function isJournal(def: FieldDef): boolean {
  return def.type === 'journal_input' || def.type === 'journal';
}

export function createDatabase(options: DatabaseOptions = {}): SimDatabaseStore {
  const clock = options.clock ?? createClock();
  const strictDefault = options.strictQueries === true;
  const naivePlanner = options.planner === 'naive';
  const newSysId = options.newSysId ?? (() => randomUUID().replaceAll('-', ''));
  const hashConfig = options.hashIndexes ?? DEFAULT_HASH_INDEXES;
  const defs = options.tables ?? SIM_TABLES;
  const states = new Map<string, TableState>();
  const counters = new Map<string, number>();

  // ---- schema ----
  const defByName = new Map(defs.map((d) => [d.name, d]));
  const build = (def: TableDef): TableState => {
    const existing = states.get(def.name);
    if (existing) return existing;
    let parent: TableState | undefined;
    if (def.superClass) {
      const parentDef = defByName.get(def.superClass);
      if (!parentDef)
        throw new SimDatabaseError('invalid_schema', `${def.name} extends unknown ${def.superClass}`);
      parent = build(parentDef);
    }
    // Inherited columns keep their positions, so a row of a child table can be read through its parent.
    const fields: FieldDef[] = parent ? [...parent.fields] : [];
    const columns = new Map<string, number>(parent ? parent.columns : []);
    for (const f of def.fields) {
      const at = columns.get(f.name);
      if (at === undefined) {
        columns.set(f.name, fields.length);
        fields.push(f);
      } else fields[at] = f; // override (e.g. incident.state choices)
    }
    if (fields[0]?.name !== 'sys_id')
      throw new SimDatabaseError('invalid_schema', `${def.name}: sys_id must be column 0`);
    const need = (name: string): number => {
      const at = columns.get(name);
      if (at === undefined) throw new SimDatabaseError('invalid_schema', `${def.name} lacks ${name}`);
      return at;
    };
    const col = {
      createdOn: need('sys_created_on'),
      createdBy: need('sys_created_by'),
      updatedOn: need('sys_updated_on'),
      updatedBy: need('sys_updated_by'),
      modCount: need('sys_mod_count'),
      className: columns.get('sys_class_name'),
      number: def.numberPrefix || parent ? columns.get('number') : undefined,
    };
    const byId = new SortedIndex(0);
    const hashes = new Map<number, Map<string, Row[]>>();
    for (let s: TableDef | undefined = def; s; s = s.superClass ? defByName.get(s.superClass) : undefined) {
      for (const name of hashConfig[s.name] ?? []) {
        const at = columns.get(name);
        if (at !== undefined) hashes.set(at, new Map());
      }
    }
    const state: TableState = {
      def,
      name: def.name,
      fields,
      names: fields.map((f) => f.name),
      columns,
      parent,
      children: [],
      byId,
      ordered: [byId, new SortedIndex(col.updatedOn), new SortedIndex(col.createdOn)],
      hashes,
      col,
      get size() {
        return byId.size;
      },
    };
    parent?.children.push(state);
    states.set(def.name, state);
    return state;
  };
  for (const def of defs) build(def);

  const state = (table: string): TableState => {
    const s = states.get(table);
    if (!s) throw new SimDatabaseError('unknown_table', `Invalid table ${table}`);
    return s;
  };

  const descendants = (s: TableState): TableState[] => [s, ...s.children.flatMap(descendants)];

  const classOfRow = (s: TableState, row: Row): TableState => {
    if (s.col.className === undefined) return s;
    return states.get(row[s.col.className] ?? '') ?? s;
  };

  const findRow = (s: TableState, sysId: string): Row | undefined => s.byId.find(sysId, sysId);

  const materialize = (s: TableState, row: Row): SimRecord => {
    const out: SimRecord = {};
    const names = s.names;
    for (let i = 0; i < names.length; i++) out[names[i]!] = row[i] ?? '';
    return out;
  };

  // ---- index maintenance ----
  const chain = (cls: TableState): TableState[] => {
    const out: TableState[] = [];
    for (let s: TableState | undefined = cls; s; s = s.parent) out.push(s);
    return out;
  };

  const addRow = (cls: TableState, row: Row, bulk = false): void => {
    for (const s of chain(cls)) {
      for (const index of s.ordered) {
        if (bulk) index.append(row);
        else index.insert(row);
      }
      for (const [at, hash] of s.hashes) hashAdd(hash, row[at] ?? '', row);
    }
  };

  const removeRow = (cls: TableState, row: Row): void => {
    for (const s of chain(cls)) {
      for (const index of s.ordered) index.remove(row);
      for (const [at, hash] of s.hashes) hashRemove(hash, row[at] ?? '', row);
    }
  };

  const hashAdd = (hash: Map<string, Row[]>, key: string, row: Row): void => {
    const rows = hash.get(key);
    if (rows) rows.push(row);
    else hash.set(key, [row]);
  };

  const hashRemove = (hash: Map<string, Row[]>, key: string, row: Row): void => {
    const rows = hash.get(key);
    if (!rows) return;
    const at = rows.indexOf(row);
    if (at >= 0) rows.splice(at, 1);
    if (rows.length === 0) hash.delete(key);
  };

  // ---- values ----
  const nextNumber = (prefix: string): string => {
    const n = (counters.get(prefix) ?? 10000) + 1;
    counters.set(prefix, n);
    return `${prefix}${String(n).padStart(7, '0')}`;
  };

  const noteNumber = (prefix: string, number: string): void => {
    if (!number.startsWith(prefix)) return;
    const n = Number(number.slice(prefix.length));
    if (Number.isInteger(n) && n > (counters.get(prefix) ?? 10000)) counters.set(prefix, n);
  };

  const prefixOf = (s: TableState): string | undefined => {
    for (let t: TableState | undefined = s; t; t = t.parent)
      if (t.def.numberPrefix) return t.def.numberPrefix;
    return undefined;
  };

  const defaultValue = (def: FieldDef, context: WriteContext | undefined, now: string): string => {
    const v = def.defaultValue;
    if (v === undefined) return '';
    if (v === 'javascript:gs.nowDateTime()') return now;
    if (v === 'javascript:gs.getUserID()') return context?.userSysId ?? '';
    return v;
  };

  /** Coerces a caller-supplied value; undefined means "drop it" (invalid choice). */
  const coerce = (def: FieldDef, value: unknown): string | undefined => {
    const text = value === null || value === undefined ? '' : String(value);
    if (def.type === 'boolean') {
      if (text === '') return '';
      return text === 'true' || text === '1' ? 'true' : 'false';
    }
    if (def.choices && text !== '' && !def.choices.some((c) => c.value === text)) return undefined;
    return text;
  };

  const fillSystem = (s: TableState, row: Row, context: WriteContext | undefined, now: string): void => {
    if (!row[0]) row[0] = newSysId();
    const { col } = s;
    if (col.className !== undefined && !row[col.className]) row[col.className] = s.name;
    const prefix = prefixOf(s);
    if (col.number !== undefined && prefix) {
      if (!row[col.number]) row[col.number] = nextNumber(prefix);
      else noteNumber(prefix, row[col.number]!);
    }
    const user = context?.userName ?? 'system';
    if (!row[col.createdOn]) row[col.createdOn] = now;
    if (!row[col.createdBy]) row[col.createdBy] = user;
    if (!row[col.updatedOn]) row[col.updatedOn] = row[col.createdOn]!;
    if (!row[col.updatedBy]) row[col.updatedBy] = row[col.createdBy]!;
    if (!row[col.modCount]) row[col.modCount] = '0';
  };

  const ensureNew = (s: TableState, sysId: string): void => {
    if (!SYS_ID.test(sysId)) throw new SimDatabaseError('invalid_sys_id', `Invalid sys_id ${sysId}`);
    let root = s;
    while (root.parent) root = root.parent;
    if (findRow(root, sysId)) throw new SimDatabaseError('duplicate_sys_id', `Duplicate sys_id ${sysId}`);
  };

  const appendJournal = (
    s: TableState,
    sysId: string,
    entries: [string, string][],
    context: WriteContext,
    now: string,
  ): void => {
    const journal = states.get('sys_journal_field');
    if (!journal) return;
    for (const [element, value] of entries) {
      insertRow(journal, { element, element_id: sysId, name: s.name, value }, context, now);
    }
  };

  /** Trusted insert used by both public insert (after filtering) and load. */
  const insertRow = (
    s: TableState,
    values: SimRecord,
    context: WriteContext | undefined,
    now: string,
    bulk = false,
  ): Row => {
    const fields = s.fields;
    const row: Row = new Array(fields.length);
    for (let i = 0; i < fields.length; i++) {
      const f = fields[i]!;
      const v = values[f.name];
      row[i] = v === undefined ? defaultValue(f, context, now) : v;
    }
    fillSystem(s, row, context, now);
    // Bulk loads trust their (random 128-bit) sys_ids: checking would force the lazy index merge per row.
    if (!bulk) ensureNew(s, row[0]!);
    else if (!SYS_ID.test(row[0]!)) throw new SimDatabaseError('invalid_sys_id', `Invalid sys_id ${row[0]}`);
    addRow(s, row, bulk);
    return row;
  };

  const displayOfRow = (s: TableState, row: Row): string => {
    const at = s.columns.get(s.def.displayField);
    return at === undefined ? (row[0] ?? '') : (row[at] ?? '');
  };

  const referenceDisplay = (table: string, sysId: string): string => {
    const s = states.get(table);
    const row = s && findRow(s, sysId);
    return s && row ? displayOfRow(classOfRow(s, row), row) : '';
  };

  const userDisplay = (userName: string): string => {
    const users = states.get('sys_user');
    const at = users?.columns.get('user_name');
    const set = at === undefined ? undefined : users?.hashes.get(at)?.get(userName);
    const row = set?.[0];
    return users && row ? displayOfRow(users, row) || userName : userName;
  };

  /** ServiceNow's concatenated journal history, newest first. */
  const journalDisplay = (def: FieldDef, sysId: string): string => {
    const journal = states.get('sys_journal_field');
    if (!journal || !sysId) return '';
    const c = journal.columns;
    const [el, val, on, by] = ['element', 'value', 'sys_created_on', 'sys_created_by'].map((n) => c.get(n)!);
    const set = journal.hashes.get(c.get('element_id')!)?.get(sysId);
    if (!set) return '';
    const rows = set.filter((r) => r[el!] === def.name).reverse();
    rows.sort((a, b) => (a[on!]! < b[on!]! ? 1 : a[on!]! > b[on!]! ? -1 : 0));
    return rows
      .map((r) => `${r[on!]} - ${userDisplay(r[by!] ?? '')} (${def.label})\n${r[val!]}\n\n`)
      .join('');
  };

  const displayOf = (def: FieldDef, value: string, sysId: string): string => {
    if (isJournal(def)) return journalDisplay(def, sysId);
    if (value === '') return '';
    if (def.type === 'reference' && def.reference) return referenceDisplay(def.reference, value);
    if (def.choices) return def.choices.find((c) => c.value === value)?.label ?? value;
    return value;
  };

  // ---- dot-walk helpers ----
  const walk = (
    table: string,
    record: SimRecord,
    path: string,
  ): { def: FieldDef; value: string; sysId: string } | undefined => {
    const parts = path.split('.');
    let s = states.get(table);
    let value = '';
    let sysId = record.sys_id ?? '';
    let def: FieldDef | undefined;
    let current: Row | SimRecord | undefined = record;
    for (const [n, part] of parts.entries()) {
      if (!s) return undefined;
      const at = s.columns.get(part);
      if (at === undefined) return undefined;
      def = s.fields[at]!;
      if (current === undefined) value = '';
      else value = Array.isArray(current) ? (current[at] ?? '') : (current[part] ?? '');
      if (n < parts.length - 1) {
        if (def.type !== 'reference' || !def.reference) return undefined;
        const target = states.get(def.reference);
        current = target && value ? findRow(target, value) : undefined;
        sysId = value;
        s = target;
      }
    }
    return def ? { def, value, sysId } : undefined;
  };

  const schema: QuerySchema = {
    column(table, field) {
      const s = states.get(table);
      const index = s?.columns.get(field);
      return s && index !== undefined ? { index, def: s.fields[index]! } : undefined;
    },
    lookup(table, sysId) {
      const s = states.get(table);
      return s && findRow(s, sysId);
    },
    referenceDisplay,
    descendants(table) {
      const s = states.get(table);
      return s && descendants(s).map((d) => d.name);
    },
  };

  const db: SimDatabaseStore = {
    clock,
    tables: () => defs,
    table: (name) => states.get(name)?.def,
    fields: (table) => state(table).fields,

    query(table, options: QueryOptions): ExplainedQueryResult {
      const s = state(table);
      const compiled = compileQuery(schema, table, options.query ?? '', {
        now: clock.now(),
        userSysId: options.userSysId,
        strict: options.strict ?? strictDefault,
      });
      const run = executeQuery(s, compiled, {
        limit: options.limit,
        offset: options.offset,
        noCount: options.noCount,
        naive: naivePlanner,
      });
      return {
        rows: run.rows.map((row) => materialize(s, row)),
        total: run.total,
        cost: run.cost,
        plan: run.plan,
        ignored: compiled.ignored,
      };
    },

    get(table, sysId) {
      const s = state(table);
      const row = findRow(s, sysId);
      return row && materialize(s, row);
    },

    insert(table, values, context) {
      const s = state(table);
      const now = formatDateTime(clock.now());
      const accepted: SimRecord = {};
      const journal: [string, string][] = [];
      for (const [name, value] of Object.entries(values)) {
        const at = s.columns.get(name);
        if (at === undefined) continue; // unknown body fields are ignored
        const def = s.fields[at]!;
        if (name === 'sys_id') {
          if (value) accepted.sys_id = String(value);
          continue;
        }
        if (SYSTEM_FIELDS.has(name)) continue;
        if (isJournal(def)) {
          if (value) journal.push([name, String(value)]);
          continue;
        }
        const v = coerce(def, value);
        if (v !== undefined) accepted[name] = v;
      }
      if (accepted.sys_id === undefined) accepted.sys_id = newSysId();
      const row = insertRow(s, accepted, context, now);
      appendJournal(s, row[0]!, journal, context, now);
      return materialize(s, row);
    },

    update(table, sysId, values, context) {
      const s = state(table);
      const row = findRow(s, sysId);
      if (!row) return undefined;
      const cls = classOfRow(s, row);
      const now = formatDateTime(clock.now());
      const changes: [number, string][] = [];
      const journal: [string, string][] = [];
      for (const [name, value] of Object.entries(values)) {
        const at = s.columns.get(name);
        if (at === undefined || SYSTEM_FIELDS.has(name)) continue;
        const def = s.fields[at]!;
        if (isJournal(def)) {
          if (value) journal.push([name, String(value)]);
          continue;
        }
        const v = coerce(def, value);
        if (v !== undefined && v !== row[at]) changes.push([at, v]);
      }
      // Like GlideRecord.update(), an update that changes nothing is not written.
      if (changes.length === 0 && journal.length === 0) return materialize(s, row);
      const { col } = cls;
      const touched = new Set([col.updatedOn, ...changes.map(([at]) => at)]);
      const links = chain(cls);
      for (const t of links) {
        for (const index of t.ordered) if (touched.has(index.column)) index.remove(row);
        for (const [at, hash] of t.hashes) if (touched.has(at)) hashRemove(hash, row[at] ?? '', row);
      }
      for (const [at, v] of changes) {
        row[at] = v;
        if (at === col.number) {
          const prefix = prefixOf(cls);
          if (prefix) noteNumber(prefix, v);
        }
      }
      row[col.updatedOn] = now;
      row[col.updatedBy] = context.userName;
      row[col.modCount] = String((Number(row[col.modCount]) || 0) + 1);
      for (const t of links) {
        for (const index of t.ordered) if (touched.has(index.column)) index.insert(row);
        for (const [at, hash] of t.hashes) if (touched.has(at)) hashAdd(hash, row[at] ?? '', row);
      }
      appendJournal(cls, row[0]!, journal, context, now);
      return materialize(s, row);
    },

    delete(table, sysId, context) {
      const s = state(table);
      const row = findRow(s, sysId);
      if (!row) return false;
      const cls = classOfRow(s, row);
      const display = displayOfRow(cls, row);
      removeRow(cls, row);
      const audit = states.get('sys_audit_delete');
      if (audit && cls.def.auditDeletes !== false) {
        insertRow(
          audit,
          { tablename: cls.name, documentkey: sysId, display_value: display },
          context,
          formatDateTime(clock.now()),
        );
      }
      return true;
    },

    displayValue(table, record, field) {
      const s = state(table);
      const at = s.columns.get(field);
      if (at === undefined) return record[field] ?? '';
      return displayOf(s.fields[at]!, record[field] ?? '', record.sys_id ?? '');
    },

    size: (table) => state(table).byId.size,

    load(table, values) {
      const s = state(table);
      return insertRow(s, values, undefined, formatDateTime(clock.now()), true)[0]!;
    },

    settle() {
      for (const s of states.values()) for (const index of s.ordered) index.settle();
    },

    field(table, path) {
      const s = states.get(table);
      if (!s) return undefined;
      const parts = path.split('.');
      let current: TableState | undefined = s;
      let def: FieldDef | undefined;
      for (const [n, part] of parts.entries()) {
        const at: number | undefined = current?.columns.get(part);
        if (!current || at === undefined) return undefined;
        def = current.fields[at]!;
        if (n < parts.length - 1) current = def.reference ? states.get(def.reference) : undefined;
      }
      return def;
    },

    valueAt(table, record, path) {
      return walk(table, record, path)?.value ?? '';
    },

    displayAt(table, record, path) {
      const w = walk(table, record, path);
      return w ? displayOf(w.def, w.value, w.sysId) : '';
    },

    referenceDisplay,

    descendants: (table) => descendants(state(table)).map((d) => d.name),

    classOf(table, sysId) {
      const s = state(table);
      const row = findRow(s, sysId);
      return row && classOfRow(s, row).name;
    },
  };

  // Metadata tables describe every table, generated from the definitions.
  for (const [table, rows] of metadataRows(defs, (name) => db.fields(name))) {
    if (!states.has(table)) continue;
    for (const values of rows) db.load(table, values);
  }
  db.settle();
  return db;
}
