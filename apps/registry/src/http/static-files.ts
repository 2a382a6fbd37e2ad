import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The officers' page lives in apps/registry/web; from dist/ it is found relative to the repository root. */
export function webRoot(): string | undefined {
  const candidates = ['../../web/', '../../../../../apps/registry/web/'].map((relative) => fileURLToPath(new URL(relative, import.meta.url)));
  return candidates.find((candidate) => existsSync(`${candidate}index.html`));
}
