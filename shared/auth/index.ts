export * from './authorization-header';
export * from './platform-secrets';
export * from './verify-platform-credentials';
