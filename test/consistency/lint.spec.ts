import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';

/** `npm run lint` is wired into `npm test`, and the ESLint config catches what it is there for. */
const root = new URL('../../', import.meta.url);
const eslint = new ESLint({ cwd: fileURLToPath(root) });

describe('lint', () => {
  it('`npm run lint` type-checks the whole tree (tests included), runs ESLint and prettier --check, and `npm test` runs it before Jest', () => {
    const scripts = (JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { scripts: Record<string, string> }).scripts;
    expect(scripts.lint).toBe('tsc -p tsconfig.json --noEmit && eslint . && prettier --check .');
    expect(scripts.format).toMatch(/^prettier --write \./);
    const testSh = readFileSync(new URL('scripts/test.sh', root), 'utf8');
    const lintAt = testSh.indexOf('npm run -s lint || { lint=failed; status=1; }');
    expect(lintAt).toBeGreaterThan(0);
    expect(lintAt).toBeLessThan(testSh.indexOf('node_modules/jest/bin/jest.js'));
  });

  it('reports a floating promise and unsafe any in app code, with type information', async () => {
    // Linted as if it were a file of the project (the project service type-checks it with tsconfig.json).
    const code = [
      'export async function tick(): Promise<void> {}',
      'export function run(input: string): string {',
      '  tick();',
      '  const parsed = JSON.parse(input);',
      '  return parsed.name;',
      '}',
      '',
    ].join('\n');
    const [result] = await eslint.lintText(code, { filePath: fileURLToPath(new URL('libs/contracts/src/canonical-json.ts', root)) });
    const found = result.messages.map((m) => `${m.line}:${m.ruleId}`);
    expect(found).toEqual(
      expect.arrayContaining([
        '3:@typescript-eslint/no-floating-promises',
        '4:@typescript-eslint/no-unsafe-assignment',
        '5:@typescript-eslint/no-unsafe-member-access',
        '5:@typescript-eslint/no-unsafe-return',
      ]),
    );
  });

  it('lints the officers’ page as browser JavaScript without type information', async () => {
    const config = (await eslint.calculateConfigForFile(fileURLToPath(new URL('apps/registry/web/app.js', root)))) as {
      languageOptions: { globals: Record<string, unknown>; parserOptions: Record<string, unknown> };
    };
    expect(config.languageOptions.globals).toHaveProperty('document');
    expect(config.languageOptions.parserOptions).not.toHaveProperty('projectService');
  });
});
