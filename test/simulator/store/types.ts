/**
 * Contract between the simulator's database (store/, query/, data/) and its HTTP layer (server, routes/).
 * The database holds ServiceNow-shaped records in memory: every stored value is a string, exactly as
 * the Table API returns it with sysparm_display_value=false;
 * reference fields store the target sys_id; empty is "".
 */

export type SimRecord = Record<string, string>;

export type FieldType =
  | 'GUID'
  | 'string'
  | 'integer'
  | 'decimal'
  | 'boolean'
  | 'glide_date_time'
  | 'glide_date'
  | 'reference'
  | 'choice'
  | 'journal_input'
  | 'journal'
  | 'sys_class_name'
  | 'user_image'
  | 'url'
  | 'email'
  | 'phone_number'
  | 'html'
  | 'conditions'
  | 'glide_duration';

export interface ChoiceDef {
  value: string;
  label: string;
}

export interface FieldDef {
  name: string;
  label: string;
  type: FieldType;
  /** Target table for type 'reference'. */
  reference?: string;
  mandatory?: boolean;
  readOnly?: boolean;
  maxLength?: number;
  defaultValue?: string;
  choices?: ChoiceDef[];
}

export interface TableDef {
  name: string;
  label: string;
  /** Parent table name (task -> incident). Fields of the parent are inherited. */
  superClass?: string;
  /** Fields declared on this table only (inherited ones come from superClass). */
  fields: FieldDef[];
  /** Field used as the display value of references to this table (number, name, user_name...). */
  displayField: string;
  /** Auto-numbering prefix (INC, PRB, CHG) for the `number` field. */
  numberPrefix?: string;
  /** Deletes write sys_audit_delete rows unless false. */
  auditDeletes?: boolean;
}

export interface SimClock {
  now(): Date;
  set(at: Date): void;
  advance(ms: number): void;
  /** Stop time from moving on its own (records then share one second). */
  freeze(): void;
  /** Let time follow the wall clock again, from the current simulated instant. */
  unfreeze(): void;
}

export interface QueryOptions {
  /** Encoded query (sysparm_query), may be empty. Includes ORDERBY/ORDERBYDESC terms. */
  query?: string;
  /** Page size, > 0. */
  limit: number;
  /** >= 0. */
  offset: number;
  /** Unknown field -> no rows instead of ignoring the condition (glide.invalid_query.returns_no_rows). */
  strict?: boolean;
  /** Skip counting the total (sysparm_no_count=true). */
  noCount?: boolean;
  /** The user running the query (for javascript:gs.getUserID()). */
  userSysId?: string;
}

export interface QueryResult {
  rows: SimRecord[];
  /** Total rows matching the query (pre-ACL), undefined when noCount. */
  total: number | undefined;
  /**
   * Work units spent: index entries / rows touched. An ordered keyset read costs ~ the page size,
   * a deep offset ~ the offset, an unindexed LIKE ~ the table size.
   */
  cost: number;
}

export interface WriteContext {
  /** user_name written to sys_created_by / sys_updated_by. */
  userName: string;
  userSysId?: string;
}

export interface SimDatabase {
  readonly clock: SimClock;
  tables(): TableDef[];
  table(name: string): TableDef | undefined;
  /** Own plus inherited fields, parent first. */
  fields(table: string): FieldDef[];
  query(table: string, options: QueryOptions): QueryResult;
  get(table: string, sysId: string): SimRecord | undefined;
  /** Sets sys_id (unless given), number, sys_created_*, sys_updated_*, sys_mod_count=0; journal fields -> sys_journal_field rows. */
  insert(table: string, values: SimRecord, context: WriteContext): SimRecord;
  /** Partial update; bumps sys_mod_count and sys_updated_*; journal fields append sys_journal_field rows. */
  update(table: string, sysId: string, values: SimRecord, context: WriteContext): SimRecord | undefined;
  /** Hard delete; writes a sys_audit_delete row when the table audits deletes. */
  delete(table: string, sysId: string, context: WriteContext): boolean;
  /** Display value of one field of a record (reference -> target's displayField, choice -> label). */
  displayValue(table: string, record: SimRecord, field: string): string;
  /** Number of rows in a table (no query). */
  size(table: string): number;
}

// ---- Additions by the database helper (nothing above changed) ----

/** QueryResult with the chosen plan, for diagnostics (`db.query` returns this). */
export interface ExplainedQueryResult extends QueryResult {
  /** e.g. "index(col 3, sys_id) 2 range(s) ordered scan asc with early stop". */
  plan: string;
  /** Conditions / ORDER BY keys dropped as invalid (unknown field, operator or script). */
  ignored: string[];
}

/** Extra capabilities of the in-memory database beyond the HTTP contract. */
export interface SimDatabaseStore extends SimDatabase {
  query(table: string, options: QueryOptions): ExplainedQueryResult;
  /**
   * Bulk/trusted load for generators and fixtures: values are stored as given (sys_* included, no choice
   * validation, no journal processing); missing sys_id, number, sys_* and defaults are filled in.
   * Returns the sys_id (no record object is built, so loading a million rows stays cheap).
   */
  load(table: string, values: SimRecord): string;
  /** Builds the indexes deferred by `load` (otherwise done lazily by the first read). */
  settle(): void;
  /** Definition of a possibly dot-walked field (`caller_id.email` -> sys_user.email); undefined if unknown. */
  field(table: string, path: string): FieldDef | undefined;
  /** Value of a possibly dot-walked field of a record ('' when a reference on the way is empty or dangling). */
  valueAt(table: string, record: SimRecord, path: string): string;
  /** Display value of a possibly dot-walked field. */
  displayAt(table: string, record: SimRecord, path: string): string;
  /** Display value of the record a reference points to (its table's displayField); '' when missing. */
  referenceDisplay(table: string, sysId: string): string;
  /** The table and all tables extending it. */
  descendants(table: string): string[];
  /** Actual class (sys_class_name) table of a stored record, e.g. 'incident' for a row read through 'task'. */
  classOf(table: string, sysId: string): string | undefined;
}
