import { createHash } from 'node:crypto';
import sharp, { type Metadata, type Sharp } from 'sharp';
import { MAX_PICTURE_BYTES, MAX_PICTURE_PIXELS, type MarkRepresentation, type PictureMediaType } from '#contracts';
import { DHASH_HEIGHT, DHASH_WIDTH, PHASH_SIZE, dctHash, differenceHash, type PerceptualHashes } from '#domain';

/**
 * Pictures of marks, decoded with sharp (libvips): never by hand, never by the declared type. Only PNG, JPEG and WebP
 * reach the decoder — recognised by their signature bytes first, so SVG (which can carry scripts), GIF, TIFF and the
 * rest are refused before libvips sees them. Animated PNG/WebP: the first frame. EXIF orientation: applied.
 */

/** libvips' own thread pool; the event loop only awaits. One thread keeps a flood of uploads from taking both cores. */
sharp.concurrency(1);
sharp.cache(false);

export type PictureCheck = { ok: true; representation: MarkRepresentation } | { ok: false; reason: string };

/** The format a file's first bytes say it is, or a name for what it is instead. */
export function sniffPicture(bytes: Buffer): PictureMediaType | 'svg' | 'gif' | 'unknown' {
  if (bytes.length >= 8 && bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  if (bytes.length >= 12 && bytes.toString('latin1', 0, 4) === 'RIFF' && bytes.toString('latin1', 8, 12) === 'WEBP') return 'image/webp';
  if (bytes.length >= 6 && bytes.toString('latin1', 0, 3) === 'GIF') return 'gif';
  const head = bytes
    .toString('utf8', 0, Math.min(bytes.length, 1024))
    .replace(/^\uFEFF/, '')
    .trimStart()
    .toLowerCase();
  if (head.startsWith('<?xml') || head.startsWith('<svg') || head.startsWith('<!doctype svg') || head.includes('<svg')) return 'svg';
  return 'unknown';
}

function decoder(bytes: Buffer): Sharp {
  // pages: 1 = the first frame of an animation; failOn 'truncated' refuses a cut-off file that would half-decode.
  return sharp(bytes, { failOn: 'truncated', limitInputPixels: MAX_PICTURE_PIXELS, pages: 1, animated: false, sequentialRead: true });
}

/**
 * Checks a mark's picture by decoding it whole: size, format (from the bytes), pixel count, and that every pixel
 * decodes. `declared` (a media type the sender gave) must agree with what the bytes are.
 */
export async function inspectPicture(bytes: Buffer, declared?: string): Promise<PictureCheck> {
  if (!bytes.length) return { ok: false, reason: 'is empty (zero bytes)' };
  if (bytes.length > MAX_PICTURE_BYTES) return { ok: false, reason: `must be at most ${MAX_PICTURE_BYTES} bytes (is ${bytes.length})` };
  const sniffed = sniffPicture(bytes);
  if (sniffed === 'svg') return { ok: false, reason: 'is SVG, which is refused (it can carry scripts): send PNG, JPEG or WebP' };
  if (sniffed === 'gif' || sniffed === 'unknown')
    return { ok: false, reason: `must be a PNG, JPEG or WebP file (the bytes are ${sniffed === 'gif' ? 'GIF' : 'none of these'})` };
  if (declared !== undefined && declared !== sniffed) return { ok: false, reason: `is ${sniffed} but was declared ${declared.slice(0, 60)}` };
  let metadata: Metadata;
  try {
    metadata = await sharp(bytes, { limitInputPixels: false, pages: 1 }).metadata();
  } catch (error) {
    return { ok: false, reason: `does not decode as ${sniffed}: ${shortReason(error)}` };
  }
  const { width, height } = metadata;
  if (!width || !height) return { ok: false, reason: `does not decode as ${sniffed}: no dimensions` };
  if (width * height > MAX_PICTURE_PIXELS) return { ok: false, reason: `has ${width}×${height} pixels, more than ${MAX_PICTURE_PIXELS} (40 megapixels)` };
  try {
    // Decode every pixel (into a small image, so memory stays bounded): a truncated or corrupt file fails here.
    await decoder(bytes).rotate().resize(64, 64, { fit: 'inside' }).raw().toBuffer();
  } catch (error) {
    return { ok: false, reason: `does not decode as ${sniffed}: ${shortReason(error)}` };
  }
  const swapped = (metadata.orientation ?? 1) >= 5;
  return {
    ok: true,
    representation: {
      sha256: createHash('sha256').update(bytes).digest('hex'),
      mediaType: sniffed,
      width: swapped ? height : width,
      height: swapped ? width : height,
      bytes: bytes.length,
    },
  };
}

function shortReason(error: unknown): string {
  return (
    (error instanceof Error ? error.message : String(error))
      .split('\n')[0]
      .replace(/^Input buffer (has corrupt header|contains unsupported image format): ?/, '')
      .slice(0, 160) || 'corrupt'
  );
}

/** Side of the working copy the hashes are computed from. */
const WORKING_SIZE = 256;
/** A pixel differs from the background by more than this (0–255) to count as the mark. */
const TRIM_THRESHOLD = 48;

interface Grey {
  pixels: Uint8Array;
  width: number;
  height: number;
}

function ring(image: Grey): number[] {
  const { pixels, width, height } = image;
  const out: number[] = [];
  for (let x = 0; x < width; x++) out.push(pixels[x], pixels[(height - 1) * width + x]);
  for (let y = 1; y < height - 1; y++) out.push(pixels[y * width], pixels[y * width + width - 1]);
  return out;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1];
}

