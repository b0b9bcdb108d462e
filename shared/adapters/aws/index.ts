export * from './blob-store';
export * from './queue-producer';
export * from './secret-store';
export * from './state-table';
