import { Body, Controller, Get, Headers, HttpCode, Param, Patch, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiHeader, ApiOkResponse, ApiOperation, ApiParam, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { CancellationDto, CreateRecordationDto, ReasonDto, RecordationFieldsDto, RenewalDto } from '#contracts';
import { FieldValidationException, Roles } from '#platform';
import { OutboxRepository } from '../persistence/outbox.repository.js';
import { RecordationRepository } from '../persistence/recordation.repository.js';
import { BulkCreateUseCase, parseBulkBody } from '../use-cases/bulk-create.use-case.js';
import { ChangeRecordationUseCase, type RecordationChange } from '../use-cases/change-recordation.use-case.js';
import { CreateRecordationUseCase } from '../use-cases/create-recordation.use-case.js';
import { IdempotentWrite } from '../use-cases/idempotent-write.js';
import { preparePicture } from '../use-cases/mark-picture.js';
import { recordationNotFound } from '../use-cases/transition-errors.js';
import { ListRecordationsQuery } from './list-recordations.query.js';
import { exampleBodies } from './openapi.js';

const MAX_NUMBER_LENGTH = 40;

// OpenAPI: bodies are described by the contract DTOs' schemas (generated from their class-validator rules, see
// openapi.ts) with one example each; the examples are the HK service's (the others differ only in office and script).
const EXAMPLES = exampleBodies('HK');
const body = (dto: string, example: unknown) => ApiBody({ schema: { $ref: `#/components/schemas/${dto}` }, examples: { example: { value: example } } });
const idempotencyKey = ApiHeader({
  name: 'Idempotency-Key',
  required: false,
  description: 'The same key and body within 24 h returns the first answer; another body: 422',
});
const numberParam = ApiParam({ name: 'number', description: "The authority's recordation number", example: 'HK-2026-00001' });

function checkNumber(recordationNumber: string): string {
  if (recordationNumber.length > MAX_NUMBER_LENGTH) {
    throw new FieldValidationException([{ field: 'number', reason: `must be at most ${MAX_NUMBER_LENGTH} characters` }]);
  }
  return recordationNumber;
}

function encodeCursor(key: { updatedAt: string; recordationNumber: string }): string {
  return Buffer.from(JSON.stringify([key.updatedAt, key.recordationNumber]), 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): { updatedAt: string; recordationNumber: string } {
  try {
    const [updatedAt, recordationNumber] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (typeof updatedAt === 'string' && !Number.isNaN(Date.parse(updatedAt)) && typeof recordationNumber === 'string') return { updatedAt, recordationNumber };
  } catch {
    // fall through to the 400 below
  }
  throw new FieldValidationException([{ field: 'cursor', reason: 'is not a cursor this service issued' }]);
}

/** The authority's own systems publish recordations here. Only this authority's publishers may call it. */
@Roles('publisher')
@ApiTags('publishers')
@ApiBearerAuth()
@Controller('recordations')
export class RecordationsController {
  constructor(
    private readonly idempotent: IdempotentWrite,
    private readonly createRecordation: CreateRecordationUseCase,
    private readonly changeRecordation: ChangeRecordationUseCase,
    private readonly bulkCreate: BulkCreateUseCase,
    private readonly recordations: RecordationRepository,
    private readonly outbox: OutboxRepository,
  ) {}

  @Post()
  @ApiOperation({ summary: "Record a mark: validated against the contract and this authority's rules, numbered, published as a signed created event" })
  @body('CreateRecordationDto', EXAMPLES.create)
  @idempotencyKey
  async create(@Body() body: CreateRecordationDto, @Headers('idempotency-key') key: string | undefined, @Req() req: Request, @Res() res: Response) {
    // Decoded before the transaction: no connection is held while sharp works.
    const pictures = await preparePicture(body);
    const response = await this.idempotent.run({ idempotencyKey: key, method: 'POST', path: req.path, body: req.body }, async (manager) => ({
      statusCode: 201,
      body: await this.createRecordation.execute(manager, body, pictures),
    }));
    res.status(response.statusCode).json(response.body);
  }

  @Post('bulk')
  @HttpCode(200)
  @ApiOperation({ summary: 'Up to 10 000 creations in one request: a JSON array or NDJSON (application/x-ndjson); one result per item' })
  @ApiBody({
    schema: { type: 'array', items: { $ref: '#/components/schemas/CreateRecordationDto' }, maxItems: 10_000 },
    examples: { example: { value: EXAMPLES.bulk } },
  })
  @idempotencyKey
  async bulk(@Req() req: Request, @Headers('idempotency-key') key: string | undefined) {
    return this.bulkCreate.execute(parseBulkBody(req.body), key);
  }

  @Patch(':number')
  @ApiOperation({ summary: 'Amend fields (only those present change); published as an amended event' })
  @body('RecordationFieldsDto', EXAMPLES.amend)
  @numberParam
  @idempotencyKey
  async amend(@Param('number') number: string, @Body() body: RecordationFieldsDto, @Headers('idempotency-key') key: string | undefined, @Req() req: Request) {
    if (!Object.keys(body).length) throw new FieldValidationException([{ field: '(body)', reason: 'must change at least one field' }]);
    const representation = body.mark?.representation as { data?: string } | undefined;
    const pictures = representation?.data !== undefined ? await preparePicture(body) : [];
    return this.change(number, { kind: 'amend', patch: body, pictures }, key, req);
  }

  @Post(':number/renewal')
  @HttpCode(200)
  @ApiOperation({ summary: 'Renew to a later validUntil (within the trademark registration)' })
  @body('RenewalDto', EXAMPLES.renewal)
  @numberParam
  @idempotencyKey
  renew(@Param('number') number: string, @Body() body: RenewalDto, @Headers('idempotency-key') key: string | undefined, @Req() req: Request) {
    return this.change(number, { kind: 'renew', validUntil: body.validUntil }, key, req);
  }

  @Post(':number/suspension')
  @HttpCode(200)
  @ApiOperation({ summary: 'Suspend an active recordation' })
  @body('ReasonDto', EXAMPLES.suspension)
  @numberParam
  @idempotencyKey
  suspend(@Param('number') number: string, @Body() body: ReasonDto, @Headers('idempotency-key') key: string | undefined, @Req() req: Request) {
    return this.change(number, { kind: 'suspend', reason: body.reason }, key, req);
  }

  @Post(':number/reinstatement')
  @HttpCode(200)
  @ApiOperation({ summary: 'Reinstate a suspended recordation' })
  @body('ReasonDto', EXAMPLES.reinstatement)
  @numberParam
  @idempotencyKey
  reinstate(@Param('number') number: string, @Body() body: ReasonDto, @Headers('idempotency-key') key: string | undefined, @Req() req: Request) {
    return this.change(number, { kind: 'reinstate', reason: body.reason }, key, req);
  }

  @Post(':number/cancellation')
  @HttpCode(200)
  @ApiOperation({ summary: 'Cancel (right lapsed, transferred, abandoned, holder request)' })
  @body('CancellationDto', EXAMPLES.cancellation)
  @numberParam
  @idempotencyKey
  cancel(@Param('number') number: string, @Body() body: CancellationDto, @Headers('idempotency-key') key: string | undefined, @Req() req: Request) {
    return this.change(number, { kind: 'cancel', reason: body.reason, note: body.note }, key, req);
  }

  @Post(':number/revocation')
  @HttpCode(200)
  @ApiOperation({ summary: 'Revoke (recorded on false grounds)' })
  @body('ReasonDto', EXAMPLES.revocation)
  @numberParam
  @idempotencyKey
  revoke(@Param('number') number: string, @Body() body: ReasonDto, @Headers('idempotency-key') key: string | undefined, @Req() req: Request) {
    return this.change(number, { kind: 'revoke', reason: body.reason }, key, req);
  }

  @Get(':number')
  @ApiOperation({ summary: 'One recordation: current state and its events with their publication state (topic, partition, offset)' })
  @numberParam
  async get(@Param('number') number: string) {
    const stored = await this.recordations.find(checkNumber(number));
    if (!stored) throw recordationNotFound(number);
    return {
      recordationNumber: stored.state.recordationNumber,
      version: stored.state.version,
      status: stored.state.status,
      createdAt: stored.createdAt,
      updatedAt: stored.updatedAt,
      data: stored.state,
      events: await this.outbox.forRecordation(number),
    };
  }

  @Get()
  @ApiOperation({ summary: 'Recordations by last change (keyset pages)' })
  @ApiQuery({ name: 'status', required: false, enum: ['active', 'suspended', 'cancelled', 'revoked', 'expired'] })
  @ApiQuery({ name: 'updatedSince', required: false, example: '2026-01-01T00:00:00Z' })
  @ApiQuery({ name: 'cursor', required: false, description: 'nextCursor of the previous page' })
  @ApiQuery({ name: 'limit', required: false, example: 100, description: '1 to 1000 (default 100)' })
  @ApiOkResponse({ schema: { example: { items: [], nextCursor: null } } })
  async list(@Query() query: ListRecordationsQuery) {
    const limit = query.limit ?? 100;
    const page = await this.recordations.page({
      status: query.status,
      updatedSince: query.updatedSince ? new Date(query.updatedSince) : undefined,
      after: query.cursor ? decodeCursor(query.cursor) : undefined,
      limit,
    });
    return {
      items: page.map((item) => ({
        recordationNumber: item.state.recordationNumber,
        status: item.state.status,
        version: item.state.version,
        updatedAt: item.updatedAt,
        data: item.state,
      })),
      nextCursor: page.length === limit && page.lastKey ? encodeCursor(page.lastKey) : null,
    };
  }

  private async change(number: string, change: RecordationChange, key: string | undefined, req: Request) {
    checkNumber(number);
    const response = await this.idempotent.run({ idempotencyKey: key, method: req.method, path: req.path, body: req.body }, async (manager) => ({
      statusCode: 200,
      body: await this.changeRecordation.execute(manager, number, change),
    }));
    return response.body;
  }
}
