import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** deploy/kafka/kafka.sh's three-broker mode refuses settings it cannot run, naming them, before touching anything. */
const KAFKA_SH = fileURLToPath(new URL('../../deploy/kafka/kafka.sh', import.meta.url));
const template = readFileSync(new URL('../../deploy/kafka/server.properties.template', import.meta.url), 'utf8');

function kafkaSh(args: string[], env: Record<string, string> = {}): { status: number | null; stderr: string } {
  const result = spawnSync('bash', [KAFKA_SH, ...args], {
    env: { ...process.env, KAFKA_CLUSTER_DATA_DIR: '/nonexistent/rx-cluster', ...env },
    encoding: 'utf8',
  });
  return { status: result.status, stderr: result.stderr };
}

describe('kafka.sh --brokers 3: bad settings stop it with their name', () => {
  it.each([
    [['status', '--brokers', '2'], {}, /--brokers must be 1 .* or 3/],
    [['status', '--node', '2'], {}, /--node must be 1, 2 or 3, with --brokers 3/],
    [['status', '--brokers', '3', '--node', '4'], {}, /--node must be 1, 2 or 3/],
    [['status', '--brokers', '3'], { KAFKA_CLUSTER_RACKS: 'CN,HK' }, /KAFKA_CLUSTER_RACKS must list 3 values/],
    [['status', '--brokers', '3'], { KAFKA_CLUSTER_RACKS: 'CN,HK,HK' }, /KAFKA_CLUSTER_RACKS must name three different racks/],
    [['status', '--brokers', '3'], { KAFKA_CLUSTER_RACKS: 'CN,H K,MO' }, /KAFKA_CLUSTER_RACKS: 'H K' is not a rack name/],
    [['status', '--brokers', '3'], { KAFKA_CLUSTER_PORTS: '19092,19093,19093' }, /six different ports/],
    [['status', '--brokers', '3'], { KAFKA_CLUSTER_PORTS: '19092,19093,x' }, /'x' is not a port number/],
  ] as [string[], Record<string, string>, RegExp][])('%j %j', (args, env, message) => {
    const { status, stderr } = kafkaSh(args, env);
    expect(stderr).toMatch(message);
    expect(status).toBe(1);
  });

  it('renders every cluster setting from tokens the script fills per node', () => {
    for (const token of ['@NODE_ID@', '@QUORUM_VOTERS@', '@REPLICATION_FACTOR@', '@MIN_ISR@']) expect(template).toContain(token);
    expect(template).toMatch(/^unclean\.leader\.election\.enable=false$/m);
    const script = readFileSync(KAFKA_SH, 'utf8');
    expect(script).toContain('replica.selector.class=org.apache.kafka.common.replica.RackAwareReplicaSelector');
    expect(script).toMatch(/REPLICATION_FACTOR=3\n\s*MIN_ISR=2/);
  });
});
