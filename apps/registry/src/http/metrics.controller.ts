import { Controller, Get, Header, Headers, UnauthorizedException } from '@nestjs/common';
import { CredentialStore, Public } from '#platform';
import { RegistryMetrics } from '../metrics/registry-metrics.js';
import { RegistryConfig } from '../registry.config.js';

/**
 * Prometheus metrics. With METRICS_TOKEN set (required in production) a scrape must carry
 * `Authorization: Bearer <METRICS_TOKEN>`; without it (development) the endpoint is open, as the benchmarks use it.
 */
@Public()
@Controller('metrics')
export class MetricsController {
  private readonly scrapers?: CredentialStore;

  constructor(
    private readonly metrics: RegistryMetrics,
    config: RegistryConfig,
  ) {
    if (config.METRICS_TOKEN) this.scrapers = new CredentialStore().add({ role: 'auditor', name: 'metrics' }, config.METRICS_TOKEN);
  }

  @Get()
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  scrape(@Headers('authorization') authorization: string | undefined): Promise<string> {
    if (this.scrapers) {
      const token = /^Bearer ([\x21-\x7e]{1,512})$/.exec(authorization ?? '')?.[1];
      if (!token || !this.scrapers.authenticate(token)) {
        throw new UnauthorizedException({ statusCode: 401, error: 'Unauthorized', message: 'metrics need the METRICS_TOKEN bearer credential' });
      }
    }
    return this.metrics.registry.metrics();
  }
}
