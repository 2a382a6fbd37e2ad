export * from './authority.config.js';
export * from './authority.module.js';
export * from './authority.tokens.js';
export * from './start-authority-app.js';
export * from './expiry/expiry-job.js';
export * from './relay/outbox-relay.js';
export * from './use-cases/expire-recordations.use-case.js';
export * from './migrations/index.js';
