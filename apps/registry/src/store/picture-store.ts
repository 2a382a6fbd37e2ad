import type { EntityManager } from 'typeorm';
import type { DecodedEvent, EventAttachment, MarkRepresentation } from '#contracts';
import { DHASH_MATCH_DISTANCE, PHASH_MATCH_DISTANCE, type PerceptualHashes } from '#domain';
import { inspectPicture, pictureHashes, pictureThumbnail } from '#platform';
import type { RegistryTables } from './registry-tables.js';

/** Longest side of the thumbnails officers' pages show. */
export const THUMBNAIL_SIZE = 160;

type Querier = Pick<EntityManager, 'query'>;

/** A 64-bit hash as hex ↔ PostgreSQL's signed bigint (text, so no precision is lost in JavaScript). */
export function hashToBigint(hex: string): string {
  return BigInt.asIntN(64, BigInt(`0x${hex}`)).toString();
}
export function bigintToHash(value: string): string {
  return BigInt.asUintN(64, BigInt(value)).toString(16).padStart(16, '0');
}

/**
 * Multi-index hashing: each 64-bit hash is cut into four 16-bit bands, each indexed (migration MarkPictureBands). A
 * stored picture is a candidate when any of its eight bands equals the query's band or differs from it in one bit:
 * that finds every picture within 15 bits in all (pigeonhole: some band then differs in at most one) and, in
 * practice, the near-duplicates beyond; a search reads a few thousand rows instead of the whole table.
 */
export const BANDS = [48, 32, 16, 0] as const;

function bandsOf(hex: string): number[] {
  const value = BigInt(`0x${hex}`);
  return BANDS.map((shift) => Number((value >> BigInt(shift)) & 0xffffn));
}

function withNeighbours(band: number): number[] {
  return [band, ...Array.from({ length: 16 }, (_, bit) => band ^ (1 << bit))];
}

export function bandSql(column: string, shift: number): string {
  return `((${column} >> ${shift}) & 65535)::int`;
}

/** The WHERE condition selecting candidates for hashes, with its parameters from index `first` on. */
function candidateCondition(hashes: PerceptualHashes, first: number, prefix = ''): { sql: string; parameters: number[][] } {
  const parameters: number[][] = [];
  const terms: string[] = [];
  for (const [column, hex] of [
    ['phash', hashes.phash],
    ['dhash', hashes.dhash],
  ] as const) {
    bandsOf(hex).forEach((band, index) => {
      parameters.push(withNeighbours(band));
      terms.push(`${bandSql(prefix + column, BANDS[index])} = ANY($${first + parameters.length - 1}::int[])`);
    });
  }
  return { sql: `(${terms.join(' OR ')})`, parameters };
}

/** Hamming distance between a bigint column and a bigint parameter, in SQL. */
export function hammingSql(column: string, parameter: string): string {
  return `bit_count(((${column}) # (${parameter}))::bit(64))`;
}

/**
 * The registry's pictures: stored once per SHA-256 (content-addressed, never changed, so written before and outside
 * the merge transaction), with perceptual hashes and a thumbnail computed here, and the similarity relation grouping
 * reads.
 */
export class PictureStore {
  constructor(private readonly tables: RegistryTables) {}

  /**
   * Stores the pictures that events carried (those not stored yet). A picture that the registry cannot decode
   * (the authority checked it, so only a forged or broken sender) is stored without hashes: it is kept, never matched.
   */
  async storeAll(db: Querier, attachments: readonly EventAttachment[], representations: ReadonlyMap<string, MarkRepresentation>): Promise<number> {
    const wanted = [...new Map(attachments.map((a) => [a.sha256, a])).values()];
    if (!wanted.length) return 0;
    const present: { sha256: string }[] = await db.query(`SELECT sha256 FROM ${this.tables.pictures} WHERE sha256 = ANY($1::text[])`, [
      wanted.map((a) => a.sha256),
    ]);
    const known = new Set(present.map((row) => row.sha256));
    let stored = 0;
    for (const attachment of wanted) {
      if (known.has(attachment.sha256)) continue;
      const bytes = Buffer.from(attachment.data, 'base64');
      const features = await computeFeatures(bytes);
      const representation = representations.get(attachment.sha256);
      await db.query(
        `INSERT INTO ${this.tables.pictures} (sha256, media_type, width, height, phash, dhash, bytes, thumbnail)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (sha256) DO NOTHING`,
        [
          attachment.sha256,
          features?.mediaType ?? representation?.mediaType ?? 'application/octet-stream',
          features?.width ?? representation?.width ?? 0,
          features?.height ?? representation?.height ?? 0,
          features ? hashToBigint(features.hashes.phash) : null,
          features ? hashToBigint(features.hashes.dhash) : null,
          bytes,
          features?.thumbnail ?? null,
        ],
      );
      stored++;
    }
    return stored;
  }

