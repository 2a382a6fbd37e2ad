import { describe, expect, it } from '@jest/globals';
import type { RecordationEvent, RecordationState } from '#contracts';
import { RegistryDigest } from './digest.js';
import { groupByKeys, markIdOf, markIdOfComponent, markKeysOf, resolveAlias, summariseMark, type MarkMember } from './marks.js';
import { mergeEvent, type EventRef, type RegistryRecordation } from './merge.js';
import { EventMerger, type HeldEvent, type MergeState } from './event-merger.js';
import { lookalikeTexts } from './lookalike.js';
import { pinyinKey } from './pinyin.js';
import { holderKey, literalKey, matchingKey } from './normalise.js';
import { storableText, unstorableText } from './storable.js';

describe('matchingKey', () => {
  it.each([
    ['愛馬仕', '爱马仕'],
    ['香奈兒', '香奈儿'],
    ['華為', '华为'],
    ['維他奶', '维他奶'],
    ['周大福', '周大福'],
    ['金龍', '金龙'],
  ])('joins Traditional %s and Simplified %s', (traditional, simplified) => {
    expect(matchingKey(traditional)).toBe(matchingKey(simplified));
  });

  it.each([
    ['ＨＥＲＭＥＳ', 'hermes'],
    ['HERMÈS', 'hermes'],
    ['Hermès', 'hermes'],
    ['  H e r m e s  ', 'hermes'],
    ['H.E.R.M.E.S!', 'hermes'],
    ['LOUIS VUITTON®', 'louisvuitton'],
    ['Pastéis de Belém', 'pasteisdebelem'],
    ['ｎｉｋｅ１２３', 'nike123'],
    ['愛馬仕・HERMÈS', '爱马仕hermes'],
  ])('folds %s to %s (full-width, case, accents, spacing, punctuation)', (text, key) => {
    expect(matchingKey(text)).toBe(key);
  });

  it('keeps the script in the literal key', () => {
    expect(literalKey('愛馬仕')).toBe('愛馬仕');
    expect(literalKey('愛馬仕')).not.toBe(literalKey('爱马仕'));
  });

  it('does not join regional brand names (that is the alias table)', () => {
    expect(matchingKey('耐吉')).not.toBe(matchingKey('耐克'));
  });
});

describe('holderKey', () => {
  it('ignores legal forms, case and script', () => {
    expect(holderKey('Hermès International SA')).toBe(holderKey('HERMES INTERNATIONAL'));
    expect(holderKey('Nike, Inc.')).toBe(holderKey('NIKE INC'));
    expect(holderKey('金龍貿易有限公司')).toBe(holderKey('金龙贸易'));
    expect(holderKey('Golden Dragon Trading Limited')).not.toBe(holderKey('Golden Dragon Grain & Oil Co., Ltd.'));
  });
});

function state(overrides: Partial<RecordationState> = {}): RecordationState {
  return {
    recordationNumber: 'HK-2024-000001',
    authority: 'HK',
    status: 'active',
    version: 1,
    ipType: 'trademark',
    mark: { text: '愛馬仕', script: 'Hant', type: 'word', transliterations: [{ script: 'Latn', text: 'HERMES' }] },
    niceClasses: [18],
    goods: 'Bags',
    rightsHolder: { name: 'Hermès International', country: 'FR' },
    trademarkRegistration: { office: 'HKIPD', number: '1' },
    validFrom: '2024-01-01',
    validUntil: '2030-01-01',
    ...overrides,
  };
}

function event(sequence: number, data: RecordationState, changedFields: string[], id = `0190000${sequence}-0000-7000-8000-000000000000`): RecordationEvent {
  return {
    specversion: '1.0',
    id,
    type: sequence === 1 ? 'recordation.created' : 'recordation.amended',
    source: data.authority,
    subject: data.recordationNumber,
    sequence,
    time: `2024-01-0${sequence}T00:00:00.000Z`,
    dataschema: 'urn:recordation-exchange:schema:recordation:v1',
    datacontenttype: 'application/json',
    data: { ...data, version: sequence },
    changedFields,
  };
}

