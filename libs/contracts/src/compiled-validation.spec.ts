import { describe, expect, it } from '@jest/globals';
import type { ClassConstructor } from 'class-transformer';
import { generateEvents } from '#datagen';
import { acceptedByCompiledContract } from './compiled-validation.js';
import { RecordationEventDto, type RecordationEvent } from './envelope.js';
import { findContractErrors, validatePlain } from './validation.js';
import { CreateRecordationDto } from './recordation.js';

/** A created event carrying every optional field, and generated ones of other shapes (an amendment, a status change). */
function sampleEvents(): RecordationEvent[] {
  const generated = generateEvents({ seed: 11, events: 3_000, keys: null }).map((e) => e.event);
  const oneOfEach = ['recordation.amended', 'recordation.suspended', 'recordation.renewed'].map((type) => generated.find((event) => event.type === type)!);
  const created = generated.find((event) => event.type === 'recordation.created')!;
  const full = structuredClone(created) as RecordationEvent & { data: Record<string, unknown> };
  Object.assign(full.data, {
    statusReason: 'lodged again',
    mark: {
      text: 'Éclat 光',
      script: 'Latn',
      type: 'combined',
      transliterations: [
        { script: 'Hans', text: '光' },
        { script: 'Hant', text: '光' },
      ],
      representation: {
        sha256: 'a'.repeat(64),
        mediaType: 'image/png',
        width: 64,
        height: 32,
        bytes: 2048,
      },
    },
    rightsHolder: { name: 'Éclat SA', nameAlt: '光公司', country: 'FR', address: '1 rue de la Paix, Paris' },
    trademarkRegistration: { office: 'CNIPA', number: '12345678', expiresOn: '2034-01-31' },
    licensees: [{ name: 'Éclat Asia', country: 'HK' }, { name: 'Éclat Trading' }],
    genuineGoods: [
      {
        description: 'Leather handbags with an embossed logo',
        hsCode: '4202.21',
        authorisedImporters: ['Éclat Asia Ltd'],
        authorisedExporters: ['Éclat SA'],
        ports: ['Lok Ma Chau', 'Gongbei'],
        features: 'Serial number inside the lining',
      },
    ],
    knownInfringers: [{ name: 'Eclat Copy Co', country: 'CN' }],
    representative: { name: 'Ms Chan', email: 'chan@example.org', phone: '+852 1234 5678' },
    restrictions: [{ field: 'representative', sharedWith: ['CN', 'HK'] }],
  });
  return [full, ...oneOfEach];
}

/** Every path in a JSON value (object keys and array indices), parents before children. */
function pathsOf(value: unknown, path: (string | number)[] = []): (string | number)[][] {
  if (Array.isArray(value)) return value.flatMap((item, index) => [[...path, index], ...pathsOf(item, [...path, index])]);
  if (value !== null && typeof value === 'object') return Object.entries(value).flatMap(([key, item]) => [[...path, key], ...pathsOf(item, [...path, key])]);
  return [];
}

const DELETE = Symbol('delete');
/** Values a hostile or careless publisher could put anywhere; several are valid in some places. */
const REPLACEMENTS: unknown[] = [
  DELETE,
  null,
  '',
  ' ',
  'x',
  ' padded ',
  'a'.repeat(5_000),
  'nul\u0000inside',
  'lone \uD800 surrogate',
  0,
  -1,
  1,
  1.5,
  45,
  46,
  1e308,
  true,
  [],
  [1],
  [1, 1],
  ['x'],
  [null],
  [{}],
  {},
  { name: 'x' },
  'CN',
  'XX',
  'trademark',
  'word',
  'active',
  '1.0',
  'Latn',
  '2024-02-29',
  '2023-02-29',
  '2024-01-01T00:00:00Z',
  '2024-01-01T00:00:00',
  'a@b.co',
  'not an email',
  '4202.21',
  'a'.repeat(64),
  'image/png',
  'representative',
];

function mutated(event: unknown, path: (string | number)[], replacement: unknown): unknown {
  const copy = structuredClone(event) as Record<string | number, unknown>;
  let parent = copy;
  for (const step of path.slice(0, -1)) parent = parent[step] as Record<string | number, unknown>;
  const last = path[path.length - 1];
  if (replacement === DELETE) {
    if (Array.isArray(parent)) parent.splice(Number(last), 1);
    else delete parent[last];
  } else parent[last] = structuredClone(replacement);
  return copy;
}

