import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { parseTrustedKeys } from '#contracts';
import { Logger } from '@nestjs/common';
import express, { type NextFunction, type Request, type Response } from 'express';
import { MAX_PICTURE_BYTES } from '#contracts';
import { ConfigError, createHttpApp, isProduction, runMigrations, sendError } from '#platform';
import { CHECK_BATCH_PATH } from './http/check-batch.js';
import { IMAGE_SEARCH_PATH } from './http/pictures.controller.js';
import { officerPage, webRoot } from './http/static-files.js';
import { OFFICER_SIGN_IN, type OfficerSignIn } from './http/officer-sign-in.js';
import { RegistryMetrics } from './metrics/registry-metrics.js';
import { REGISTRY_MIGRATIONS } from './migrations/index.js';
import { loadRegistryConfig } from './registry.config.js';
import { RegistryModule } from './registry.module.js';

/** Loads config (failing fast), migrates the registry schema, starts the consumer and the HTTP API. */
export async function startRegistryApp(env: NodeJS.ProcessEnv = process.env): Promise<NestExpressApplication> {
  const config = loadRegistryConfig(env);
  let trustedKeys;
  try {
    trustedKeys = parseTrustedKeys(config.TRUSTED_KEYS);
  } catch (error) {
    throw new ConfigError([{ variable: 'TRUSTED_KEYS', reason: (error as Error).message }]);
  }
  await runMigrations({ url: config.DATABASE_URL, schema: config.DATABASE_SCHEMA, migrations: REGISTRY_MIGRATIONS });
  const app = await createHttpApp(RegistryModule.forRoot(config, trustedKeys), config, {
    httpRequests: (nest) => nest.get(RegistryMetrics).httpRequests,
    ownBodyRoutes: [CHECK_BATCH_PATH],
    configure: (nest) => {
      // The API's description is for developers: in production it is not served (issue 22, item 9).
      if (!isProduction(env)) setUpApiDocs(nest);
      // A search by picture takes the picture itself as the body (or multipart, parsed by the route).
      const raw = express.raw({ type: ['image/*', 'application/octet-stream'], limit: MAX_PICTURE_BYTES });
      const logger = new Logger('BodyParser');
      nest.use(IMAGE_SEARCH_PATH, (req: Request, res: Response, next: NextFunction) =>
        raw(req, res, (error?: unknown) => (error ? sendError(res, error, logger) : next())),
      );
      // The officers' page's sign-in through each authority's provider (issue 21), when issuers are configured.
      const signIn = signInOf(nest);
      if (signIn) nest.use(signIn.router());
      else nest.use('/auth/session', (_req: Request, res: Response) => void res.json({ signedIn: false, authorities: [] }));
      const root = webRoot();
      if (root) nest.use(officerPage(root));
    },
  });
  await app.listen(config.PORT, config.HOST);
  return app;
}

function setUpApiDocs(nest: NestExpressApplication): void {
  const document = SwaggerModule.createDocument(
    nest,
    new DocumentBuilder()
      .setTitle('Recordation Exchange — registry')
      .setDescription('Officers look marks up in any script; auditors read history, digests and exports. Every call but /health needs a bearer credential.')
      .setVersion('1')
      .addBearerAuth()
      .build(),
  );
  SwaggerModule.setup('api/docs', nest, document, { jsonDocumentUrl: 'api/docs/openapi.json' });
}

function signInOf(nest: NestExpressApplication): OfficerSignIn | undefined {
  return nest.get<{ signIn?: OfficerSignIn }>(OFFICER_SIGN_IN).signIn;
}
