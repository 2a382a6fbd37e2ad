import { describe, expect, it } from '@jest/globals';
import kafkajs from 'kafkajs';
import { kafkaLogCreator, type KafkaLogSink } from './kafka-client.factory.js';

const { logLevel } = kafkajs;

function capture(): { sink: KafkaLogSink; lines: string[] } {
  const lines: string[] = [];
  const at = (level: string) => (message: string) => lines.push(`${level}:${message}`);
  return { sink: { error: at('error'), warn: at('warn'), log: at('info'), debug: at('debug') }, lines };
}

describe('kafkaLogCreator', () => {
  it('keeps real errors as errors and demotes the group protocol retrying itself to info', () => {
    const { sink, lines } = capture();
    const log = kafkaLogCreator(sink)(logLevel.DEBUG);
    const entry = (level: number, message: string, error?: string) => ({
      namespace: 'Connection',
      level,
      label: 'ERROR',
      log: { timestamp: 'now', message, error },
    });
    log(entry(logLevel.ERROR, 'Response Heartbeat', 'The group is rebalancing, so a rejoin is needed'));
    log(entry(logLevel.ERROR, 'Response JoinGroup', "The coordinator is loading and hence can't process requests for this group"));
    log(entry(logLevel.ERROR, 'Response Produce', 'Topic authorization failed'));
    log(entry(logLevel.ERROR, 'The coordinator is not aware of this member, re-joining the group'));
    log(entry(logLevel.WARN, 'slow'));
    expect(lines).toEqual([
      'info:Response Heartbeat',
      'info:Response JoinGroup',
      'error:Response Produce',
      'info:The coordinator is not aware of this member, re-joining the group',
      'warn:slow',
    ]);
  });
});
