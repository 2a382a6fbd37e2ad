import { Body, Controller, Get, Headers, HttpCode, Param, Patch, Post, Query, Req, Res } from '@nestjs/common';
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

const MAX_NUMBER_LENGTH = 40;

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
  async bulk(@Req() req: Request, @Headers('idempotency-key') key: string | undefined) {
    return this.bulkCreate.execute(parseBulkBody(req.body), key);
  }

  @Patch(':number')
  async amend(@Param('number') number: string, @Body() body: RecordationFieldsDto, @Headers('idempotency-key') key: string | undefined, @Req() req: Request) {
    if (!Object.keys(body).length) throw new FieldValidationException([{ field: '(body)', reason: 'must change at least one field' }]);
    const representation = body.mark?.representation as { data?: string } | undefined;
    const pictures = representation?.data !== undefined ? await preparePicture(body) : [];
    return this.change(number, { kind: 'amend', patch: body, pictures }, key, req);
  }

  @Post(':number/renewal')
  @HttpCode(200)
  renew(@Param('number') number: string, @Body() body: RenewalDto, @Headers('idempotency-key') key: string | undefined, @Req() req: Request) {
    return this.change(number, { kind: 'renew', validUntil: body.validUntil }, key, req);
  }

  @Post(':number/suspension')
  @HttpCode(200)
  suspend(@Param('number') number: string, @Body() body: ReasonDto, @Headers('idempotency-key') key: string | undefined, @Req() req: Request) {
    return this.change(number, { kind: 'suspend', reason: body.reason }, key, req);
  }

  @Post(':number/reinstatement')
  @HttpCode(200)
  reinstate(@Param('number') number: string, @Body() body: ReasonDto, @Headers('idempotency-key') key: string | undefined, @Req() req: Request) {
    return this.change(number, { kind: 'reinstate', reason: body.reason }, key, req);
  }

  @Post(':number/cancellation')
  @HttpCode(200)
  cancel(@Param('number') number: string, @Body() body: CancellationDto, @Headers('idempotency-key') key: string | undefined, @Req() req: Request) {
    return this.change(number, { kind: 'cancel', reason: body.reason, note: body.note }, key, req);
  }

  @Post(':number/revocation')
  @HttpCode(200)
  revoke(@Param('number') number: string, @Body() body: ReasonDto, @Headers('idempotency-key') key: string | undefined, @Req() req: Request) {
    return this.change(number, { kind: 'revoke', reason: body.reason }, key, req);
  }

  @Get(':number')
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
  async list(@Query() query: ListRecordationsQuery) {
    const limit = query.limit ?? 100;
    const page = await this.recordations.page({
      status: query.status,
      updatedSince: query.updatedSince ? new Date(query.updatedSince) : undefined,
      after: query.cursor ? decodeCursor(query.cursor) : undefined,
      limit,
    });
    return {
      items: page.map((item) => ({ recordationNumber: item.state.recordationNumber, status: item.state.status, version: item.state.version, updatedAt: item.updatedAt, data: item.state })),
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