function ref(e: RecordationEvent, offset: number): EventRef {
  return {
    eventId: e.id,
    authority: e.source,
    type: e.type,
    sequence: e.sequence,
    topic: 'recordations.hk',
    partition: 0,
    offset: String(offset),
    time: e.time,
    receivedAt: '2024-02-01T00:00:00.000Z',
    keyId: 'hk-1',
    verified: true,
  };
}

describe('mergeEvent', () => {
  const created = event(1, state(), ['mark', 'goods']);
  const first = mergeEvent(undefined, created, ref(created, 0), false);
  const current = first.next as RegistryRecordation;

  it('applies a create: every field takes the event as provenance', () => {
    expect(first.disposition).toBe('applied');
    expect(current.version).toBe(1);
    expect(Object.keys(current.provenance).sort()).toEqual(Object.keys(created.data).sort());
    expect(current.provenance.goods).toMatchObject({ eventId: created.id, offset: '0' });
  });

  it('moves provenance only for fields that changed', () => {
    const amended = event(2, state({ goods: 'Bags and wallets' }), ['goods']);
    const outcome = mergeEvent(current, amended, ref(amended, 1), false);
    expect(outcome.disposition).toBe('applied');
    expect(outcome.next?.provenance.goods.eventId).toBe(amended.id);
    expect(outcome.next?.provenance.mark.eventId).toBe(created.id);
    expect(outcome.next?.provenance.version.eventId).toBe(amended.id);
    expect(outcome.changes).toEqual([
      { field: 'goods', before: 'Bags', after: 'Bags and wallets' },
      { field: 'version', before: 1, after: 2 },
    ]);
  });

  it('stores a repeated event as duplicate and changes nothing', () => {
    expect(mergeEvent(current, created, ref(created, 5), true)).toEqual({ disposition: 'duplicate', next: current, changes: [] });
  });

  it('stores an older event as stale and changes nothing', () => {
    const other = event(1, state({ goods: 'Other' }), ['goods'], '01900001-0000-7000-8000-00000000ffff');
    expect(mergeEvent(current, other, ref(other, 6), false)).toMatchObject({ disposition: 'stale', next: current });
  });

  it('holds an event that skips a sequence', () => {
    const third = event(3, state({ goods: 'Later' }), ['goods']);
    expect(mergeEvent(current, third, ref(third, 7), false)).toMatchObject({ disposition: 'held', next: current });
    expect(mergeEvent(undefined, third, ref(third, 7), false)).toMatchObject({ disposition: 'held', next: undefined });
  });
});

describe('EventMerger', () => {
  const goods = (sequence: number, text: string, id?: string) =>
    event(sequence, state({ goods: text, version: sequence }), sequence === 1 ? ['mark', 'goods'] : ['goods'], id);
  const emptyState = (): MergeState => ({ recordations: new Map(), held: new Map<string, HeldEvent[]>(), seen: new Set() });

  it('applies in sequence order within one run: held until the gap fills, the rival of a sequence stale, a redelivery duplicate', () => {
    const merger = new EventMerger(emptyState());
    const log = [goods(1, 'v1'), goods(3, 'v3'), goods(3, 'v3 rival', '01900033-0000-7000-8000-000000000000'), goods(1, 'v1'), goods(2, 'v2'), goods(4, 'v4')];
    const entries = log.map((e, offset) => merger.merge(e, ref(e, offset)));
    merger.finish();
    expect(entries.map((e) => `${e.event.sequence}@${e.ref.offset}:${e.disposition}`)).toEqual([
      '1@0:applied',
      '3@1:applied',
      '3@2:stale',
      '1@3:duplicate',
      '2@4:applied',
      '4@5:applied',
    ]);
    expect(entries[1].changes).toContainEqual({ field: 'goods', before: 'v2', after: 'v3' });
    expect(entries[2].changes).toBeNull();
    expect(merger.resolvedEarlier).toEqual([]);
    expect([...merger.touched]).toEqual(['HK:HK-2024-000001']);
    expect(merger.dispositions.map((d) => d.disposition).sort()).toEqual(['applied', 'applied', 'applied', 'applied', 'duplicate', 'stale']);
  });

  it('resolves an event held by an earlier run as resolvedEarlier, and counts a still-held event once', () => {
    const shared = emptyState();
    const first = new EventMerger(shared);
    const created = goods(1, 'v1');
    const third = goods(3, 'v3');
    const fourth = goods(4, 'v4');
    first.merge(created, ref(created, 0));
    const heldEntry = first.merge(third, ref(third, 1));
    first.finish();
    expect(heldEntry.disposition).toBe('held');
    expect(first.dispositions.filter((d) => d.disposition === 'held')).toHaveLength(1);

    const second = new EventMerger(shared);
    const second2 = goods(2, 'v2');
    const entry = second.merge(second2, ref(second2, 2));
    const late = second.merge(fourth, ref(fourth, 3));
    second.finish();
    expect(entry.disposition).toBe('applied');
    expect(late.disposition).toBe('applied');
    // The held row was stored by the first run: the second reports its new disposition instead of mutating it.
    expect(heldEntry.disposition).toBe('held');
    expect(second.resolvedEarlier.map((e) => [e.ref.offset, e.disposition])).toEqual([['1', 'applied']]);
    expect(second.resolvedEarlier[0].changes).toContainEqual({ field: 'goods', before: 'v2', after: 'v3' });
    expect(second.dispositions.filter((d) => d.disposition === 'held')).toEqual([]);
    expect(shared.recordations.get('HK:HK-2024-000001')?.version).toBe(4);
    expect(shared.held.size).toBe(0);
  });
});

