/**
 * Turns stored records (all strings, references as sys_ids) into Table API JSON per the Table API's shape
 * matrix: `sysparm_display_value` false/true/all x
 * `sysparm_exclude_reference_link`, dot-walked `sysparm_fields` keys (`caller_id.email`), journal fields.
 */
import type { FieldDef, SimDatabase, SimRecord } from '../store/types';

export type DisplayMode = 'false' | 'true' | 'all';

export interface ShapeOptions {
  display: DisplayMode;
  excludeReferenceLink: boolean;
  /** Requested `sysparm_fields` (already split); undefined = every field. */
  fields: string[] | undefined;
  /** Work units spent reading journal history are added here (cost model). */
  cost: { units: number };
}

type Shaped = string | Record<string, string>;

const JOURNAL_LABELS: Record<string, string> = { comments: 'Additional comments', work_notes: 'Work notes' };

/** A resolved `sysparm_fields` entry: the key as requested and the reference path to its field. */
interface FieldPath {
  key: string;
  /** Each hop: the table it is read from and the field def (all but the last are references). */
  hops: { table: string; def: FieldDef }[];
}

export class RecordShaper {
  private readonly defs = new Map<string, Map<string, FieldDef>>();
  private readonly paths = new Map<string, FieldPath[]>();

  constructor(
    private readonly db: SimDatabase,
    private readonly baseUrl: string,
  ) {}

  fieldMap(table: string): Map<string, FieldDef> {
    let map = this.defs.get(table);
    if (!map) {
      map = new Map(this.db.fields(table).map((f) => [f.name, f]));
      this.defs.set(table, map);
    }
    return map;
  }

  /**
   * Resolves `sysparm_fields`; invalid names (and dot-walks through non-references) are ignored, as the
   * docs say (A.2). Undefined = every field of the table.
   */
  resolve(table: string, fields: string[] | undefined): FieldPath[] {
    const cacheKey = `${table}|${fields?.join(',') ?? '*'}`;
    const cached = this.paths.get(cacheKey);
    if (cached) return cached;
    const result: FieldPath[] = [];
    if (!fields) {
      for (const def of this.fieldMap(table).values()) result.push({ key: def.name, hops: [{ table, def }] });
    } else {
      const seen = new Set<string>();
      for (const key of fields) {
        if (seen.has(key)) continue;
        const path = this.walk(table, key);
        if (path) {
          seen.add(key);
          result.push(path);
        }
      }
    }
    this.paths.set(cacheKey, result);
    return result;
  }

  private walk(table: string, key: string): FieldPath | undefined {
    const hops: FieldPath['hops'] = [];
    let current: string | undefined = table;
    const parts = key.split('.');
    for (let i = 0; i < parts.length; i++) {
      if (!current) return undefined;
      const def = this.fieldMap(current).get(parts[i] ?? '');
      if (!def) return undefined;
      hops.push({ table: current, def });
      if (i < parts.length - 1) {
        if (def.type !== 'reference' || !def.reference) return undefined;
        current = def.reference;
      }
    }
    return { key, hops };
  }

  shape(table: string, record: SimRecord, options: ShapeOptions): Record<string, Shaped> {
    const out: Record<string, Shaped> = {};
    for (const path of this.resolve(table, options.fields)) {
      let source: SimRecord | undefined = record;
      const last = path.hops.length - 1;
      for (let i = 0; i < last && source; i++) {
        const hop = path.hops[i]!;
        const id: string = source[hop.def.name] ?? '';
        source = id ? this.db.get(hop.def.reference ?? '', id) : undefined;
      }
      const final = path.hops[last]!;
      out[path.key] = this.value(final.table, source, final.def, options);
    }
    return out;
  }

  private value(table: string, record: SimRecord | undefined, def: FieldDef, options: ShapeOptions): Shaped {
    const value = record?.[def.name] ?? '';
    if (def.type === 'journal' || def.type === 'journal_input') {
      // A.6: journal fields read "" unless display values are asked for (then the concatenated history).
      if (options.display === 'false' || !record) return '';
      const text = this.journalText(table, record, def.name, options.cost);
      return options.display === 'true' ? text : { display_value: text, value: text };
    }
    if (def.type === 'reference') {
      // A.6: an empty reference is "" (never an object) with display_value=false/true.
      if (value === '') return options.display === 'all' ? { display_value: '', value: '' } : '';
      const link = `${this.baseUrl}/api/now/table/${def.reference ?? ''}/${value}`;
      const display = options.display === 'false' ? '' : this.display(table, record, def);
      if (options.display === 'false') return options.excludeReferenceLink ? value : { link, value };
      if (options.display === 'true')
        return options.excludeReferenceLink ? display : { display_value: display, link };
      return options.excludeReferenceLink
        ? { display_value: display, value }
        : { display_value: display, link, value };
    }
    if (options.display === 'false') return value;
    const display = this.display(table, record, def);
    return options.display === 'true' ? display : { display_value: display, value };
  }

  private display(table: string, record: SimRecord | undefined, def: FieldDef): string {
    if (!record) return '';
    return this.db.displayValue(table, record, def.name);
  }

  /** Newest first, as the UI and `sysparm_display_value=true` show it. */
  private journalText(table: string, record: SimRecord, field: string, cost: { units: number }): string {
    const id = record.sys_id ?? '';
    if (!id || !this.db.table('sys_journal_field')) return '';
    const elements = field === 'comments_and_work_notes' ? 'comments,work_notes' : field;
    const result = this.db.query('sys_journal_field', {
      query: `element_id=${id}^elementIN${elements}^ORDERBYDESCsys_created_on`,
      limit: 10_000,
      offset: 0,
      noCount: true,
    });
    cost.units += result.cost;
    // The history shows who wrote each entry by display name ("System Administrator"), not user_name.
    const names = new Map<string, string>();
    const displayName = (userName: string) => {
      let name = names.get(userName);
      if (name === undefined) {
        const user = this.db.query('sys_user', {
          query: `user_name=${userName}`,
          limit: 1,
          offset: 0,
          noCount: true,
        });
        cost.units += user.cost;
        name = user.rows[0]?.name || userName;
        names.set(userName, name);
      }
      return name;
    };
    return result.rows
      .filter((row) => !row.name || row.name === table || this.inherits(table, row.name))
      .map((row) => {
        const label = JOURNAL_LABELS[row.element ?? ''] ?? row.element ?? '';
        return `${row.sys_created_on ?? ''} - ${displayName(row.sys_created_by ?? '')} (${label})\n${row.value ?? ''}\n\n`;
      })
      .join('');
  }

  private inherits(table: string, ancestor: string): boolean {
    let current = this.db.table(table);
    while (current) {
      if (current.name === ancestor) return true;
      current = current.superClass ? this.db.table(current.superClass) : undefined;
    }
    return false;
  }
}
