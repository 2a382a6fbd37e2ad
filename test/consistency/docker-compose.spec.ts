import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

/** docker-compose.yml cannot run here (no Docker engine), so this keeps it in step with the local scripts. */
const root = new URL('../../', import.meta.url);
const compose = parse(readFileSync(new URL('docker-compose.yml', root), 'utf8')) as {
  services: Record<string, { image?: string; ports?: string[]; environment?: Record<string, unknown>; command?: string[] }>;
};
const envExample = readFileSync(new URL('.env.example', root), 'utf8');
const pom = readFileSync(new URL('deploy/kafka/pom.xml', root), 'utf8');

/** `.env.example` sections: `# [name]` headers, then `NAME=value`, `# NAME=value` or (optional) `#? NAME=value` lines. */
const optional = new Set<string>();
function envSections(text: string): Map<string, Map<string, string>> {
  const sections = new Map<string, Map<string, string>>();
  let current = new Map<string, string>();
  for (const line of text.split('\n')) {
    const header = /^#\s*\[([a-z-]+)\]/.exec(line);
    if (header) {
      current = new Map();
      sections.set(header[1], current);
      continue;
    }
    const variable = /^(#\??)?\s*([A-Z][A-Z0-9_]*)=(\S*)/.exec(line);
    if (!variable) continue;
    current.set(variable[2], variable[3]);
    if (variable[1] === '#?') optional.add(variable[2]);
  }
  return sections;
}

const sections = envSections(envExample);
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
    const known = new Set([...(sections.get('shared')?.keys() ?? []), ...(sections.get(app)?.keys() ?? [])]);
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
