import { Controller, Module, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EventPattern, Payload, Transport } from '@nestjs/microservices';
import { InjectDataSource, TypeOrmModule } from '@nestjs/typeorm';
import { Column, DataSource, Entity, PrimaryColumn } from 'typeorm';
import { decodeSignedEvent, parseTrustedKeys, type AuthorityCode } from '#contracts';

@Entity({ name: 'naive_events' })
export class NaiveEvent {
  @PrimaryColumn('uuid') id: string;
  @Column('text') authority: string;
  @Column('text') subject: string;
  @Column('int') sequence: number;
  @Column('jsonb') payload: object;
}

/**
 * The comparison the benchmark asks for: a consumer written the usual Nest way, one @EventPattern handler
 * verifying the signature and doing one TypeORM save per message (Nest's Kafka transport, auto-commit).
 */
export async function startNaiveConsumer(options: {
  brokers: string[];
  username: string;
  password: string;
  topics: Record<AuthorityCode, string>;
  databaseUrl: string;
  trustedKeys: string;
  groupId: string;
}): Promise<INestMicroservice> {
  const trusted = parseTrustedKeys(options.trustedKeys);
  const handlers = (['CN', 'HK', 'MO'] as const).map((authority) => {
    @Controller()
    class Handler {
      constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

      @EventPattern(options.topics[authority])
      async handle(@Payload() message: unknown) {
        const decoded = decodeSignedEvent(Buffer.from(JSON.stringify(message)), trusted, authority);
        if (!decoded.ok) return;
        await this.dataSource
          .getRepository(NaiveEvent)
          .save({ id: decoded.event.id, authority, subject: decoded.event.subject, sequence: decoded.event.sequence, payload: decoded.event });
      }
    }
    return Handler;
  });

  @Module({
    imports: [TypeOrmModule.forRoot({ type: 'postgres', url: options.databaseUrl, entities: [NaiveEvent], synchronize: false, logging: false })],
    controllers: handlers,
  })
  class NaiveModule {}

  const app = await NestFactory.createMicroservice(NaiveModule, {
    logger: false,
    transport: Transport.KAFKA,
    options: {
      client: { clientId: 'naive', brokers: options.brokers, sasl: { mechanism: 'scram-sha-512', username: options.username, password: options.password } },
      consumer: { groupId: options.groupId, allowAutoTopicCreation: false },
      subscribe: { fromBeginning: true },
      postfixId: '',
    },
  });
  await app.listen();
  return app;
}
