import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { createRequire } from 'node:module';
import { validationMetadatasToSchemas } from 'class-validator-jsonschema';
import { REQUIRED_ON_CREATE, type AuthorityCode } from '#contracts';

const OFFICES: Record<AuthorityCode, string> = { CN: 'CNIPA', HK: 'HKIPD', MO: 'DSE' };

/** One example body per endpoint, for this authority (each is accepted by its service: an e2e test posts them). */
export function exampleBodies(authority: AuthorityCode) {
  const chinese = authority === 'CN' ? { text: '爱马仕', script: 'Hans' } : { text: '愛馬仕', script: 'Hant' };
  const create = {
    ipType: 'trademark',
    mark: { ...chinese, type: 'word', transliterations: [{ script: 'Latn', text: 'HERMES' }] },
    niceClasses: [18, 25],
    goods: 'Handbags and leather goods',
    rightsHolder: { name: 'Hermès International', country: 'FR' },
    trademarkRegistration: { office: OFFICES[authority], number: '300123456', expiresOn: '2040-01-01' },
    validFrom: '2025-01-01',
    ...(authority === 'CN' ? {} : { validUntil: '2030-01-01' }),
  };
  return {
    create,
    bulk: [
      create,
      { ...create, mark: { text: 'HERMÈS', script: 'Latn', type: 'word' }, trademarkRegistration: { ...create.trademarkRegistration, number: '300123457' } },
    ],
    amend: { goods: 'Handbags, wallets and leather goods', knownInfringers: [{ name: 'Example Trading Co.', country: 'HK' }] },
    renewal: { validUntil: '2038-01-01' },
    suspension: { reason: 'Rights holder did not confirm the recordation within the deadline' },
    reinstatement: { reason: 'Rights holder confirmed the recordation' },
    cancellation: { reason: 'holder-request', note: 'Requested by letter of 2026-03-01' },
    revocation: { reason: 'Recordation obtained on false information' },
  };
}

// class-transformer's @Type() records (nested DTO classes) live in its CommonJS build's storage, which it does not
// export from its entry point; the DTOs register there because Node loads that build.
type TransformerStorage = NonNullable<Parameters<typeof validationMetadatasToSchemas>[0]>['classTransformerMetadataStorage'];
const { defaultMetadataStorage } = createRequire(import.meta.url)('class-transformer/cjs/storage.js') as { defaultMetadataStorage: TransformerStorage };

/** JSON schemas of the contract DTOs, generated from their class-validator rules (the same classes that validate). */
export function contractSchemas(): Record<string, Record<string, unknown>> {
  const schemas = validationMetadatasToSchemas({
    refPointerPrefix: '#/components/schemas/',
    classTransformerMetadataStorage: defaultMetadataStorage,
  }) as Record<string, Record<string, unknown>>;
  // Which fields a create requires is decided per use (validation.ts), not by the class.
  if (schemas.CreateRecordationDto) schemas.CreateRecordationDto = { ...schemas.CreateRecordationDto, required: [...REQUIRED_ON_CREATE] };
  return schemas;
}

/** OpenAPI at /api/docs (JSON at /api/docs/openapi.json), as the registry serves it. */
export function setUpAuthorityDocs(nest: NestExpressApplication, authority: AuthorityCode, app: string): void {
  const document = SwaggerModule.createDocument(
    nest,
    new DocumentBuilder()
      .setTitle(`Recordation Exchange — ${app} (${authority}) authority service`)
      .setDescription(
        "This authority's systems publish recordations here; each change becomes a signed event on Kafka. Every call but /health and /metrics needs this authority's publisher credential (bearer). Writes take an optional Idempotency-Key header.",
      )
      .setVersion('1')
      .addBearerAuth()
      .build(),
  );
  document.components = { ...document.components, schemas: { ...document.components?.schemas, ...contractSchemas() } };
  SwaggerModule.setup('api/docs', nest, document, { jsonDocumentUrl: 'api/docs/openapi.json' });
}
