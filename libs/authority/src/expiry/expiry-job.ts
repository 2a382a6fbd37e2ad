import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { AuthorityConfig } from '../authority.config.js';
import { ExpireRecordationsUseCase } from '../use-cases/expire-recordations.use-case.js';

/** Runs the expiry use case at start-up and then every EXPIRY_CHECK_INTERVAL_MS. */
@Injectable()
export class ExpiryJob implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('ExpiryJob');
  private timer?: NodeJS.Timeout;
  private current?: Promise<unknown>;

  constructor(
    private readonly expire: ExpireRecordationsUseCase,
    private readonly config: AuthorityConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.tick();
    this.timer = setInterval(() => this.tick(), this.config.EXPIRY_CHECK_INTERVAL_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.current;
  }

  private tick(): void {
    if (this.current) return;
    this.current = this.expire
      .execute()
      .catch((error: unknown) => this.logger.warn({ err: error }, 'expiry check failed'))
      .finally(() => {
        this.current = undefined;
      });
  }
}
