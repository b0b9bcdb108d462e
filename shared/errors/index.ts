export * from './element-error';
