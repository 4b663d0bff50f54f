export * from './errors.js';
export * from './envelope.js';
export * from './error-mapping.js';
export * from './retry-after.js';
export * from './redact.js';
export * from './http.js';
export * from './url-guard.js';
export * from './secret-ref.js';
