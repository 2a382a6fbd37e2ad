import type { NestExpressApplication } from '@nestjs/platform-express';
import { parsePrivateKey, type AuthorityCode } from '#contracts';
import { ConfigError, createHttpApp, runMigrations } from '#platform';
import { AuthorityModule } from './authority.module.js';
import { AUTHORITY_APP_DEFAULTS, loadAuthorityConfig } from './authority.config.js';
import { setUpAuthorityDocs } from './http/openapi.js';
import { AuthorityMetrics } from './metrics/authority-metrics.js';
import { AUTHORITY_MIGRATIONS } from './migrations/index.js';

/** The body of a create or amendment with a picture of the largest size (2 MB as base64, with the other fields). */
const PICTURE_BODY_LIMIT = '4mb';

/** Loads config (failing fast on a bad variable), migrates the schema, and starts one authority's service. */
export async function startAuthorityApp(authority: AuthorityCode, env: NodeJS.ProcessEnv = process.env): Promise<NestExpressApplication> {
  const config = loadAuthorityConfig(authority, env);
  let privateKey;
  try {
    privateKey = parsePrivateKey(config.SIGNING_PRIVATE_KEY);
  } catch (error) {
    throw new ConfigError([{ variable: 'SIGNING_PRIVATE_KEY', reason: `is not a usable Ed25519 private key: ${(error as Error).message}` }]);
  }
  await runMigrations({ url: config.DATABASE_URL, schema: config.DATABASE_SCHEMA, migrations: AUTHORITY_MIGRATIONS });
  const app = await createHttpApp(AuthorityModule.forRoot(authority, config, { keyId: config.SIGNING_KEY_ID, privateKey }), config, {
    // A create or amendment may carry a mark's picture: up to 2 MB, as base64 in JSON.
    largeBodyRoutes: [
      { paths: ['/recordations/bulk'], limit: config.HTTP_BULK_BODY_LIMIT },
      { paths: ['/recordations'], limit: PICTURE_BODY_LIMIT },
    ],
    httpRequests: (nest) => nest.get(AuthorityMetrics).httpRequests,
    configure: (nest) => setUpAuthorityDocs(nest, authority, AUTHORITY_APP_DEFAULTS[authority].app),
  });
  await app.listen(config.PORT, config.HOST);
  return app;
}
