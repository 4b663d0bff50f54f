export * from './types.js';
export { FileConnectionStore } from './file-store.js';
export { resolveSecrets } from './secrets.js';
export { validateNewConnection } from './validate.js';
