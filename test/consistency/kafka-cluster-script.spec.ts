import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

/**
 * SCRAM passwords never on a command line (issue 22, Low): kafka.sh starts with a stand-in `java` first on PATH that
 * records every command line it is given (and the mode of any @argument file), answers the storage tool, and exits
 * as the broker would on a failed start. No password may appear in what it recorded.
 */
describe('kafka.sh: no SCRAM password on a command line', () => {
  const passwords = {
    KAFKA_PASSWORD_ADMIN: 'admin-cmdline-probe-1',
    KAFKA_PASSWORD_CN: 'cn-cmdline-probe-2',
    KAFKA_PASSWORD_HK: 'hk-cmdline-probe-3',
    KAFKA_PASSWORD_MO: 'mo-cmdline-probe-4',
    KAFKA_PASSWORD_REGISTRY: 'registry-cmdline-probe-5',
  };
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'rx-kafka-argv-'));
    mkdirSync(join(dir, 'bin'));
    writeFileSync(
      join(dir, 'bin', 'java'),
      `#!/usr/bin/env bash
printf '%s\\n' "$*" >>"${dir}/argv.log"
for arg in "$@"; do
  if [[ "$arg" == @* ]]; then printf 'argfile %s mode %s\\n' "\${arg#@}" "$(stat -c %a "\${arg#@}")" >>"${dir}/argfiles.log"; fi
done
if [[ "$*" == *random-uuid* ]]; then echo 5nOqzVthTlOV8dxFpnQ3Fw; exit 0; fi
if [[ "$*" == *kafka.Kafka* ]]; then exit 1; fi
exit 0
`,
      { mode: 0o755 },
    );
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('formats the storage with the passwords in a 0600 argument file, not in argv', () => {
    const result = spawnSync('bash', [KAFKA_SH, 'start'], {
      env: {
        ...process.env,
        ...passwords,
        PATH: `${join(dir, 'bin')}:${process.env.PATH}`,
        KAFKA_TLS: 'false',
        KAFKA_PORT: '1',
        KAFKA_CONTROLLER_PORT: '2',
        KAFKA_DATA_DIR: join(dir, 'data'),
        KAFKA_START_TIMEOUT: '5',
      },
      encoding: 'utf8',
      timeout: 60_000,
    });
    // The stand-in broker exits at once: the start fails after the format, as intended.
    expect(result.stderr).toMatch(/broker exited during start-up/);
    const argv = readFileSync(join(dir, 'argv.log'), 'utf8');
    expect(argv).toMatch(/kafka\.Kafka/);
    for (const [variable, password] of Object.entries(passwords))
      expect({ variable, onCommandLine: argv.includes(password) }).toEqual({ variable, onCommandLine: false });
    // The format did get the passwords, through a private argument file that is gone afterwards.
    const argfiles = readFileSync(join(dir, 'argfiles.log'), 'utf8').trim().split('\n');
    expect(argfiles).toHaveLength(1);
    expect(argfiles[0]).toMatch(/ mode 600$/);
    expect(existsSync(argfiles[0].split(' ')[1])).toBe(false);
    expect(statSync(join(dir, 'data')).mode & 0o777).toBe(0o700);
  });
});
