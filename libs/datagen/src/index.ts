export * from './prng.js';
export * from './catalogue.js';
export * from './generator.js';
export * from './events.js';