describe('mark grouping', () => {
  it('gives each recordation its text and transliteration keys, through aliases', () => {
    expect(markKeysOf(state(), new Map()).map((k) => [k.key, k.kind])).toEqual([
      ['爱马仕', 'text'],
      ['hermes', 'transliteration'],
    ]);
    const aliases = new Map([[matchingKey('耐吉'), matchingKey('耐克')]]);
    expect(markKeysOf(state({ mark: { text: '耐吉', type: 'word' } }), aliases)[0].key).toBe('耐克');
  });

  it('joins recordations that share any key, transitively, whatever the order', () => {
    const keys = new Map([
      ['CN:T1', ['爱马仕']],
      ['HK:H1', ['爱马仕', 'hermes']],
      ['MO:M1', ['hermes']],
      ['MO:M2', ['chanel']],
    ]);
    const reversed = new Map([...keys].reverse());
    const expected = [['CN:T1', 'HK:H1', 'MO:M1'], ['MO:M2']];
    expect(groupByKeys(keys).sort()).toEqual(expected);
    expect(groupByKeys(reversed).sort()).toEqual(expected);
  });

  it('derives the mark id from its smallest key only', () => {
    expect(markIdOf(['hermes', '爱马仕'])).toBe(markIdOf(['爱马仕', 'hermes']));
    expect(markIdOf(['hermes'])).not.toBe(markIdOf(['chanel']));
  });

  const member = (
    authority: 'CN' | 'HK' | 'MO',
    number: string,
    holder: string,
    status: RecordationState['status'] = 'active',
    nameAlt?: string,
  ): MarkMember => ({
    authority,
    recordationNumber: number,
    data: state({
      authority,
      recordationNumber: number,
      status,
      rightsHolder: { name: holder, nameAlt, country: 'FR' },
      mark: { text: `${authority}-text`, type: 'word' },
    }),
  });

  it('flags a conflict when authorities name different holders, with both sides kept', () => {
    const summary = summariseMark([member('CN', 'T1', '金龙鱼粮油食品股份有限公司'), member('HK', 'H1', 'Golden Dragon Trading Limited')]);
    expect(summary).toMatchObject({
      conflict: true,
      conflicts: [
        { holder: '金龙鱼粮油食品股份有限公司', recordations: ['CN:T1'] },
        { holder: 'Golden Dragon Trading Limited', recordations: ['HK:H1'] },
      ],
    });
  });

  it('sees no conflict between holders of one authority, nor when every authority names one holder', () => {
    expect(summariseMark([member('HK', 'H1', 'Alpha Limited'), member('HK', 'H2', 'Beta Limited')])).toMatchObject({ conflict: false, conflicts: [] });
    expect(summariseMark([member('CN', 'T1', 'Alpha Limited'), member('HK', 'H1', 'ALPHA LTD'), member('MO', 'M1', 'Alpha')]).conflict).toBe(false);
  });

  it('links one holder through its other-script name, across recordations', () => {
    // CN names it in Chinese only, MO in Latin only, HK in both: one holder, no conflict.
    const summary = summariseMark([
      member('CN', 'T1', '爱马仕国际'),
      member('MO', 'M1', 'Hermès International'),
      member('HK', 'H1', '爱马仕国际', 'active', 'Hermes International'),
    ]);
    expect(summary).toMatchObject({ conflict: false, conflicts: [] });
  });

  it('lists each holder once with all its recordations, however many recordations a mark has', () => {
    const members = Array.from({ length: 600 }, (_, i) =>
      member((['CN', 'HK', 'MO'] as const)[i % 3], `N${String(i).padStart(3, '0')}`, `Holder ${i % 4} Limited`),
    );
    const summary = summariseMark(members);
    expect(summary.conflict).toBe(true);
    expect(summary.conflicts).toHaveLength(4);
    expect(summary.conflicts.map((side) => side.recordations.length)).toEqual([150, 150, 150, 150]);
    expect(summary.conflicts[0].recordations.slice(0, 2)).toEqual(['CN:N000', 'CN:N012']);
  });

  it('sees the same holder across scripts and legal forms', () => {
    expect(summariseMark([member('CN', 'T1', '爱马仕国际', 'active', 'Hermès International'), member('HK', 'H1', 'HERMES INTERNATIONAL SA')]).conflict).toBe(
      false,
    );
  });

  it('takes the display text from the first active recordation, CN before HK before MO', () => {
    expect(summariseMark([member('MO', 'M1', 'X'), member('HK', 'H1', 'X'), member('CN', 'T1', 'X', 'revoked')])).toMatchObject({
      displayText: 'HK-text',
      displaySource: 'HK:H1',
      recorded: true,
    });
    expect(summariseMark([member('CN', 'T1', 'X', 'revoked')])).toMatchObject({ displaySource: 'CN:T1', recorded: false });
  });
});

