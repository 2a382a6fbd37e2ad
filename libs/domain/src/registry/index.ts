export * from './normalise.js';
export * from './merge.js';
export * from './marks.js';
export * from './digest.js';
export * from './lookalike.js';
export * from './pinyin.js';
export * from './storable.js';
export * from './provenance-codec.js';
