import { Controller, Get, HttpCode, HttpException, NotFoundException, Param, Post, Query, Req, Res, UseInterceptors } from '@nestjs/common';
import { FileFieldsInterceptor } from '@nestjs/platform-express';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { DataSource } from 'typeorm';
import { MAX_PICTURE_BYTES } from '#contracts';
import { FieldValidationException, PictureGate, PicturesBusyError, Roles, inspectPicture, pictureHashes } from '#platform';
import { NoAccessTrail } from '../access-trail/access-trail.interceptor.js';
import { PictureStore } from '../store/picture-store.js';
import { RegistryQueries } from '../store/registry-queries.js';
import { RegistryTables } from '../store/registry-tables.js';
import { ImageSearchQuery } from './lookup.dto.js';

/** The route whose body is a picture (raw); registry-app gives it its own body parser. */
export const IMAGE_SEARCH_PATH = '/api/marks/search-by-image';
/** Candidates a search by picture ranks at most, and the loosest it lists (sum of both distances, of 128 bits). */
const MAX_CANDIDATES = 200;
const MAX_SEARCH_DISTANCE = 44;
const SHA256 = /^[0-9a-f]{64}$/;

/** Pictures decoded at once for searches, and waiting; beyond that 429. */
const gate = new PictureGate(2, 16);

/** Officers search by picture and see marks' thumbnails; the pictures are behind the same credentials as search. */
@ApiTags('officers')
@ApiBearerAuth()
@Roles('officer', 'auditor')
@Controller('api')
export class PicturesController {
  private readonly pictures: PictureStore;

  constructor(
    private readonly dataSource: DataSource,
    private readonly queries: RegistryQueries,
    private readonly tables: RegistryTables,
  ) {
    this.pictures = new PictureStore(tables);
  }

