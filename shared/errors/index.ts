export * from './domain-errors';
export * from './element-error';
export * from './mapping';
