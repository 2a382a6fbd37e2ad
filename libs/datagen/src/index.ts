export * from './prng.js';
export * from './catalogue.js';
export * from './generator.js';
