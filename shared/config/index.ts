export * from './config-error';
export * from './local-config';
export * from './parse';
export * from './version';
