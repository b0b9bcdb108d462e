export * from './authorization-header';
export * from './authorizer-context';
export * from './identity';
export * from './platform-secret-values';
export * from './platform-secrets';
export * from './token-index';
export * from './users';
export * from './verify-platform-credentials';
