import { BadRequestException, Injectable, UnprocessableEntityException } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { DataSource, type EntityManager } from 'typeorm';
import { canonicalJson } from '#contracts';
import { IdempotencyRepository, type StoredResponse } from '../persistence/idempotency.repository.js';

/** A write request as the idempotency layer sees it. */
export interface WriteRequest {
  /** The client's Idempotency-Key header, as sent. */
  idempotencyKey?: string;
  /** One item of a bulk request: stored under `<key>:<item>`, so a 200-character key still fits each item. */
  item?: number;
  /** What identifies the request: method, path and body. */
  method: string;
  path: string;
  body: unknown;
}

const KEY_PATTERN = /^[\x21-\x7e]{1,200}$/;

/** 400 unless the Idempotency-Key header is absent or 1 to 200 visible ASCII characters (an empty header too). */
export function checkIdempotencyKey(key: string | undefined): void {
  if (key !== undefined && !KEY_PATTERN.test(key)) {
    throw new BadRequestException({
      statusCode: 400,
      error: 'Bad Request',
      message: 'Validation failed',
      errors: [{ field: 'Idempotency-Key', reason: 'must be 1 to 200 visible ASCII characters' }],
    });
  }
}

/**
 * Runs a write in one transaction together with its Idempotency-Key: a retry with the same key and request
 * gets the first response and writes nothing; the same key with another request is refused (422).
 */
@Injectable()
export class IdempotentWrite {
  constructor(
    private readonly dataSource: DataSource,
    private readonly keys: IdempotencyRepository,
  ) {}

  async run(request: WriteRequest, work: (manager: EntityManager) => Promise<StoredResponse>): Promise<StoredResponse> {
    checkIdempotencyKey(request.idempotencyKey);
    const key = request.idempotencyKey === undefined || request.item === undefined ? request.idempotencyKey : `${request.idempotencyKey}:${request.item}`;
    return this.dataSource.transaction(async (manager) => {
      if (key === undefined) return work(manager);
      const fingerprint = createHash('sha256')
        .update(`${request.method} ${request.path}\n${canonicalJson(request.body ?? null)}`)
        .digest('hex');
      const reservation = await this.keys.reserve(manager, key, fingerprint);
      if (!reservation.reserved) {
        if (reservation.fingerprint !== fingerprint) {
          throw new UnprocessableEntityException({
            statusCode: 422,
            error: 'Unprocessable Entity',
            message: 'this Idempotency-Key was used for a different request',
          });
        }
        if (reservation.response) return reservation.response;
      }
      const response = await work(manager);
      await this.keys.complete(manager, key, response);
      return response;
    });
  }
}
