export * from './lifecycle/index.js';
