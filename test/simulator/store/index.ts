export { createClock, formatDate, formatDateTime, parseDateTime } from './clock';
export { createDatabase, type DatabaseOptions, DEFAULT_HASH_INDEXES, stableSysId } from './database';
export { SimDatabaseError } from './errors';
export type * from './types';
