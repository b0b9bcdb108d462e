import { createClock } from '../store/clock';
import { createDatabase } from '../store/database';
import type { SimDatabaseStore, WriteContext } from '../store/types';

export const START = new Date('2024-05-01T10:00:00Z');

/** A database with an empty schema-default data set and a frozen clock at START. */
export function freshDatabase(options: { strictQueries?: boolean } = {}): SimDatabaseStore {
  const clock = createClock(START);
  clock.freeze();
  return createDatabase({ clock, ...options });
}

/** Creates the admin user and returns a write context for it. */
export function admin(db: SimDatabaseStore): WriteContext & { userSysId: string } {
  const user = db.insert(
    'sys_user',
    { user_name: 'admin', first_name: 'System', last_name: 'Administrator', name: 'System Administrator' },
    { userName: 'admin' },
  );
  return { userName: 'admin', userSysId: user.sys_id! };
}

/** sys_id made of one repeated hex digit pattern, e.g. id(1) = '000...01'. */
export function id(n: number): string {
  return n.toString(16).padStart(32, '0');
}

export function numbers(rows: { number?: string }[]): string[] {
  return rows.map((r) => r.number ?? '');
}
