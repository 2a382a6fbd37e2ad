import { checkReplication } from './kafka-provisioning.js';

describe('checkReplication (provisioning refuses what the cluster cannot honour)', () => {
  it('accepts a factor up to the brokers seen and a min ISR up to the factor', () => {
    expect(() => checkReplication(1, 1, 1)).not.toThrow();
    expect(() => checkReplication(3, 3, 2)).not.toThrow();
    expect(() => checkReplication(3, 1, undefined)).not.toThrow();
  });

  it('refuses a factor above the number of brokers, naming KAFKA_REPLICATION_FACTOR', () => {
    expect(() => checkReplication(1, 3, 2)).toThrow(/KAFKA_REPLICATION_FACTOR=3 is above the number of brokers the cluster reports \(1\)/);
    expect(() => checkReplication(3, 0, undefined)).toThrow(/KAFKA_REPLICATION_FACTOR/);
  });

  it('refuses a min ISR above the factor, naming KAFKA_MIN_INSYNC_REPLICAS', () => {
    expect(() => checkReplication(3, 2, 3)).toThrow(/KAFKA_MIN_INSYNC_REPLICAS=3/);
  });
});
