import type { RecordationState } from '#contracts';

/**
 * Perceptual hashes of a picture, computed from greyscale pixels that the caller has already normalised (EXIF
 * orientation applied, first frame, flattened on white, trimmed, polarity made dark-on-light). Pure functions: the
 * registry decodes with sharp and hands the pixels here.
 */

/** Side of the square the DCT hash is computed on (pHash: 32×32, low 8×8 frequencies). */
export const PHASH_SIZE = 32;
/** The difference hash reads a 9×8 image: 8 comparisons per row, 8 rows. */
export const DHASH_WIDTH = 9;
export const DHASH_HEIGHT = 8;

/**
 * Two pictures are the same mark when both hashes are this close (bits of 64). Chosen on the generated evaluation
 * set (bench/images.ts, bench/RESULTS.md): recall on the distortions against false matches on unrelated logos.
 */
export const PHASH_MATCH_DISTANCE = 12;
export const DHASH_MATCH_DISTANCE = 16;

export interface PerceptualHashes {
  /** 64-bit DCT hash as 16 hex digits. */
  phash: string;
  /** 64-bit difference hash as 16 hex digits. */
  dhash: string;
}

const COSINES: Float64Array = (() => {
  const table = new Float64Array(PHASH_SIZE * PHASH_SIZE);
  for (let u = 0; u < PHASH_SIZE; u++) {
    for (let x = 0; x < PHASH_SIZE; x++) table[u * PHASH_SIZE + x] = Math.cos(((2 * x + 1) * u * Math.PI) / (2 * PHASH_SIZE));
  }
  return table;
})();

function bitsToHex(bits: readonly boolean[]): string {
  let hex = '';
  for (let i = 0; i < bits.length; i += 4) hex += ((bits[i] ? 8 : 0) | (bits[i + 1] ? 4 : 0) | (bits[i + 2] ? 2 : 0) | (bits[i + 3] ? 1 : 0)).toString(16);
  return hex;
}

/** DCT hash: the 8×8 lowest frequencies (without the DC term's influence: compared to their median). */
export function dctHash(pixels: ArrayLike<number>): string {
  if (pixels.length !== PHASH_SIZE * PHASH_SIZE) throw new RangeError(`dctHash needs ${PHASH_SIZE}×${PHASH_SIZE} pixels`);
  const coefficients: number[] = [];
  for (let u = 0; u < 8; u++) {
    for (let v = 0; v < 8; v++) {
      let sum = 0;
      for (let y = 0; y < PHASH_SIZE; y++) {
        const cv = COSINES[v * PHASH_SIZE + y];
        for (let x = 0; x < PHASH_SIZE; x++) sum += pixels[y * PHASH_SIZE + x] * COSINES[u * PHASH_SIZE + x] * cv;
      }
      coefficients.push(sum);
    }
  }
  const ac = coefficients.slice(1);
  const sorted = [...ac].sort((a, b) => a - b);
  const median = (sorted[31] + sorted[32]) / 2;
  return bitsToHex(coefficients.map((c, i) => (i === 0 ? false : c > median)));
}

/** Difference hash: is each pixel brighter than its right neighbour (9×8 pixels, row by row). */
export function differenceHash(pixels: ArrayLike<number>): string {
  if (pixels.length !== DHASH_WIDTH * DHASH_HEIGHT) throw new RangeError(`differenceHash needs ${DHASH_WIDTH}×${DHASH_HEIGHT} pixels`);
  const bits: boolean[] = [];
  for (let y = 0; y < DHASH_HEIGHT; y++) {
    for (let x = 0; x < DHASH_WIDTH - 1; x++) bits.push(pixels[y * DHASH_WIDTH + x] > pixels[y * DHASH_WIDTH + x + 1]);
  }
  return bitsToHex(bits);
}

/** Bits that differ between two hashes of the same length (hex). */
export function hammingDistance(a: string, b: string): number {
  if (a.length !== b.length) throw new RangeError('hashes of different lengths');
  let distance = 0;
  for (let i = 0; i < a.length; i += 8) {
    let x = (parseInt(a.slice(i, i + 8), 16) ^ parseInt(b.slice(i, i + 8), 16)) >>> 0;
    while (x) {
      x &= x - 1;
      distance++;
    }
  }
  return distance;
}

/** Whether two pictures are close enough to be one mark (both hash families agree). */
export function picturesMatch(a: PerceptualHashes, b: PerceptualHashes): boolean {
  return hammingDistance(a.phash, b.phash) <= PHASH_MATCH_DISTANCE && hammingDistance(a.dhash, b.dhash) <= DHASH_MATCH_DISTANCE;
}

/**
 * Similarity in [0, 1] shown to officers and used to rank a search by picture: 1 − the mean of the two normalised
 * Hamming distances.
 */
export function pictureSimilarity(a: PerceptualHashes, b: PerceptualHashes): number {
  return 1 - (hammingDistance(a.phash, b.phash) + hammingDistance(a.dhash, b.dhash)) / 128;
}

/** The picture of a recordation's mark, if it has one: its SHA-256 (hex). */
export function pictureOf(data: Pick<RecordationState, 'mark'>): string | undefined {
  return data.mark.representation?.sha256;
}

/**
 * The grouping keys a recordation's picture contributes: `image:<sha256>` of its own picture and of every stored
 * picture that matches it (`similar`, looked up by the caller). Symmetric whatever the order pictures arrived in: a
 * picture stored later lists the earlier one, whose own key it then shares; so the connected components — and the
 * smallest key a mark id comes from — are the same for one consumer, several, and a replay.
 */
export function pictureKeysOf(
  data: Pick<RecordationState, 'mark'>,
  similar: (sha256: string) => readonly string[],
): { key: string; kind: 'image'; literal: string }[] {
  const own = pictureOf(data);
  if (!own) return [];
  const keys = new Set([own, ...similar(own)]);
  return [...keys].sort().map((sha256) => ({ key: `image:${sha256}`, kind: 'image' as const, literal: sha256 }));
}
