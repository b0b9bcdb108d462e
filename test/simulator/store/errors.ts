/** Typed failures of the in-memory database; the HTTP layer maps them to ServiceNow envelopes. */
export class SimDatabaseError extends Error {
  constructor(
    readonly code: 'unknown_table' | 'invalid_sys_id' | 'duplicate_sys_id' | 'invalid_schema',
    message: string,
  ) {
    super(message);
    this.name = 'SimDatabaseError';
  }
}