  /** For each picture, the stored pictures that match it closely (both hashes within the grouping distances). */
  async similarOf(db: Querier, sha256s: readonly string[]): Promise<Map<string, string[]>> {
    const similar = new Map<string, string[]>();
    if (!sha256s.length) return similar;
    const own: { sha256: string; phash: string; dhash: string }[] = await db.query(
      `SELECT sha256, phash::text, dhash::text FROM ${this.tables.pictures} WHERE sha256 = ANY($1::text[]) AND phash IS NOT NULL`,
      [sha256s],
    );
    // The relation is symmetric (band candidates and both thresholds are), so the order pictures arrive in never matters.
    for (const picture of own) {
      const hashes = { phash: bigintToHash(picture.phash), dhash: bigintToHash(picture.dhash) };
      const condition = candidateCondition(hashes, 4);
      const rows: { sha256: string }[] = await db.query(
        `SELECT sha256 FROM ${this.tables.pictures}
         WHERE ${condition.sql} AND sha256 <> $1 AND ${hammingSql('phash', '$2::bigint')} <= ${PHASH_MATCH_DISTANCE} AND ${hammingSql('dhash', '$3::bigint')} <= ${DHASH_MATCH_DISTANCE}`,
        [picture.sha256, picture.phash, picture.dhash, ...condition.parameters],
      );
      if (rows.length) similar.set(picture.sha256, rows.map((row) => row.sha256).sort());
    }
    return similar;
  }

  /** Every stored picture's matches: for grouping a whole registry at once (a replay's bulk load). */
  async allSimilar(db: Querier): Promise<Map<string, string[]>> {
    const rows: { sha256: string }[] = await db.query(`SELECT sha256 FROM ${this.tables.pictures} WHERE phash IS NOT NULL`);
    return this.similarOf(
      db,
      rows.map((row) => row.sha256),
    );
  }

  /** The closest stored pictures to these hashes, best first, with their distances. */
  async nearest(
    db: Querier,
    hashes: PerceptualHashes,
    limit: number,
    maxDistance: number,
  ): Promise<{ sha256: string; phashDistance: number; dhashDistance: number }[]> {
    const condition = candidateCondition(hashes, 5);
    const rows: { sha256: string; pd: number; dd: number }[] = await db.query(
      `SELECT sha256, pd, dd FROM (
         SELECT sha256, ${hammingSql('phash', '$1::bigint')} AS pd, ${hammingSql('dhash', '$2::bigint')} AS dd FROM ${this.tables.pictures} WHERE ${condition.sql}) p
       WHERE pd + dd <= $3 ORDER BY pd + dd, sha256 LIMIT $4`,
      [hashToBigint(hashes.phash), hashToBigint(hashes.dhash), maxDistance, limit, ...condition.parameters],
    );
    return rows.map((row) => ({ sha256: row.sha256, phashDistance: Number(row.pd), dhashDistance: Number(row.dd) }));
  }

  async thumbnail(db: Querier, sha256: string): Promise<Buffer | undefined> {
    const rows: { thumbnail: Buffer | null }[] = await db.query(`SELECT thumbnail FROM ${this.tables.pictures} WHERE sha256 = $1`, [sha256]);
    return rows[0]?.thumbnail ?? undefined;
  }

  async picture(db: Querier, sha256: string): Promise<{ mediaType: string; bytes: Buffer } | undefined> {
    const rows: { media_type: string; bytes: Buffer }[] = await db.query(`SELECT media_type, bytes FROM ${this.tables.pictures} WHERE sha256 = $1`, [sha256]);
    return rows[0] && { mediaType: rows[0].media_type, bytes: rows[0].bytes };
  }
}

async function computeFeatures(
  bytes: Buffer,
): Promise<{ mediaType: string; width: number; height: number; hashes: PerceptualHashes; thumbnail: Buffer } | undefined> {
  const checked = await inspectPicture(bytes);
  if (!checked.ok) return undefined;
  try {
    const [hashes, thumbnail] = [await pictureHashes(bytes), await pictureThumbnail(bytes, THUMBNAIL_SIZE)];
    return { mediaType: checked.representation.mediaType, width: checked.representation.width, height: checked.representation.height, hashes, thumbnail };
  } catch {
    return undefined;
  }
}

/** Stores the pictures a batch of decoded events carried. */
export async function storeEventPictures(store: PictureStore, db: Querier, decoded: readonly DecodedEvent[]): Promise<number> {
  const attachments: EventAttachment[] = [];
  const representations = new Map<string, MarkRepresentation>();
  for (const event of decoded) {
    if (!event.ok || !event.pictures?.length) continue;
    attachments.push(...event.pictures);
    const representation = event.event.data.mark.representation;
    if (representation) representations.set(representation.sha256, representation);
  }
  return store.storeAll(db, attachments, representations);
}