function crop(image: Grey, left: number, top: number, width: number, height: number): Grey {
  const pixels = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) pixels.set(image.pixels.subarray((top + y) * image.width + left, (top + y) * image.width + left + width), y * width);
  return { pixels, width, height };
}

/**
 * Removes uniform borders (a frame added around a logo, then the logo's own background), and returns what is left
 * with the background colour it stood on: the last uniform ring removed, else the outer ring's median.
 */
export function trimBorders(image: Grey): { image: Grey; background: number } {
  let current = image;
  let background = median(ring(image));
  for (let round = 0; round < 4; round++) {
    const edge = ring(current);
    const value = median(edge);
    const uniform = edge.filter((p) => Math.abs(p - value) <= TRIM_THRESHOLD).length >= edge.length * 0.9;
    if (!uniform) break;
    let [left, top, right, bottom] = [current.width, current.height, -1, -1];
    for (let y = 0; y < current.height; y++) {
      for (let x = 0; x < current.width; x++) {
        if (Math.abs(current.pixels[y * current.width + x] - value) > TRIM_THRESHOLD) {
          if (x < left) left = x;
          if (x > right) right = x;
          if (y < top) top = y;
          if (y > bottom) bottom = y;
        }
      }
    }
    background = value;
    if (right < 0) break; // one colour throughout
    const [width, height] = [right - left + 1, bottom - top + 1];
    if (width === current.width && height === current.height) break;
    if (width < 4 || height < 4) break;
    // Resampling leaves a line of in-between grey where a frame met the picture: shave it with the frame.
    const inset = width < 12 || height < 12 ? 0 : 2;
    current = crop(current, left + inset, top + inset, width - 2 * inset, height - 2 * inset);
  }
  return { image: current, background };
}

/**
 * The perceptual hashes of a picture: EXIF orientation applied, first frame, flattened on white, greyscale,
 * borders trimmed, polarity made dark-on-light (so an inverted logo hashes like the original), then DCT pHash on
 * 32×32 and the difference hash on 9×8.
 */
export async function pictureHashes(bytes: Buffer): Promise<PerceptualHashes> {
  const { data, info } = await sharp(bytes, { failOn: 'none', limitInputPixels: MAX_PICTURE_PIXELS, pages: 1, animated: false })
    .rotate()
    .flatten({ background: '#ffffff' })
    .resize(WORKING_SIZE, WORKING_SIZE, { fit: 'inside' })
    .greyscale()
    .raw()
    .toBuffer({ resolveWithObject: true });
  const grey: Grey = { pixels: toSingleChannel(data, info.channels), width: info.width, height: info.height };
  const { image, background } = trimBorders(grey);
  if (background < 128) for (let i = 0; i < image.pixels.length; i++) image.pixels[i] = 255 - image.pixels[i];
  const raw = { raw: { width: image.width, height: image.height, channels: 1 as const } };
  const small = await sharp(Buffer.from(image.pixels), raw).resize(PHASH_SIZE, PHASH_SIZE, { fit: 'fill', kernel: 'cubic' }).extractChannel(0).raw().toBuffer();
  const tiny = await sharp(Buffer.from(image.pixels), raw).resize(DHASH_WIDTH, DHASH_HEIGHT, { fit: 'fill' }).extractChannel(0).raw().toBuffer();
  return { phash: dctHash(small), dhash: differenceHash(tiny) };
}

function toSingleChannel(data: Buffer, channels: number): Uint8Array {
  if (channels === 1) return new Uint8Array(data.buffer, data.byteOffset, data.length);
  const out = new Uint8Array(data.length / channels);
  for (let i = 0; i < out.length; i++) out[i] = data[i * channels];
  return out;
}

/** A thumbnail for officers' pages: at most `size` pixels a side, WebP, orientation applied, first frame. */
export async function pictureThumbnail(bytes: Buffer, size: number): Promise<Buffer> {
  return sharp(bytes, { failOn: 'none', limitInputPixels: MAX_PICTURE_PIXELS, pages: 1, animated: false })
    .rotate()
    .resize(size, size, { fit: 'inside', withoutEnlargement: true })
    .webp({ quality: 80 })
    .toBuffer();
}

/** Thrown by PictureGate when too many pictures are already waiting: answered 429. */
export class PicturesBusyError extends Error {}

/**
 * Bounds the pictures decoded at once and waiting (per process): a flood of uploads gets 429s quickly instead of
 * queueing without end behind libvips.
 */
export class PictureGate {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly concurrency = 2,
    private readonly maxWaiting = 32,
  ) {}

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.running >= this.concurrency) {
      if (this.waiting.length >= this.maxWaiting) throw new PicturesBusyError(`more than ${this.maxWaiting} pictures are waiting to be decoded; retry later`);
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running++;
    }
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}
