import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Production dependencies are what the apps load; nothing installed with them phones home at install. */
const root = fileURLToPath(new URL('../../', import.meta.url));
const readJson = <T>(file: string) => JSON.parse(readFileSync(join(root, file), 'utf8')) as T;
type Manifest = {
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
};
const manifest = readJson<Manifest & { devDependencies: Record<string, string>; scarfSettings?: { enabled?: boolean } }>('package.json');
const production = Object.keys(manifest.dependencies ?? {});

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return entry === 'node_modules' || entry === 'web' ? [] : sources(path);
    return /\.ts$/.test(entry) && !/\.(int-|e2e-)?spec\.ts$/.test(entry) ? [path] : [];
  });
}

describe('dependencies where they belong', () => {
  it('lists as production dependencies only packages the apps import, or required peers of those', () => {
    const code = ['apps', 'libs'].flatMap((dir) => sources(join(root, dir)).map((file) => readFileSync(file, 'utf8'))).join('\n');
    const imported = new Set(production.filter((name) => new RegExp(`(from |import |require\\()'${name.replace('/', '\\/')}(/[^']*)?'`).test(code)));
    const requiredPeers = new Set(
      [...imported].flatMap((name) => {
        const peer = readJson<Manifest>(`node_modules/${name}/package.json`);
        return Object.keys(peer.peerDependencies ?? {}).filter((dep) => !peer.peerDependenciesMeta?.[dep]?.optional);
      }),
    );
    expect(production.filter((name) => !imported.has(name) && !requiredPeers.has(name))).toEqual([]);
    // Only the benchmark's naive consumer uses Nest's Kafka transport.
    expect(manifest.devDependencies['@nestjs/microservices']).toBeDefined();
  });

  it('runs no telemetry at install: the one production package with an install script (Scarf, under swagger-ui-dist) is switched off', () => {
    const lock = readJson<{ packages: Record<string, { dev?: boolean; hasInstallScript?: boolean }> }>('package-lock.json');
    const scripted = Object.entries(lock.packages)
      .filter(([path, entry]) => path && entry.hasInstallScript && !entry.dev)
      .map(([path]) => path.replace(/^.*node_modules\//, ''));
    expect(scripted.filter((name) => name !== '@scarf/scarf')).toEqual([]);
    if (scripted.includes('@scarf/scarf')) expect(manifest.scarfSettings?.enabled).toBe(false);
  });
});
