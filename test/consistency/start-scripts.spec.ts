import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';

/**
 * npm start and npm run start:cluster as a security officer reads them (issue 22): each app connects to PostgreSQL as
 * its own role (never the superuser of DATABASE_URL), Kafka is TLS unless KAFKA_TLS=false, and no password is put on a
 * command line (`env VAR=secret node …` shows it to every user in `ps`).
 */
const scripts = {
  'scripts/start.sh': readFileSync(new URL('../../scripts/start.sh', import.meta.url), 'utf8'),
  'scripts/start-cluster.sh': readFileSync(new URL('../../scripts/start-cluster.sh', import.meta.url), 'utf8'),
};
const ROLE_OF_APP: Record<string, string> = { registry: 'REGISTRY', mainland: 'MAINLAND', 'hong-kong': 'HONG_KONG', macao: 'MACAO' };

/** Every `start_app APP …` call with its continuation lines joined. */
function startAppCalls(text: string): { app: string; call: string }[] {
  const joined = text.replace(/\\\n\s*/g, ' ');
  return [...joined.matchAll(/^\s*start_app ([a-z-]+) .*$/gm)].map((match) => ({ app: match[1], call: match[0] }));
}

describe.each(Object.entries(scripts))('%s', (name, text) => {
  it("starts every app with its own database role's URL, read from the role set-up", () => {
    const calls = startAppCalls(text);
    expect(calls.map((c) => c.app).sort()).toEqual(expect.arrayContaining(['hong-kong', 'macao', 'mainland', 'registry']));
    for (const { app, call } of calls)
      expect({ app, url: /DATABASE_URL="([^"]+)"/.exec(call)?.[1] }).toEqual({ app, url: `$DATABASE_URL_${ROLE_OF_APP[app]}` });
    expect(text).toMatch(/roles\.cli\.js --print-urls/);
  });

  it('passes no variable to an app on a command line: start_app (scripts/lib.sh) exports them in a subshell that execs node', () => {
    // One start_app for both scripts, in lib.sh; a script that defined its own would be checked instead.
    const own = /start_app\(\) \{([\s\S]*?)\n\}/.exec(text)?.[1];
    const body = own ?? /start_app\(\) \{([\s\S]*?)\n\}/.exec(readFileSync(new URL('../../scripts/lib.sh', import.meta.url), 'utf8'))?.[1] ?? '';
    expect(body).toMatch(/export "\$\{assignment\?\}"/);
    expect(body).toMatch(/exec node /);
    expect(text).not.toMatch(/^\s*env [A-Z_]+=.*node /m);
  });

  it('talks TLS to Kafka unless KAFKA_TLS=false (use_kafka_tls: KAFKA_TLS=true and the development CA as KAFKA_CA_FILE)', () => {
    expect(text).toMatch(/^use_kafka_tls$/m);
    const lib = readFileSync(new URL('../../scripts/lib.sh', import.meta.url), 'utf8');
    expect(lib).toMatch(/export KAFKA_TLS="\$\{KAFKA_TLS:-true\}"/);
    expect(lib).toMatch(/export KAFKA_CA_FILE="\$\{KAFKA_CA_FILE:-/);
  });

  if (name === 'scripts/start-cluster.sh') {
    it("gives the three sites' registry schemas to the registry's role", () => {
      expect(text).toMatch(/roles\.cli\.js --print-urls --registry-schemas registry_cn,registry_hk,registry_mo/);
      expect(text).toMatch(/DATABASE_SCHEMA="registry_\$lower"/);
    });
  }
});
