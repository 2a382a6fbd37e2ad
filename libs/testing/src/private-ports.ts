/**
 * The fixed ports of the tests' private Kafka brokers, in one place so they never meet each other nor the ports
 * `npm start` (9092/9093) and `npm run start:cluster` (19092–19094, controllers 19192–19194, deploy/kafka/kafka.sh)
 * take by default: `npm test`, the fault suite and a running cluster can share the machine. A private broker's
 * controller listens on its client port + 1; a private cluster's brokers on base…base+2, controllers base+100….
 * test/consistency/private-ports.spec.ts checks they stay apart.
 */
export const PRIVATE_KAFKA_PORTS = {
  /** test/e2e/authority-service/outbox-broker-outage.e2e-spec.ts (a single broker; controller +1). */
  outboxOutage: 19592,
  /** test/faults/scenarios/broker-outage.ts (a single broker; controller +1). */
  brokerOutage: 19292,
  /** test/faults/scenarios/cluster-faults.ts (three brokers base…base+2; controllers base+100…base+102). */
  clusterFaults: 19392,
  /** test/faults/scenarios/start-cluster.ts: `npm run start:cluster` itself, on a cluster of its own (as clusterFaults). */
  startCluster: 19692,
} as const;

/** Every TCP port a private broker or cluster of the tests listens on, by its user. */
export function privateKafkaPortsInUse(): Record<keyof typeof PRIVATE_KAFKA_PORTS, number[]> {
  const { outboxOutage, brokerOutage, clusterFaults, startCluster } = PRIVATE_KAFKA_PORTS;
  const cluster = (base: number) => [base, base + 1, base + 2, base + 100, base + 101, base + 102];
  return {
    outboxOutage: [outboxOutage, outboxOutage + 1],
    brokerOutage: [brokerOutage, brokerOutage + 1],
    clusterFaults: cluster(clusterFaults),
    startCluster: cluster(startCluster),
  };
}
