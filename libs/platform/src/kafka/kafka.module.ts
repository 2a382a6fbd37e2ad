import { Global, Inject, Injectable, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import type { Admin, Kafka, KafkaClientName } from './kafka-adapter.js';
import { KAFKA_PROBE, type KafkaProbe } from '../health/health.module.js';
import { createLogger } from '../logging/logging.js';
import { createKafka, kafkaTlsFromFiles, type KafkaLogSink, type KafkaTlsFiles } from './kafka-client.factory.js';

export const KAFKA_CLIENT = Symbol('KAFKA_CLIENT');

export interface KafkaConnectionConfig extends KafkaTlsFiles {
  KAFKA_BROKERS: string[];
  KAFKA_USERNAME: string;
  KAFKA_PASSWORD: string;
  LOG_LEVEL: string;
  /** Which library implements the adapter (validated by the app's config class; default kafkajs). */
  KAFKA_CLIENT?: KafkaClientName;
}

/** Kafka client log lines through the app's JSON logger, at the app's level. */
function kafkaLogSink(service: string, level: string): KafkaLogSink {
  const logger = createLogger(service, level);
  return {
    error: (message, context) => logger.error(context, message),
    warn: (message, context) => logger.warn(context, message),
    log: (message, context) => logger.info(context, message),
    debug: (message, context) => logger.debug(context, message),
  };
}

/** Answers readiness probes through one long-lived admin connection. */
@Injectable()
export class KafkaAdminProbe implements KafkaProbe, OnApplicationShutdown {
  private admin?: Admin;

  constructor(@Inject(KAFKA_CLIENT) private readonly kafka: Kafka) {}

  async ping(): Promise<void> {
    if (!this.admin) {
      const admin = this.kafka.admin();
      await admin.connect();
      this.admin = admin;
    }
    try {
      await this.admin.describeCluster();
    } catch (error) {
      // Reconnect on the next probe rather than keep a broken connection.
      const broken = this.admin;
      this.admin = undefined;
      await broken.disconnect().catch(() => undefined);
      throw error;
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.admin?.disconnect().catch(() => undefined);
  }
}

/** One Kafka client (the adapter: kafkajs or @platformatic/kafka, KAFKA_CLIENT) per app (SASL/SCRAM as the app's own principal), and the readiness probe. */
@Global()
@Module({})
export class KafkaModule {
  static forRoot(config: KafkaConnectionConfig, clientId: string): DynamicModule {
    return {
      module: KafkaModule,
      providers: [
        {
          provide: KAFKA_CLIENT,
          useFactory: () =>
            createKafka({
              client: config.KAFKA_CLIENT,
              brokers: config.KAFKA_BROKERS,
              clientId,
              username: config.KAFKA_USERNAME,
              password: config.KAFKA_PASSWORD,
              tls: kafkaTlsFromFiles(config),
              logger: kafkaLogSink(clientId, config.LOG_LEVEL),
            }),
        },
        KafkaAdminProbe,
        { provide: KAFKA_PROBE, useExisting: KafkaAdminProbe },
      ],
      exports: [KAFKA_CLIENT, KAFKA_PROBE],
    };
  }
}
