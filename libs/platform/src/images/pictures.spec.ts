import { describe, expect, it } from '@jest/globals';
import sharp from 'sharp';
import { hammingDistance, picturesMatch } from '#domain';
import { PictureGate, PicturesBusyError, inspectPicture, pictureHashes, sniffPicture } from './pictures.js';

const svg = (fg: string, bg: string) =>
  Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="400" height="300"><rect width="400" height="300" fill="${bg}"/><circle cx="140" cy="150" r="90" fill="${fg}"/><rect x="260" y="50" width="60" height="200" fill="${fg}"/><polygon points="330,250 390,250 360,40" fill="${fg}"/><text x="60" y="280" font-family="DejaVu Sans" font-weight="bold" font-size="60" fill="${fg}">AX</text></svg>`,
  );

describe('pictures (sharp)', () => {
  it('accepts PNG, JPEG and WebP by their bytes and reports what they are', async () => {
    const png = await sharp(svg('#c00', '#fff')).png().toBuffer();
    for (const [bytes, mediaType] of [
      [png, 'image/png'],
      [await sharp(png).jpeg().toBuffer(), 'image/jpeg'],
      [await sharp(png).webp().toBuffer(), 'image/webp'],
    ] as const) {
      const checked = await inspectPicture(bytes);
      expect(checked).toEqual({ ok: true, representation: expect.objectContaining({ mediaType, width: 400, height: 300, bytes: bytes.length }) });
    }
  });

  it('refuses empty, truncated, mislabelled, SVG, GIF and oversized pictures, saying why', async () => {
    const png = await sharp(svg('#c00', '#fff')).png().toBuffer();
    const huge = await sharp({ create: { width: 8000, height: 6000, channels: 3, background: '#fff' } })
      .png({ compressionLevel: 9 })
      .toBuffer();
    const reasonOf = async (bytes: Buffer, declared?: string) => {
      const checked = await inspectPicture(bytes, declared);
      return checked.ok ? 'accepted' : checked.reason;
    };
    expect(await reasonOf(Buffer.alloc(0))).toMatch(/empty/);
    expect(await reasonOf(png.subarray(0, png.length - 40))).toMatch(/does not decode/);
    expect(await reasonOf(png, 'image/jpeg')).toMatch(/is image\/png but was declared image\/jpeg/);
    expect(await reasonOf(svg('#000', '#fff'))).toMatch(/SVG/);
    expect(await reasonOf(Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64'))).toMatch(/PNG, JPEG or WebP/);
    expect(await reasonOf(huge)).toMatch(/8000×6000 pixels, more than 40000000/);
    expect(await reasonOf(Buffer.alloc(3 * 1024 * 1024))).toMatch(/at most 2097152 bytes/);
    expect(sniffPicture(Buffer.from('\uFEFF  <?xml version="1.0"?><svg/>'))).toBe('svg');
  });

  it('honours EXIF orientation and reads the first frame of an animation', async () => {
    const png = await sharp(svg('#c00', '#fff')).png().toBuffer();
    const rotated = await sharp(png).jpeg().withMetadata({ orientation: 6 }).toBuffer();
    const checked = await inspectPicture(rotated);
    expect(checked.ok && [checked.representation.width, checked.representation.height]).toEqual([300, 400]);
    // Orientation 6 is displayed turned by 90° clockwise: its hashes are nearest the PNG's turned by 90°.
    const viaExif = await pictureHashes(rotated);
    const distances = [];
    for (const angle of [0, 90, 180, 270])
      distances.push(hammingDistance((await pictureHashes(await sharp(png).rotate(angle).png().toBuffer())).phash, viaExif.phash));
    expect(distances.indexOf(Math.min(...distances))).toBe(1);

    const frames = await Promise.all([svg('#c00', '#fff'), svg('#fff', '#000')].map((s) => sharp(s).png().toBuffer()));
    const animated = await sharp(frames, { join: { animated: true } })
      .webp({ loop: 0, delay: [100, 100] })
      .toBuffer();
    expect((await sharp(animated, { pages: -1 }).metadata()).pages).toBe(2);
    const first = await inspectPicture(animated);
    expect(first.ok && [first.representation.mediaType, first.representation.width, first.representation.height]).toEqual(['image/webp', 400, 300]);
  });

  it('hashes a picture like its inverted, bordered and recompressed copies, and unlike another', async () => {
    const png = await sharp(svg('#c00', '#fff')).png().toBuffer();
    const original = await pictureHashes(png);
    for (const copy of [
      await sharp(png).negate({ alpha: false }).png().toBuffer(),
      await sharp(png).extend({ top: 30, bottom: 30, left: 30, right: 30, background: '#000' }).png().toBuffer(),
      await sharp(png).resize(150).jpeg({ quality: 30 }).toBuffer(),
    ]) {
      expect(picturesMatch(original, await pictureHashes(copy))).toBe(true);
    }
    const other = await pictureHashes(
      await sharp(
        Buffer.from(
          '<svg xmlns="http://www.w3.org/2000/svg" width="300" height="300"><rect width="300" height="300" fill="#fff"/><polygon points="150,20 280,280 20,280" fill="#06c"/></svg>',
        ),
      )
        .png()
        .toBuffer(),
    );
    expect(picturesMatch(original, other)).toBe(false);
  });

  it('answers a flood with PicturesBusyError instead of queueing without end', async () => {
    const gate = new PictureGate(1, 2);
    let release: () => void = () => undefined;
    const blocked = new Promise<void>((resolve) => (release = resolve));
    const running = [gate.run(() => blocked), gate.run(() => Promise.resolve(1)), gate.run(() => Promise.resolve(2))];
    await expect(gate.run(() => Promise.resolve(3))).rejects.toBeInstanceOf(PicturesBusyError);
    release();
    await expect(Promise.all(running)).resolves.toEqual([undefined, 1, 2]);
  });
});