  @Post('marks/search-by-image')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Marks whose picture looks like this one (raw image body or multipart field "image"), best first, matchedBy "image" with a similarity score',
  })
  @UseInterceptors(
    FileFieldsInterceptor(
      [
        { name: 'image', maxCount: 1 },
        { name: 'file', maxCount: 1 },
      ],
      { limits: { fileSize: MAX_PICTURE_BYTES, files: 1, fields: 10, parts: 12 } },
    ),
  )
  async searchByImage(@Req() req: Request & { files?: Record<string, { buffer: Buffer; mimetype?: string }[] | undefined> }, @Query() query: ImageSearchQuery) {
    // Multipart field `image` (or `file`), else the raw body.
    const part = req.files?.image?.[0] ?? req.files?.file?.[0];
    const bytes = part?.buffer ?? (Buffer.isBuffer(req.body) ? req.body : undefined);
    if (!bytes) {
      throw new FieldValidationException([
        { field: 'image', reason: 'is required: the picture as the body (Content-Type image/png, image/jpeg or image/webp) or as multipart field "image"' },
      ]);
    }
    const niceClass = query.niceClass ?? multipartNiceClass(req.body);
    // A declared picture type (the body's or the part's) must be what the bytes are; octet-stream declares nothing.
    const type = (part ? part.mimetype : req.headers['content-type'])?.split(';')[0].trim().toLowerCase();
    const declared = type && type !== 'application/octet-stream' ? type : undefined;
    const hashes = await guarded(async () => {
      const checked = await inspectPicture(bytes, declared);
      if (!checked.ok) throw new FieldValidationException([{ field: 'image', reason: checked.reason }]);
      return pictureHashes(bytes);
    });
    const nearest = await this.pictures.nearest(this.dataSource, hashes, MAX_CANDIDATES, MAX_SEARCH_DISTANCE);
    const scoreOf = new Map(nearest.map((n) => [n.sha256, Math.round((1 - (n.phashDistance + n.dhashDistance) / 128) * 1000) / 1000]));
    const rows: { mark_id: string; sha256: string }[] = nearest.length
      ? await this.dataSource.query(
          `SELECT DISTINCT mark_id, data #>> '{mark,representation,sha256}' AS sha256 FROM ${this.tables.recordations}
           WHERE data #>> '{mark,representation,sha256}' = ANY($1::text[])`,
          [nearest.map((n) => n.sha256)],
        )
      : [];
    const markScore = new Map<string, number>();
    for (const row of rows) markScore.set(row.mark_id, Math.max(markScore.get(row.mark_id) ?? 0, scoreOf.get(row.sha256) ?? 0));
    const hits = (await this.queries.marksWithRecordations([...markScore.keys()], { niceClass }))
      .map((mark) => ({ ...mark, score: markScore.get(mark.markId)!, matchedBy: 'image' as const }))
      .sort((a, b) => b.score - a.score || a.markId.localeCompare(b.markId));
    const limit = query.limit ?? 20;
    const offset = query.cursor === undefined ? 0 : /^[0-9a-z]{1,8}$/.test(query.cursor) ? parseInt(query.cursor, 36) : NaN;
    if (!Number.isSafeInteger(offset) || offset < 0) throw new FieldValidationException([{ field: 'cursor', reason: 'is not a cursor this service issued' }]);
    return { items: hits.slice(offset, offset + limit), nextCursor: offset + limit < hits.length ? (offset + limit).toString(36) : null };
  }

  @Get('pictures/:sha256/thumbnail')
  // The page fetches one per search result; content-addressed bytes name no recordation: the search is what is recorded.
  @NoAccessTrail()
  @ApiOperation({ summary: "A mark picture's thumbnail (WebP, at most 160 px a side), cacheable" })
  async thumbnail(@Param('sha256') sha256: string, @Req() req: Request, @Res() res: Response) {
    const bytes = SHA256.test(sha256) ? await this.pictures.thumbnail(this.dataSource, sha256) : undefined;
    if (!bytes) throw new NotFoundException({ statusCode: 404, error: 'Not Found', message: `no thumbnail for picture ${sha256.slice(0, 64)}` });
    sendImmutable(req, res, sha256, 'image/webp', bytes);
  }

  @Get('pictures/:sha256')
  @NoAccessTrail()
  @ApiOperation({ summary: "A mark's picture as recorded (PNG, JPEG or WebP), cacheable" })
  async picture(@Param('sha256') sha256: string, @Req() req: Request, @Res() res: Response) {
    const found = SHA256.test(sha256) ? await this.pictures.picture(this.dataSource, sha256) : undefined;
    if (!found) throw new NotFoundException({ statusCode: 404, error: 'Not Found', message: `no picture ${sha256.slice(0, 64)}` });
    sendImmutable(req, res, sha256, found.mediaType, found.bytes);
  }
}

/** Content-addressed, so never changes: cached privately (it is behind credentials) for a year, revalidated by ETag. */
function sendImmutable(req: Request, res: Response, sha256: string, mediaType: string, bytes: Buffer): void {
  const etag = `"${sha256}"`;
  res.setHeader('Cache-Control', 'private, max-age=31536000, immutable');
  res.setHeader('ETag', etag);
  if (req.headers['if-none-match'] === etag) {
    res.status(304).end();
    return;
  }
  res.type(mediaType).send(bytes);
}

function multipartNiceClass(body: unknown): number | undefined {
  const value = body && typeof body === 'object' && !Buffer.isBuffer(body) ? (body as Record<string, unknown>).niceClass : undefined;
  if (value === undefined) return undefined;
  const n = typeof value === 'string' && /^\d{1,2}$/.test(value) ? Number(value) : NaN;
  if (!(n >= 1 && n <= 45)) throw new FieldValidationException([{ field: 'niceClass', reason: 'must be a Nice class number between 1 and 45' }]);
  return n;
}

async function guarded<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await gate.run(work);
  } catch (error) {
    if (error instanceof PicturesBusyError) throw new HttpException({ statusCode: 429, error: 'Too Many Requests', message: error.message }, 429);
    throw error;
  }
}
