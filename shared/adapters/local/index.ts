export * from './blob-store';
export * from './clock';
export * from './queue';
export * from './scheduler';
export * from './secret-store';
export * from './state-table';
