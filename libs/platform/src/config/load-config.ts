import 'reflect-metadata';
import { plainToInstance, type ClassConstructor } from 'class-transformer';
import { validateSync } from 'class-validator';
import { flattenValidationErrors } from '#contracts';
import { isProduction, kafkaTlsProblems, productionProblems } from './production-secrets.js';

export class ConfigError extends Error {
  constructor(readonly problems: { variable: string; reason: string }[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p.variable} ${p.reason}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Reads every variable a class declares from the environment, converts and validates it, and throws
 * one ConfigError naming each bad or missing variable. Called once at start-up, before anything connects. In
 * production mode (NODE_ENV=production) development defaults and short credentials are refused too.
 */
export function loadConfig<T extends object>(cls: ClassConstructor<T>, env: NodeJS.ProcessEnv = process.env): T {
  const source: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    // Empty variables count as unset, as in most .env tooling.
    if (value !== undefined && value !== '') source[key] = value;
  }
  const config = plainToInstance(cls, source, { exposeDefaultValues: true, excludeExtraneousValues: false });
  const errors = validateSync(config, { whitelist: false, forbidUnknownValues: false });
  if (errors.length) {
    // One line per variable: "is not set" when absent, else every reason it failed.
    const reasons = new Map<string, string[]>();
    for (const { field, reason } of flattenValidationErrors(errors)) reasons.set(field, [...(reasons.get(field) ?? []), reason]);
    throw new ConfigError(
      [...reasons].map(([variable, list]) => ({
        variable,
        reason: (config as Record<string, unknown>)[variable] === undefined ? 'is not set' : [...new Set(list)].join('; '),
      })),
    );
  }
  const tls = kafkaTlsProblems(config as Record<string, unknown>, isProduction(env));
  if (tls.length) throw new ConfigError(tls);
  // NODE_ENV=production (the Dockerfile's): no development default, no short credential (issue 22, item 3).
  if (isProduction(env)) {
    const problems = productionProblems(config as Record<string, unknown>);
    if (problems.length) throw new ConfigError(problems);
  }
  return config;
}
