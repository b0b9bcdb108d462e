export * from './blob-store';
export * from './errors';
export * from './queue';
export * from './secret-store';
export * from './state-table';
