import { describe, expect, it } from '@jest/globals';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { privateKafkaPortsInUse } from '#testing';

/**
 * The tests' private brokers never take a port of another one, nor one `npm start` or `npm run start:cluster` takes by
 * default (deploy/kafka/kafka.sh, scripts/start-cluster.sh): the test suite, the fault suite and a running cluster share
 * the machine (issue 17).
 */
const read = (relative: string) => readFileSync(fileURLToPath(new URL(`../../${relative}`, import.meta.url)), 'utf8');

function defaultPorts(script: string, variable: string): number[] {
  const match = new RegExp(`\\$\\{${variable}:-([0-9,]+)\\}`).exec(script);
  if (!match) throw new Error(`no default for ${variable}`);
  return match[1].split(',').map(Number);
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sources(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );
}

describe('fixed Kafka ports of the tests', () => {
  const kafkaSh = read('deploy/kafka/kafka.sh');
  const startCluster = read('scripts/start-cluster.sh');
  const taken: Record<string, number[]> = {
    'npm start (kafka.sh)': [...defaultPorts(kafkaSh, 'KAFKA_PORT'), ...defaultPorts(kafkaSh, 'KAFKA_CONTROLLER_PORT')],
    'start:cluster (kafka.sh --brokers 3)': [...defaultPorts(kafkaSh, 'KAFKA_CLUSTER_PORTS'), ...defaultPorts(kafkaSh, 'KAFKA_CLUSTER_CONTROLLER_PORTS')],
    ...privateKafkaPortsInUse(),
  };

  it('start:cluster and kafka.sh agree on the cluster ports', () => {
    expect(defaultPorts(startCluster, 'KAFKA_CLUSTER_PORTS')).toEqual(defaultPorts(kafkaSh, 'KAFKA_CLUSTER_PORTS'));
  });

  it('no two users share a port', () => {
    const owner = new Map<number, string>();
    const clashes: string[] = [];
    for (const [user, ports] of Object.entries(taken)) {
      for (const port of ports) {
        if (owner.has(port)) clashes.push(`${port}: ${owner.get(port)} and ${user}`);
        owner.set(port, user);
      }
    }
    expect(clashes).toEqual([]);
    expect(owner.size).toBe(2 + 6 + 2 + 2 + 6 + 6);
  });

  it('every private broker or cluster of the tests takes its port from PRIVATE_KAFKA_PORTS', () => {
    const literal = /Private(Broker|Cluster)\.start\(\s*\d/;
    const offenders = sources(fileURLToPath(new URL('../', import.meta.url))).filter((file) => literal.test(readFileSync(file, 'utf8')));
    expect(offenders).toEqual([]);
  });
});
