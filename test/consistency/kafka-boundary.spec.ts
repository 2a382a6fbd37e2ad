import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The Kafka client library is named in one place (libs/platform/src/kafka); apps and libs take it from #platform. */
const root = fileURLToPath(new URL('../../', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return entry === 'node_modules' ? [] : sources(path);
    return /\.ts$/.test(entry) && !/\.(int-|e2e-|smoke-)?spec\.ts$/.test(entry) ? [path] : [];
  });
}

describe('the Kafka client boundary', () => {
  it('only libs/platform/src/kafka imports a Kafka client library', () => {
    const offenders = ['apps', 'libs', 'test/support', 'test/faults', 'scripts']
      .flatMap((dir) => sources(join(root, dir)))
      .filter((file) => /from '(kafkajs|@platformatic\/kafka|@confluentinc\/kafka-javascript)'/.test(readFileSync(file, 'utf8')))
      .map((file) => relative(root, file))
      .filter((file) => !file.startsWith('libs/platform/src/kafka/'));
    expect(offenders).toEqual([]);
  });
});
