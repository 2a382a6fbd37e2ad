import { Module, type DynamicModule } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { topicNames, type AuthorityCode, type SigningKey } from '#contracts';
import { AUTHORITY_RULES } from '#domain';
import { AuthModule, CredentialStore, HealthModule, KafkaModule, dataSourceOptions, loggingModule, oidcVerifierFor } from '#platform';
import { AUTHORITY_APP_DEFAULTS, AuthorityConfig } from './authority.config.js';
import { AuthorityContext, Clock } from './authority.tokens.js';
import { ExpiryJob } from './expiry/expiry-job.js';
import { MetricsController } from './http/metrics.controller.js';
import { RecordationsController } from './http/recordations.controller.js';
import { AuthorityMetrics } from './metrics/authority-metrics.js';
import { AUTHORITY_MIGRATIONS } from './migrations/index.js';
import { IdempotencyRepository } from './persistence/idempotency.repository.js';
import { OutboxRepository } from './persistence/outbox.repository.js';
import { RecordationRepository } from './persistence/recordation.repository.js';
import { AuthorityTables } from './persistence/tables.js';
import { OutboxRelay } from './relay/outbox-relay.js';
import { BulkCreateUseCase } from './use-cases/bulk-create.use-case.js';
import { ChangeRecordationUseCase } from './use-cases/change-recordation.use-case.js';
import { CreateRecordationUseCase } from './use-cases/create-recordation.use-case.js';
import { ExpireRecordationsUseCase } from './use-cases/expire-recordations.use-case.js';
import { IdempotentWrite } from './use-cases/idempotent-write.js';
import { RecordationWriter } from './use-cases/recordation-writer.js';

/**
 * Publisher credentials this service knows: its own, and the others' so they get a clear 403; with OIDC, tokens of
 * every configured issuer (another authority's publisher gets the same 403).
 */
export function publisherCredentials(config: AuthorityConfig): CredentialStore {
  const store = new CredentialStore().useOidc(oidcVerifierFor(config));
  for (const authority of ['CN', 'HK', 'MO'] as const) {
    store.add({ role: 'publisher', authority, name: `publisher-${authority.toLowerCase()}` }, config[`PUBLISHER_TOKEN_${authority}`]);
  }
  return store;
}

/** One authority's service: the same code for the three, differing by authority code, rules and config. */
@Module({})
export class AuthorityModule {
  static forRoot(authority: AuthorityCode, config: AuthorityConfig, signingKey: SigningKey): DynamicModule {
    const app = AUTHORITY_APP_DEFAULTS[authority].app;
    const topics = topicNames(config.KAFKA_TOPIC_PREFIX);
    return {
      module: AuthorityModule,
      imports: [
        loggingModule(app, config.LOG_LEVEL),
        TypeOrmModule.forRoot({
          ...dataSourceOptions({
            url: config.DATABASE_URL,
            schema: config.DATABASE_SCHEMA,
            migrations: AUTHORITY_MIGRATIONS,
            poolSize: config.DATABASE_POOL_SIZE,
            applicationName: app,
          }),
          retryAttempts: 3,
        }),
        KafkaModule.forRoot(config, app),
        HealthModule,
        AuthModule.forRoot(publisherCredentials(config), authority),
      ],
      controllers: [RecordationsController, MetricsController],
      providers: [
        { provide: AuthorityConfig, useValue: config },
        { provide: AuthorityContext, useValue: new AuthorityContext(authority, AUTHORITY_RULES[authority], signingKey, topics[authority], topics) },
        { provide: AuthorityTables, useValue: new AuthorityTables(config.DATABASE_SCHEMA) },
        Clock,
        RecordationRepository,
        OutboxRepository,
        IdempotencyRepository,
        RecordationWriter,
        IdempotentWrite,
        CreateRecordationUseCase,
        ChangeRecordationUseCase,
        BulkCreateUseCase,
        ExpireRecordationsUseCase,
        OutboxRelay,
        ExpiryJob,
        {
          provide: AuthorityMetrics,
          useFactory: (outbox: OutboxRepository) => {
            const metrics = new AuthorityMetrics(authority);
            metrics.watchOutbox(() => outbox.backlog());
            return metrics;
          },
          inject: [OutboxRepository],
        },
      ],
    };
  }
}