function verdicts(cls: ClassConstructor<object>, value: unknown) {
  return { compiled: acceptedByCompiledContract(cls, value), classValidator: validatePlain(cls, value).ok };
}

describe('the compiled contract', () => {
  it('accepts exactly what class-validator accepts, for every field of sample events replaced by hostile values', () => {
    const disagreements: { path: string; replacement: unknown; compiled: boolean; classValidator: boolean }[] = [];
    let accepted = 0;
    let refused = 0;
    for (const event of sampleEvents()) {
      const cases: { path: (string | number)[]; replacement: unknown; value: unknown }[] = [{ path: [], replacement: 'unchanged', value: event }];
      for (const path of pathsOf(event)) for (const replacement of REPLACEMENTS) cases.push({ path, replacement, value: mutated(event, path, replacement) });
      for (const path of [[], ...pathsOf(event)]) {
        // An unknown field, and a prototype-polluting one, added to every object.
        const target = path.reduce<unknown>((node, step) => (node as Record<string | number, unknown>)[step], event);
        if (target === null || typeof target !== 'object' || Array.isArray(target)) continue;
        for (const extra of ['{"unexpected":1}', '{"__proto__":{"polluted":true}}', '{"constructor":"x"}']) {
          const value = structuredClone(event) as unknown as Record<string, unknown>;
          const node = path.reduce<Record<string | number, unknown>>((at, step) => at[step] as Record<string | number, unknown>, value);
          // An own "__proto__" key, as JSON.parse makes it (assigning it would set the prototype instead).
          for (const [key, extraValue] of Object.entries(JSON.parse(extra) as object))
            Object.defineProperty(node, key, { value: extraValue, enumerable: true, configurable: true, writable: true });
          cases.push({ path, replacement: extra, value });
        }
      }
      // Arrays longer than their limits, and repeated items.
      for (const path of pathsOf(event)) {
        const node = path.reduce<unknown>((at, step) => (at as Record<string | number, unknown>)[step], event);
        if (!Array.isArray(node) || !node.length) continue;
        for (const length of [2, 21, 46, 101, 201, 501])
          cases.push({
            path,
            replacement: `×${length}`,
            value: mutated(
              event,
              path,
              Array.from({ length }, () => node[0] as unknown),
            ),
          });
      }
      for (const { path, replacement, value } of cases) {
        const verdict = verdicts(RecordationEventDto, value);
        if (verdict.classValidator) accepted++;
        else refused++;
        if (verdict.compiled !== verdict.classValidator) disagreements.push({ path: path.join('.'), replacement, ...verdict });
        // The entry point the registry calls agrees with class-validator too, with its messages when refused.
        if (!verdict.classValidator) expect(findContractErrors(RecordationEventDto, value).length).toBeGreaterThan(0);
      }
    }
    expect(disagreements.slice(0, 10)).toEqual([]);
    // Both verdicts were exercised many times (a compiler that always said "not sure" would agree with nothing here).
    expect(accepted).toBeGreaterThan(1_000);
    expect(refused).toBeGreaterThan(1_000);
  });

  it('never answers yes for a value class-validator is not asked about the same way', () => {
    for (const value of [null, 'text', 42, [], [{}], Object.create({ inherited: true }) as object]) {
      expect(acceptedByCompiledContract(RecordationEventDto, value)).toBe(false);
    }
  });

  it('compiles classes that inherit their rules (CreateRecordationDto extends RecordationFieldsDto)', () => {
    const data = (sampleEvents()[0] as unknown as { data: Record<string, unknown> }).data;
    const fields = Object.fromEntries(
      Object.entries(data).filter(([key]) => !['recordationNumber', 'authority', 'status', 'version', 'statusReason'].includes(key)),
    );
    expect(verdicts(CreateRecordationDto, fields)).toEqual({ compiled: true, classValidator: true });
    expect(verdicts(CreateRecordationDto, { ...fields, authority: 'CN' })).toEqual({ compiled: false, classValidator: false });
  });
});