describe('RegistryDigest', () => {
  const created = event(1, state(), ['mark']);
  const recordation = { ...(mergeEvent(undefined, created, ref(created, 0), false).next as RegistryRecordation), markId: 'm_1' };

  function digestOf(r: typeof recordation): string {
    const digest = new RegistryDigest();
    digest.addRecordation(r);
    digest.addMark({ markId: 'm_1', displayText: '愛馬仕', displaySource: 'HK:HK-2024-000001', recorded: true, conflict: false });
    return digest.digest();
  }

  it('ignores when a copy received the event', () => {
    const later = {
      ...recordation,
      provenance: Object.fromEntries(Object.entries(recordation.provenance).map(([f, r]) => [f, { ...r, receivedAt: '2030-01-01T00:00:00Z' }])),
    };
    expect(digestOf(later)).toBe(digestOf(recordation));
  });

  it('changes with any fact', () => {
    expect(digestOf({ ...recordation, status: 'revoked' })).not.toBe(digestOf(recordation));
    expect(digestOf({ ...recordation, provenance: { ...recordation.provenance, goods: { ...recordation.provenance.goods, offset: '9' } } })).not.toBe(
      digestOf(recordation),
    );
    expect(digestOf({ ...recordation, provenance: { ...recordation.provenance, goods: { ...recordation.provenance.goods, keyId: 'hk-2' } } })).not.toBe(
      digestOf(recordation),
    );
  });

  it('is the same for provenance read back from storage: fields in another order, equal copies instead of one shared reference', () => {
    const fields = Object.keys(recordation.provenance);
    expect(new Set(Object.values(recordation.provenance)).size).toBe(1);
    const readBack = Object.fromEntries([...fields].reverse().map((field) => [field, JSON.parse(JSON.stringify(recordation.provenance[field])) as EventRef]));
    expect(digestOf({ ...recordation, provenance: readBack })).toBe(digestOf(recordation));
  });
});

describe('lookalikeTexts', () => {
  it.each([
    ['N1KE', ['NiKE', 'NlKE']],
    ['H3RM3S', ['HeRMeS']],
    ['CHANE1', ['CHANEi', 'CHANEl']],
    ['$ONY', ['sONY']],
  ])('reads %s as %j', (text, readings) => {
    expect(lookalikeTexts(text)).toEqual(readings);
  });

  it('finds the imitated mark among the readings', () => {
    expect(lookalikeTexts('N1KE').map(matchingKey)).toContain(matchingKey('NIKE'));
    expect(lookalikeTexts('CHANE1').map(matchingKey)).toContain(matchingKey('CHANEL'));
  });

  it('leaves plain text and numbers alone', () => {
    expect(lookalikeTexts('NIKE')).toEqual([]);
    expect(lookalikeTexts('300123456')).toEqual([]);
  });
});

