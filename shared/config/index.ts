export * from './config-error';
export * from './env';
export * from './local-config';
export * from './version';
