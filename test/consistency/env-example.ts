import { readFileSync } from 'node:fs';

/** `.env.example`, read by the consistency tests of docker-compose.yml and deploy/k8s/. */
export const root = new URL('../../', import.meta.url);

export interface EnvExample {
  /** `# [name]` sections: each variable with its example value. */
  sections: Map<string, Map<string, string>>;
  /** Variables marked optional (`#? NAME=value`). */
  optional: Set<string>;
}

/** `.env.example` sections: `# [name]` headers, then `NAME=value`, `# NAME=value` or (optional) `#? NAME=value` lines. */
export function readEnvExample(text = readFileSync(new URL('.env.example', root), 'utf8')): EnvExample {
  const sections = new Map<string, Map<string, string>>();
  const optional = new Set<string>();
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
  return { sections, optional };
}

/** What an app may be given: the shared section, the OIDC_* variables of [oidc] (every app reads them) and its own. */
export function appVariables({ sections }: EnvExample, app: string): Set<string> {
  const oidc = [...(sections.get('oidc')?.keys() ?? [])].filter((name) => name.startsWith('OIDC_'));
  return new Set([...(sections.get('shared')?.keys() ?? []), ...oidc, ...(sections.get(app)?.keys() ?? [])]);
}

/**
 * The image's environment: the `ENV` lines of the Dockerfile's last stage (NODE_ENV=production, the mode whose start-up
 * checks refuse development credentials). A manifest's environment is laid over it, as Docker and the kubelet do.
 */
export function imageEnvironment(dockerfile = readFileSync(new URL('Dockerfile', root), 'utf8')): Record<string, string> {
  const stages = dockerfile.split(/^FROM /m);
  const last = stages[stages.length - 1];
  const env: Record<string, string> = {};
  for (const [, rest] of last.matchAll(/^ENV (.+)$/gm)) for (const [, name, value] of rest.matchAll(/([A-Z_][A-Z0-9_]*)=(\S+)/g)) env[name] = value;
  return env;
}
