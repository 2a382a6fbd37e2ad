import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { appVariables, readEnvExample, root } from './env-example.js';

/** docker-compose.yml cannot run here (no Docker engine), so this keeps it in step with the local scripts. */
const compose = parse(readFileSync(new URL('docker-compose.yml', root), 'utf8')) as {
  services: Record<string, { image?: string; ports?: string[]; environment?: Record<string, unknown>; command?: string[] }>;
};
const pom = readFileSync(new URL('deploy/kafka/pom.xml', root), 'utf8');
const { sections, optional } = readEnvExample();
const APPS = ['registry', 'mainland', 'hong-kong', 'macao'] as const;

describe('docker-compose.yml matches .env.example and the local scripts', () => {
  it('runs Kafka at the version deploy/kafka/pom.xml fetches', () => {
    const version = /<kafka.version>([^<]+)<\/kafka.version>/.exec(pom)?.[1];
    expect(version).toBeDefined();
    expect(compose.services.kafka.image).toBe(`apache/kafka:${version}`);
  });

  it.each(APPS)('%s publishes the default port of its .env.example section', (app) => {
    const port = sections.get(app)?.get('PORT');
    expect(port).toMatch(/^\d+$/);
    expect(compose.services[app].ports).toContain(`127.0.0.1:${port}:${port}`);
    expect(String(compose.services[app].environment?.PORT)).toBe(port);
  });

  it.each(APPS)('%s reads only variables that .env.example lists, with the same schema and Kafka user', (app) => {
    const known = appVariables({ sections, optional }, app);
    const environment = compose.services[app].environment ?? {};
    for (const name of Object.keys(environment)) expect({ app, name, listed: known.has(name) }).toEqual({ app, name, listed: true });
    for (const name of ['DATABASE_SCHEMA', 'KAFKA_USERNAME']) {
      expect(String(environment[name])).toBe(sections.get(app)?.get(name));
    }
  });

  it.each(APPS)('%s gets every variable of its section, from the environment or the generated key file', (app) => {
    const environment = compose.services[app].environment ?? {};
    const command = (compose.services[app].command ?? []).join(' ');
    for (const name of sections.get(app)?.keys() ?? []) {
      if (optional.has(name)) continue;
      const provided = name in environment || command.includes(`${name}=`) || (name === 'TRUSTED_KEYS' && command.includes('/keys/dev-keys.env'));
      expect({ app, name, provided }).toEqual({ app, name, provided: true });
    }
  });
});
