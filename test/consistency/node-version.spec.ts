import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One Node.js line everywhere: .nvmrc names it, and the scripts install it when the machine's node is older. */
const root = fileURLToPath(new URL('../../', import.meta.url));
const read = (file: string) => readFileSync(join(root, file), 'utf8');
const major = read('.nvmrc').trim().replace(/^v/, '').split('.')[0];
const packageJson = JSON.parse(read('package.json')) as { engines: { node: string }; devDependencies: Record<string, string> };

describe('the supported Node.js line', () => {
  it('is the one .nvmrc, engines, the Dockerfile and @types/node name', () => {
    expect(Number(major)).toBeGreaterThanOrEqual(24);
    expect(packageJson.engines.node).toBe(`>=${major}`);
    const images = [...read('Dockerfile').matchAll(/^FROM node:(\d+)-/gm)].map((m) => m[1]);
    expect(images.length).toBeGreaterThan(0);
    expect(new Set(images)).toEqual(new Set([major]));
    expect(packageJson.devDependencies['@types/node']).toMatch(new RegExp(`^\\^${major}\\.`));
  });

  it('is what the scripts run when the machine has an older node (ensure_node, scripts/lib.sh)', () => {
    // A node on PATH that says it is 20 (for the version question) and otherwise runs the real one.
    const fake = mkdtempSync(join(tmpdir(), 'old-node-'));
    const real = process.execPath;
    writeFileSync(join(fake, 'node'), `#!/usr/bin/env bash\nif [[ "$*" == *process.versions.node* ]]; then echo 20; exit 0; fi\nexec "${real}" "$@"\n`);
    chmodSync(join(fake, 'node'), 0o755);
    const output = execFileSync('bash', ['-c', 'source scripts/lib.sh && ensure_node >/dev/null 2>&1 && command -v node && node --version'], {
      cwd: root,
      env: { ...process.env, PATH: `${fake}:${process.env.PATH}` },
      encoding: 'utf8',
      timeout: 170_000,
    })
      .trim()
      .split('\n');
    expect(output[0]).toBe(join(root, '.local/node/node_modules/node/bin/node'));
    expect(output[1]).toMatch(new RegExp(`^v${major}\\.`));
  });
});
