export * from './blob-store';
export * from './queue-producer';
export * from './scheduler';
export * from './secret-store';
export * from './state-table';
