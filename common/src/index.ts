export * from './auth.ts';
export * from './database.ts';
export * from './http.ts';
export * from './lifecycle.ts';
export * from './logger.ts';
export * from './internal-protocol.ts';
export * from './phone.ts';
export * from './admin-protocol.ts';
