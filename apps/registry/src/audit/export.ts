import type { DataSource } from 'typeorm';
import type { RegistryTables } from '../store/registry-tables.js';

export type ExportFormat = 'ndjson' | 'csv';
export type ExportWhat = 'events' | 'registry';

const PAGE = 1000;

const COLUMNS: Record<ExportWhat, string[]> = {
  events: [
    'eventId',
    'authority',
    'recordationNumber',
    'sequence',
    'type',
    'time',
    'receivedAt',
    'topic',
    'partition',
    'offset',
    'disposition',
    'keyId',
    'verified',
  ],
  registry: [
    'authority',
    'recordationNumber',
    'version',
    'status',
    'markId',
    'markText',
    'rightsHolder',
    'niceClasses',
    'validFrom',
    'validUntil',
    'updatedAt',
  ],
};

/**
 * One page of events received since $1, after the key ($1, $2, $3, $4) unless `first`: in the order of the
 * events_export_order index, so a page reads its rows and no more.
 */
export function eventsPageSql(tables: RegistryTables, first: boolean): string {
  return `SELECT event_id, authority, recordation_number, sequence, type, received_at, topic, partition, "offset", disposition, key_id, verified, payload
    FROM ${tables.events}
    WHERE ${first ? 'received_at >= $1 AND $2::text IS NOT NULL AND $3::int IS NOT NULL AND $4::bigint IS NOT NULL' : '(received_at, topic COLLATE "C", partition, "offset") > ($1, $2, $3, $4)'}
    ORDER BY received_at, topic COLLATE "C", partition, "offset" LIMIT ${PAGE}`;
}

/** One page of recordations updated since $1, after the key ($1, $2, $3) unless `first`: in recordations_export_order. */
export function registryPageSql(tables: RegistryTables, first: boolean): string {
  return `SELECT r.authority, r.recordation_number, r.version, r.status, r.mark_id, m.display_text, r.data, r.updated_at
    FROM ${tables.recordations} r LEFT JOIN ${tables.marks} m ON m.mark_id = r.mark_id
    WHERE ${first ? 'r.updated_at >= $1 AND $2::text IS NOT NULL AND $3::text IS NOT NULL' : '(r.updated_at, r.authority COLLATE "C", r.recordation_number COLLATE "C") > ($1, $2, $3)'}
    ORDER BY r.updated_at, r.authority COLLATE "C", r.recordation_number COLLATE "C" LIMIT ${PAGE}`;
}

/**
 * Stored events or registry rows changed since a time, read page by page (keyset), so memory stays constant
 * whatever the size. NDJSON lines carry everything (events with their payload); CSV the main columns.
 */
export async function* exportLines(
  dataSource: DataSource,
  tables: RegistryTables,
  what: ExportWhat,
  format: ExportFormat,
  since: Date,
): AsyncGenerator<string> {
  if (format === 'csv') yield `${COLUMNS[what].join(',')}\n`;
  if (what === 'events') {
    let after: [Date | string, string, number, string] = [since, '', -1, '-1'];
    let first = true;
    for (;;) {
      const rows: {
        event_id: string;
        authority: string;
        recordation_number: string;
        sequence: number;
        type: string;
        received_at: Date;
        topic: string;
        partition: number;
        offset: string;
        disposition: string;
        key_id: string;
        verified: boolean;
        payload: { time: string };
      }[] = await dataSource.query(eventsPageSql(tables, first), after);
      for (const row of rows) {
        const record = {
          eventId: row.event_id,
          authority: row.authority,
          recordationNumber: row.recordation_number,
          sequence: row.sequence,
          type: row.type,
          time: row.payload.time,
          receivedAt: row.received_at.toISOString(),
          topic: row.topic,
          partition: row.partition,
          offset: String(row.offset),
          disposition: row.disposition,
          keyId: row.key_id,
          verified: row.verified,
        };
        yield format === 'ndjson'
          ? `${JSON.stringify({ ...record, event: row.payload })}\n`
          : csvLine(COLUMNS.events.map((c) => (record as Record<string, unknown>)[c]));
      }
      if (rows.length < PAGE) return;
      const last = rows[rows.length - 1];
      after = [last.received_at, last.topic, last.partition, String(last.offset)];
      first = false;
    }
  }
  let after: [Date | string, string, string] = [since, '', ''];
  let first = true;
  for (;;) {
    const rows: {
      authority: string;
      recordation_number: string;
      version: number;
      status: string;
      mark_id: string;
      display_text: string | null;
      data: Record<string, unknown> & { rightsHolder: { name: string }; niceClasses: number[]; validFrom: string; validUntil: string };
      updated_at: Date;
    }[] = await dataSource.query(registryPageSql(tables, first), after);
    for (const row of rows) {
      if (format === 'ndjson') {
        yield `${JSON.stringify({ authority: row.authority, recordationNumber: row.recordation_number, version: row.version, status: row.status, markId: row.mark_id, markText: row.display_text, updatedAt: row.updated_at.toISOString(), data: row.data })}\n`;
      } else {
        yield csvLine([
          row.authority,
          row.recordation_number,
          row.version,
          row.status,
          row.mark_id,
          row.display_text,
          row.data.rightsHolder.name,
          row.data.niceClasses.join(' '),
          row.data.validFrom,
          row.data.validUntil,
          row.updated_at.toISOString(),
        ]);
      }
    }
    if (rows.length < PAGE) return;
    const last = rows[rows.length - 1];
    after = [last.updated_at, last.authority, last.recordation_number];
    first = false;
  }
}

/**
 * A cell a spreadsheet would read as a formula: it starts (after any white space or line breaks, which spreadsheets
 * skip) with = + - @, or their full-width forms ＝ ＋ － ＠ (which some convert to ASCII), or it starts with a tab or
 * a line break.
 */
const FORMULA = /^(\s*[=+\-@\uFF1D\uFF0B\uFF0D\uFF20]|[\t\r\n])/;

/** RFC 4180: quote fields with commas, quotes or line breaks; neutralise spreadsheet formulas with a leading '. */
export function csvLine(values: unknown[]): string {
  return `${values
    .map((value) => {
      // Cells are scalars (strings, numbers, booleans); String() is the intended conversion.
      // eslint-disable-next-line @typescript-eslint/no-base-to-string
      let text = value === null || value === undefined ? '' : String(value);
      if (FORMULA.test(text)) text = `'${text}`;
      return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
    })
    .join(',')}\n`;
}
