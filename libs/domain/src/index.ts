export * from './lifecycle/index.js';
export * from './registry/index.js';
export * from './pictures/index.js';
