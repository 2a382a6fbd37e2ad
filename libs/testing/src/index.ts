export * from './test-database.js';
export * from './wait-for.js';
export * from './test-kafka.js';
export * from './private-broker.js';
export * from './private-postgres.js';
export * from './signed-events.js';
export * from './private-ports.js';
