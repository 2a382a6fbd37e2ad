import { Controller, Get, Inject, Injectable, Logger, Module, Res } from '@nestjs/common';
import type { Response } from 'express';
import { Public } from '../auth/auth.guard.js';
import { HealthCheckService, HealthIndicatorService, TerminusModule, TypeOrmHealthIndicator } from '@nestjs/terminus';

/** Something that can tell whether the Kafka cluster answers (each app binds its own client). */
export interface KafkaProbe {
  ping(): Promise<void>;
}
export const KAFKA_PROBE = Symbol('KAFKA_PROBE');

@Injectable()
export class KafkaHealthIndicator {
  constructor(
    private readonly indicators: HealthIndicatorService,
    @Inject(KAFKA_PROBE) private readonly probe: KafkaProbe,
  ) {}

  async check(key: string) {
    const indicator = this.indicators.check(key);
    try {
      await withTimeout(this.probe.ping(), 3000);
      return indicator.up();
    } catch (error) {
      return indicator.down({ message: (error as Error).message });
    }
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: TypeOrmHealthIndicator,
    private readonly kafka: KafkaHealthIndicator,
  ) {}

  /** Liveness: the process answers. */
  @Get()
  live() {
    return { status: 'ok' };
  }

  private readonly logger = new Logger('Readiness');

  /**
   * Readiness: PostgreSQL and Kafka both answer. The public answer is only `{ status: 'up' | 'down' }` (200 / 503):
   * what failed and why (broker or database error text: host names, user names) goes to the log, not to whoever asks.
   */
  @Get('ready')
  async ready(@Res({ passthrough: true }) response: Response) {
    try {
      await this.health.check([() => this.database.pingCheck('database', { timeout: 3000 }), () => this.kafka.check('kafka')]);
      return { status: 'up' };
    } catch (error) {
      this.logger.warn({ detail: (error as { response?: unknown }).response ?? String(error) }, 'not ready');
      response.status(503);
      return { status: 'down' };
    }
  }
}

/** `/health` and `/health/ready`. Needs a TypeORM connection and a global KAFKA_PROBE provider (KafkaModule). */
@Module({
  imports: [TerminusModule.forRoot({ logger: false })],
  controllers: [HealthController],
  providers: [KafkaHealthIndicator],
})
export class HealthModule {}