describe('pinyinKey', () => {
  it('reads Chinese keys out in toneless pinyin, whichever script they were written in', () => {
    expect(pinyinKey(matchingKey('愛馬仕'))).toBe('aimashi');
    expect(pinyinKey(matchingKey('耐克'))).toBe('naike');
    expect(pinyinKey(matchingKey('華為'))).toBe(matchingKey('huawei'));
  });

  it('meets the pinyin an officer types', () => {
    expect(pinyinKey(matchingKey('爱马仕'))).toBe(matchingKey('ai ma shi'));
  });

  it('has nothing to say about marks without Chinese characters', () => {
    expect(pinyinKey(matchingKey('HERMÈS'))).toBeUndefined();
  });
});

describe('markIdOfComponent', () => {
  it('gives keyless marks ids of their own', () => {
    expect(markIdOfComponent(['HK:H1'], () => [])).not.toBe(markIdOfComponent(['HK:H2'], () => []));
    expect(markIdOfComponent(['HK:H1', 'CN:T1'], () => ['hermes'])).toBe(markIdOf(['hermes']));
  });
});

describe('accents are Latin only', () => {
  it('keeps kana voicing marks: ガ is not カ, パ is not ハ', () => {
    expect(matchingKey('ガ')).not.toBe(matchingKey('カ'));
    expect(matchingKey('パン')).not.toBe(matchingKey('ハン'));
    expect(matchingKey('ｶﾞﾝﾀﾞﾑ')).toBe(matchingKey('ガンダム'));
  });

  it('keeps Devanagari vowel signs and viramas', () => {
    expect(matchingKey('हिंदी')).toBe('हिंदी'.normalize('NFKC'));
    expect(matchingKey('कि')).not.toBe(matchingKey('क'));
  });

  it('still strips accents on Latin letters', () => {
    expect(matchingKey('Ångström Crème Brûlée')).toBe('angstromcremebrulee');
  });
});

describe('alias chains', () => {
  it('resolve transitively (耐吉 → 耐克 → nike) and stop on a cycle', () => {
    const aliases = new Map([
      ['耐吉', '耐克'],
      ['耐克', 'nike'],
      ['a', 'b'],
      ['b', 'a'],
    ]);
    expect(resolveAlias('耐吉', aliases)).toBe('nike');
    expect(markKeysOf({ mark: { text: '耐吉', script: 'Hant', type: 'word' } }, aliases).map((k) => k.key)).toEqual(['nike']);
    expect(['a', 'b']).toContain(resolveAlias('a', aliases));
    expect(resolveAlias('other', aliases)).toBe('other');
  });
});

describe('keyless marks', () => {
  it('never yield an empty key and get ids from their recordation', () => {
    for (const text of ['★', '!!!', '®']) expect(markKeysOf({ mark: { text, script: 'Latn', type: 'figurative' } }, new Map())).toEqual([]);
    const ids = ['CN:T1', 'HK:H1', 'MO:M1'].map((id) => markIdOfComponent([id], () => []));
    expect(new Set(ids).size).toBe(3);
    expect(markIdOfComponent(['HK:H1'], () => [])).toBe(markIdOfComponent(['HK:H1'], () => []));
  });
});

describe('unstorableText', () => {
  it('finds a NUL or a lone surrogate anywhere, keys included', () => {
    expect(unstorableText({ a: ['x', 'y\u0000'] })).toMatch(/a\[1\].*NUL/);
    expect(unstorableText({ data: { genuineGoods: [{ name: 'ok' }, { name: 'bad\uD800' }] } })).toMatch(/genuineGoods\[1\]\.name.*surrogate/);
    expect(unstorableText({ ['k\u0000']: 1 })).toMatch(/name/);
    expect(unstorableText({ a: '😀 愛馬仕', b: [1, true, null] })).toBeUndefined();
    expect(storableText('a\u0000b\uDC00')).toBe('a\uFFFDb\uFFFD');
  });
});
