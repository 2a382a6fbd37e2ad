export * from './perceptual-hash.js';
