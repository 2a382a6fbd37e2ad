import { Module, type DynamicModule } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { topicNames, type TrustedKey } from '#contracts';
import { AuthModule, CredentialStore, HealthModule, KafkaModule, dataSourceOptions, loggingModule, oidcVerifierFor } from '#platform';
import { REGISTRY_TOPICS, RegistryConsumer, TRUSTED_KEYS } from './consumer/registry-consumer.js';
import { AccessTrailInterceptor } from './access-trail/access-trail.interceptor.js';
import { AccessTrail } from './access-trail/access-trail.service.js';
import { AccessTrailController } from './http/access-trail.controller.js';
import { AliasService, AliasesController } from './http/aliases.controller.js';
import { AuditQueries } from './audit/audit-queries.js';
import { HistoryQueries } from './audit/history-queries.js';
import { SearchAsOf } from './audit/search-as-of.js';
import { AuditController } from './http/audit.controller.js';
import { LookupController } from './http/lookup.controller.js';
import { MetricsController } from './http/metrics.controller.js';
import { OfficerRedaction } from './http/officer-redaction.interceptor.js';
import { PicturesController } from './http/pictures.controller.js';
import { OFFICER_SIGN_IN, OfficerSignIn } from './http/officer-sign-in.js';
import { RegistryMetrics } from './metrics/registry-metrics.js';
import { REGISTRY_MIGRATIONS } from './migrations/index.js';
import { DataSource } from 'typeorm';
import { RegistryConfig } from './registry.config.js';
import { RegistryQueries } from './store/registry-queries.js';
import { RegistryTables } from './store/registry-tables.js';

/** Officers, auditors and administrators the registry knows: the static development tokens, and the OIDC issuers. */
export function registryCredentials(config: RegistryConfig): CredentialStore {
  const store = new CredentialStore().useOidc(oidcVerifierFor(config));
  for (const authority of ['CN', 'HK', 'MO'] as const) {
    store.add({ role: 'officer', authority, name: `officer-${authority.toLowerCase()}` }, config[`OFFICER_TOKEN_${authority}`]);
  }
  store.add({ role: 'auditor', name: 'auditor' }, config.AUDITOR_TOKEN);
  store.add({ role: 'admin', name: 'admin' }, config.ADMIN_TOKEN);
  return store;
}

@Module({})
export class RegistryModule {
  static forRoot(config: RegistryConfig, trustedKeys: ReadonlyMap<string, TrustedKey>): DynamicModule {
    const credentials = registryCredentials(config);
    // With OIDC issuers, the officers' page signs in through them (its session is a credential too).
    const verifier = credentials.oidcVerifier;
    const signIn = verifier ? new OfficerSignIn(verifier, config.OIDC_WEB_CLIENT_ID) : undefined;
    if (signIn) credentials.useSessions((request) => signIn.resolve(request));
    return {
      module: RegistryModule,
      imports: [
        loggingModule('registry', config.LOG_LEVEL),
        TypeOrmModule.forRoot({
          ...dataSourceOptions({
            url: config.DATABASE_URL,
            schema: config.DATABASE_SCHEMA,
            migrations: REGISTRY_MIGRATIONS,
            poolSize: config.DATABASE_POOL_SIZE,
            applicationName: 'registry',
          }),
          retryAttempts: 3,
        }),
        KafkaModule.forRoot(config, 'registry'),
        HealthModule,
        AuthModule.forRoot(credentials),
      ],
      controllers: [LookupController, PicturesController, AuditController, AccessTrailController, AliasesController, MetricsController],
      providers: [
        { provide: RegistryConfig, useValue: config },
        { provide: OFFICER_SIGN_IN, useValue: { signIn } },
        { provide: RegistryTables, useValue: new RegistryTables(config.DATABASE_SCHEMA) },
        { provide: TRUSTED_KEYS, useValue: trustedKeys },
        { provide: REGISTRY_TOPICS, useValue: topicNames(config.KAFKA_TOPIC_PREFIX) },
        RegistryMetrics,
        {
          provide: RegistryQueries,
          useFactory: (dataSource: DataSource, tables: RegistryTables) => new RegistryQueries(dataSource, tables, config.LOOKUP_STATEMENT_TIMEOUT_MS),
          inject: [DataSource, RegistryTables],
        },
        OfficerRedaction,
        AccessTrail,
        // Every officer lookup and auditor read is recorded (or refused with 503): one interceptor for the whole app.
        { provide: APP_INTERCEPTOR, useClass: AccessTrailInterceptor },
        AuditQueries,
        HistoryQueries,
        SearchAsOf,
        AliasService,
        RegistryConsumer,
      ],
    };
  }
}
