export * from './authority-rules.js';
export * from './calendar.js';
export * from './lifecycle.js';
