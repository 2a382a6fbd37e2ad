import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { parse } from 'yaml';
import { waitFor } from '#testing';
import { TOKENS, TestSystem } from '../../support/system.js';

/**
 * The authority services are observable and documented: /metrics (outbox backlog and age, relay sends, requests by
 * route and status) and OpenAPI at /api/docs whose example bodies the service accepts; and the Prometheus alert rules
 * and Grafana dashboard in deploy/monitoring name only metrics (and labels) the running apps export.
 */
const root = new URL('../../../', import.meta.url);
const alerts = parse(readFileSync(new URL('deploy/monitoring/prometheus/alerts.yml', root), 'utf8')) as {
  groups: { rules: { alert: string; expr: string }[] }[];
};
const dashboard = JSON.parse(readFileSync(new URL('deploy/monitoring/grafana/recordation-exchange.json', root), 'utf8')) as {
  panels: { title: string; targets: { expr: string }[] }[];
};

interface Exported {
  types: Map<string, string>;
  labels: Map<string, Set<string>>;
  samples: string[];
}

function parseExposition(text: string): Exported {
  const types = new Map<string, string>();
  const labels = new Map<string, Set<string>>();
  const samples: string[] = [];
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)/.exec(line);
    if (type) types.set(type[1], type[2]);
    if (!line || line.startsWith('#')) continue;
    samples.push(line);
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s/.exec(line);
    if (!sample) continue;
    const set = labels.get(sample[1]) ?? new Set<string>();
    for (const match of (sample[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="/g)) set.add(match[1]);
    labels.set(sample[1], set);
  }
  return { types, labels, samples };
}

/** The metric a series name belongs to (histogram series end in _bucket, _sum, _count). */
function metricOf(series: string, exported: Exported): string | undefined {
  if (exported.types.has(series)) return series;
  const base = series.replace(/_(bucket|sum|count)$/, '');
  return exported.types.get(base) === 'histogram' ? base : undefined;
}

describe('observability: /metrics, OpenAPI, alert rules and dashboard', () => {
  let system: TestSystem;
  let hongKong: INestApplication;
  let registry: INestApplication;
  let exported: Exported;
  let openapi: {
    paths: Record<string, Record<string, { requestBody?: { content: Record<string, { examples?: Record<string, { value: unknown }> }> } }>>;
    components: { schemas: Record<string, { properties?: object }> };
  };

  beforeAll(async () => {
    system = await TestSystem.create('observe');
    hongKong = await system.startAuthority('HK');
    registry = await system.startRegistry();
    openapi = (await request(hongKong.getHttpServer()).get('/api/docs/openapi.json').expect(200)).body;
  });
  afterAll(async () => {
    await system?.close();
  });

  const publisher = () => `Bearer ${TOKENS.publisher.HK}`;
  const example = (path: string, method: string) => {
    const content = openapi.paths[path]?.[method]?.requestBody?.content['application/json'];
    return Object.values(content?.examples ?? {})[0]?.value;
  };

  it('documents every endpoint at /api/docs, with a schema from the contract DTOs and an example body for each write', async () => {
    expect((await request(hongKong.getHttpServer()).get('/api/docs').redirects(1)).status).toBe(200);
    const operations = Object.entries(openapi.paths)
      .filter(([path]) => !path.startsWith('/health'))
      .flatMap(([path, methods]) => Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`));
    expect(operations.sort()).toEqual(
      [
        'GET /recordations',
        'POST /recordations',
        'POST /recordations/bulk',
        'GET /recordations/{number}',
        'PATCH /recordations/{number}',
        ...['renewal', 'suspension', 'reinstatement', 'cancellation', 'revocation'].map((action) => `POST /recordations/{number}/${action}`),
      ].sort(),
    );
    for (const [path, methods] of Object.entries(openapi.paths)) {
      for (const [method, operation] of Object.entries(methods)) {
        if (method === 'get') continue;
        expect([`${method} ${path}`, example(path, method)]).toEqual([`${method} ${path}`, expect.anything()]);
        expect(operation.requestBody).toBeDefined();
      }
    }
    expect(Object.keys(openapi.components.schemas.CreateRecordationDto.properties ?? {})).toEqual(
      expect.arrayContaining(['mark', 'niceClasses', 'rightsHolder', 'validFrom']),
    );
    expect(Object.keys(openapi.components.schemas.MarkDto.properties ?? {})).toEqual(expect.arrayContaining(['text', 'script', 'type']));
  });

  it("accepts each documented example body (the examples are the service's own contract)", async () => {
    const server = hongKong.getHttpServer();
    const created = await request(server)
      .post('/recordations')
      .set('authorization', publisher())
      .send(example('/recordations', 'post') as object)
      .expect(201);
    const number = created.body.recordationNumber as string;
    for (const action of ['renewal', 'suspension', 'reinstatement', 'cancellation']) {
      if (action === 'cancellation')
        await request(server)
          .patch(`/recordations/${number}`)
          .set('authorization', publisher())
          .send(example('/recordations/{number}', 'patch') as object)
          .expect(200);
      await request(server)
        .post(`/recordations/${number}/${action}`)
        .set('authorization', publisher())
        .send(example(`/recordations/{number}/${action}`, 'post') as object)
        .expect(200);
    }
    const other = await request(server)
      .post('/recordations')
      .set('authorization', publisher())
      .send(example('/recordations', 'post') as object)
      .expect(201);
    await request(server)
      .post(`/recordations/${other.body.recordationNumber}/revocation`)
      .set('authorization', publisher())
      .send(example('/recordations/{number}/revocation', 'post') as object)
      .expect(200);
    const bulk = await request(server)
      .post('/recordations/bulk')
      .set('authorization', publisher())
      .send(example('/recordations/bulk', 'post') as object)
      .expect(200);
    expect(JSON.stringify(bulk.body)).not.toContain('"error"');
  });

  it('exports outbox backlog and age, relay sends and requests by route and status on the authority', async () => {
    const server = hongKong.getHttpServer();
    await request(server).get('/no-such-route').set('authorization', publisher()).expect(404);
    await request(server).post('/recordations').set('authorization', publisher()).send({}).expect(400);
    let text = '';
    await waitFor(
      async () => {
        text = (await request(server).get('/metrics').expect(200)).text;
        return /^authority_outbox_backlog\{authority="HK"\} 0$/m.test(text) && /^authority_relay_events_published_total\{authority="HK"\} [1-9]/m.test(text);
      },
      { timeoutMs: 60_000, description: 'the relay to publish the outbox' },
    );
    expect(text).toMatch(/^authority_outbox_oldest_unsent_age_seconds\{authority="HK"\} 0$/m);
    expect(text).toMatch(/^authority_relay_send_duration_seconds_count\{authority="HK"\} [1-9]/m);
    expect(text).toMatch(/^authority_relay_send_failures_total\{authority="HK"\} 0$/m);
    expect(text).toContain('authority_http_requests_total{method="POST",route="/recordations",status="201",authority="HK"}');
    expect(text).toContain('authority_http_requests_total{method="POST",route="/recordations",status="400",authority="HK"}');
    expect(text).toContain('authority_http_requests_total{method="POST",route="/recordations/:number/renewal",status="200",authority="HK"}');
    expect(text).toContain('authority_http_requests_total{method="GET",route="unmatched",status="404",authority="HK"}');
    exported = parseExposition(text);
  });

  it('alert rules and dashboard name only metrics and labels the apps export, and cover lag, outbox age, quarantine and 5xx', async () => {
    let registryText = '';
    await waitFor(
      async () => {
        registryText = (await request(registry.getHttpServer()).get('/metrics').expect(200)).text;
        return registryText.includes('registry_events_total{') && registryText.includes('registry_consumer_lag{');
      },
      { timeoutMs: 60_000, description: 'the registry to consume the events' },
    );
    registryText = (await request(registry.getHttpServer()).get('/metrics').expect(200)).text;
    expect(registryText).toContain('registry_http_requests_total{method="GET",route="/metrics",status="200"}');
    const registryExported = parseExposition(registryText);
    const all: Exported = {
      types: new Map([...exported.types, ...registryExported.types]),
      labels: new Map([...exported.labels, ...registryExported.labels]),
      samples: [],
    };
    const expressions = [
      ...alerts.groups.flatMap((group) => group.rules.map((rule) => ({ where: `alert ${rule.alert}`, expr: rule.expr }))),
      ...dashboard.panels.flatMap((panel) => panel.targets.map((target) => ({ where: `panel ${panel.title}`, expr: target.expr }))),
    ];
    expect(expressions.length).toBeGreaterThan(10);
    const problems: string[] = [];
    for (const { where, expr } of expressions) {
      const named = [...expr.matchAll(/\b((?:registry|authority)_[a-z0-9_]+)(\{[^}]*\})?/g)];
      if (!named.length) problems.push(`${where}: names no metric of ours`);
      const metricLabels = new Set<string>(['le']);
      for (const [, series, matchers] of named) {
        const metric = metricOf(series, all);
        if (!metric) {
          problems.push(`${where}: ${series} is not exported`);
          continue;
        }
        const labels = all.labels.get(series) ?? all.labels.get(`${metric}_bucket`) ?? new Set<string>();
        labels.forEach((label) => metricLabels.add(label));
        for (const [, label] of (matchers ?? '').matchAll(/([a-zA-Z_]+)\s*(?:=~|!~|!=|=)/g))
          if (!labels.has(label)) problems.push(`${where}: ${series} has no label ${label}`);
      }
      for (const [, list] of expr.matchAll(/\bby\s*\(([^)]*)\)/g)) {
        for (const label of list.split(',').map((l) => l.trim()))
          if (!metricLabels.has(label)) problems.push(`${where}: no metric here has the label ${label}`);
      }
    }
    expect(problems).toEqual([]);
    const alertExprs = alerts.groups.flatMap((group) => group.rules.map((rule) => rule.expr)).join('\n');
    expect(alertExprs).toContain('registry_consumer_lag');
    expect(alertExprs).toContain('authority_outbox_oldest_unsent_age_seconds');
    expect(alertExprs).toMatch(/registry_events_total\{disposition=~"quarantined/);
    expect(alertExprs).toMatch(/registry_http_requests_total\{status=~"5\.\."\}/);
    expect(alertExprs).toMatch(/authority_http_requests_total\{status=~"5\.\."\}/);
  });
});
