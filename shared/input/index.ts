export * from './json';
export * from './limits';
