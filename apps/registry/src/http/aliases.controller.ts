import { Body, Controller, Get, Injectable, Post } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { AuthorityCode, RecordationState } from '#contracts';
import { matchingKey, recordationId, resolveAlias } from '#domain';
import { CurrentPrincipal, FieldValidationException, Roles, type Principal } from '#platform';
import { MarkGrouping } from '../store/mark-grouping.js';
import { RegistryTables } from '../store/registry-tables.js';
import { AliasDto } from './lookup.dto.js';

/** Regional brand aliases (耐吉 ↔ 耐克): data that officers' administrators extend, never code. */
@Injectable()
export class AliasService {
  private readonly grouping: MarkGrouping;

  constructor(
    private readonly dataSource: DataSource,
    private readonly tables: RegistryTables,
  ) {
    this.grouping = new MarkGrouping(tables);
  }

  list(): Promise<unknown[]> {
    return this.dataSource.query(
      `SELECT from_text AS "from", to_text AS "to", from_key AS "fromKey", to_key AS "toKey", created_by AS "createdBy", created_at AS "createdAt" FROM ${this.tables.aliases} ORDER BY created_at`,
    );
  }

  /** Every alias change, oldest first: what was set, the target it replaced, by whom and when. */
  history(): Promise<unknown[]> {
    return this.dataSource.query(
      `SELECT from_text AS "from", to_text AS "to", from_key AS "fromKey", to_key AS "toKey", previous_to_key AS "previousToKey", set_by AS "setBy", set_at AS "setAt"
       FROM ${this.tables.aliasChanges} ORDER BY position`,
    );
  }

  /** Adds `from → to` and regroups every recordation filed under `from`, in one transaction. */
  async add(from: string, to: string, createdBy: string): Promise<{ fromKey: string; toKey: string; regrouped: number }> {
    return this.dataSource.transaction(async (manager) => {
      // Exclusive: no merge that changes keys runs meanwhile. No row lock on the recordations read (their data is
      // not written here, and a row lock before the marks' locks would break the merge locks' order).
      await this.grouping.lock(manager);
      const aliases = await this.grouping.loadAliases(manager);
      const fromKey = matchingKey(from);
      const toKey = resolveAlias(matchingKey(to), aliases);
      if (!fromKey || !toKey) throw new FieldValidationException([{ field: fromKey ? 'to' : 'from', reason: 'has no letters or characters to match on' }]);
      if (fromKey === toKey) throw new FieldValidationException([{ field: 'to', reason: 'is the same mark as from' }]);
      if (aliases.has(toKey)) throw new FieldValidationException([{ field: 'to', reason: 'is itself an alias' }]);
      // Who set what, when, and what it replaced: kept for auditors (the aliases row keeps only the latest).
      await manager.query(
        `INSERT INTO ${this.tables.aliasChanges} (from_key, to_key, from_text, to_text, previous_to_key, set_by) VALUES ($1, $2, $3, $4, $5, $6)`,
        [fromKey, toKey, from, to, aliases.get(fromKey) ?? null, createdBy],
      );
      await manager.query(
        `INSERT INTO ${this.tables.aliases} (from_key, to_key, from_text, to_text, created_by) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (from_key) DO UPDATE SET to_key = EXCLUDED.to_key, to_text = EXCLUDED.to_text, created_by = EXCLUDED.created_by, created_at = now()`,
        [fromKey, toKey, from, to, createdBy],
      );
      aliases.set(fromKey, toKey);
      const affected: { authority: AuthorityCode; recordation_number: string; data: RecordationState }[] = await manager.query(
        `SELECT r.authority, r.recordation_number, r.data FROM ${this.tables.recordations} r
         JOIN ${this.tables.markKeys} k ON k.authority = r.authority AND k.recordation_number = r.recordation_number
         WHERE k.key = $1`,
        [fromKey],
      );
      await this.grouping.update(
        manager,
        new Map(
          affected.map((row) => [
            recordationId(row.authority, row.recordation_number),
            { authority: row.authority, recordationNumber: row.recordation_number, data: row.data },
          ]),
        ),
        aliases,
      );
      return { fromKey, toKey, regrouped: affected.length };
    });
  }
}

@Controller('api/admin/aliases')
export class AliasesController {
  constructor(private readonly aliases: AliasService) {}

  @Roles('officer', 'auditor', 'admin')
  @Get()
  list() {
    return this.aliases.list();
  }

  @Roles('auditor', 'admin')
  @Get('history')
  history() {
    return this.aliases.history();
  }

  @Roles('admin')
  @Post()
  add(@Body() body: AliasDto, @CurrentPrincipal() principal: Principal) {
    return this.aliases.add(body.from, body.to, principal.name);
  }
}
