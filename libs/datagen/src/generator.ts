import { pinyin } from 'pinyin-pro';
import type { AuthorityCode, CancellationReason, RecordationFields } from '#contracts';
import { addYears as addCalendarYears, toDate, toDay } from '#domain';
import { CATALOGUE, CHARACTER_PAIRS, HOLDER_SUFFIXES, LATIN_SYLLABLES, type CatalogueMark } from './catalogue.js';
import { SeededRandom } from './prng.js';

/** A create request as an authority's system would POST it. */
export interface GeneratedRecordation {
  authority: AuthorityCode;
  recordationNumber: string;
  body: RecordationFields & { recordationNumber: string };
}

export type LifecycleOperation =
  | { authority: AuthorityCode; recordationNumber: string; kind: 'amend'; body: Partial<RecordationFields> }
  | { authority: AuthorityCode; recordationNumber: string; kind: 'renew'; body: { validUntil: string } }
  | { authority: AuthorityCode; recordationNumber: string; kind: 'suspend' | 'reinstate' | 'revoke'; body: { reason: string } }
  | { authority: AuthorityCode; recordationNumber: string; kind: 'cancel'; body: { reason: CancellationReason } };

export interface Dataset {
  recordations: GeneratedRecordation[];
  /** In the order they must be applied (each after its recordation's create). */
  operations: LifecycleOperation[];
}

export interface GeneratorOptions {
  seed?: number;
  /** Approximate number of recordations (catalogue marks count too). */
  recordations: number;
  /** "Today": dates are placed around it so terms are current. */
  now?: Date;
  includeCatalogue?: boolean;
}

const OFFICES: Record<AuthorityCode, string> = { CN: 'CNIPA', HK: 'HKIPD', MO: 'DSE' };
const DAY_MS = 86_400_000;

function isoDate(date: Date): string {
  return date.toISOString().slice(0, 10);
}
/** The authorities' calendar (29 February + n years is 28 February in a common year), or terms would not match theirs. */
function addYears(date: Date, years: number): Date {
  return toDate(addCalendarYears(toDay(date), years));
}
function addDays(date: Date, days: number): Date {
  return new Date(date.getTime() + days * DAY_MS);
}

/**
 * A deterministic, seeded data set of recordations across the three authorities with realistic shape:
 * the same marks in several authorities, 简/繁 and Latin variants, holders in two scripts, and a stream
 * of amendments, renewals, suspensions, cancellations and revocations. Same options → same data.
 */
export function generateDataset(options: GeneratorOptions): Dataset {
  const random = new SeededRandom(options.seed ?? 20240314);
  const now = options.now ?? new Date();
  const today = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
  // Per authority and year, as the authorities number them (a Mainland number has five digits after its year).
  const counters = new Map<string, number>();
  const recordations: GeneratedRecordation[] = [];
  const operations: LifecycleOperation[] = [];

  const marks: CatalogueMark[] = options.includeCatalogue === false ? [] : [...CATALOGUE];
  let generated = 0;
  let planned = countRecordations(marks);
  while (planned < options.recordations) {
    const mark = syntheticMark(random, generated++);
    marks.push(mark);
    planned += mark.authorities.length;
  }

  for (const mark of marks) {
    for (const authority of mark.authorities) {
      if (recordations.length >= options.recordations) break;
      const created = recordationFor(mark, authority, random, today, counters);
      recordations.push(created);
      operations.push(...lifecycleFor(created, random, today));
    }
  }
  return { recordations, operations };
}

function countRecordations(marks: CatalogueMark[]): number {
  return marks.reduce((sum, mark) => sum + mark.authorities.length, 0);
}

function syntheticMark(random: SeededRandom, index: number): CatalogueMark {
  const chinese = random.chance(0.7);
  const authorities = random.sample(['CN', 'HK', 'MO'] as const, random.pick([1, 1, 2, 2, 3]));
  const suffix = random.pick(HOLDER_SUFFIXES);
  if (chinese) {
    // Two to four characters, mostly three, as Chinese marks are.
    const pairs = Array.from({ length: random.pick([2, 3, 3, 4]) }, () => random.pick(CHARACTER_PAIRS));
    const hans = pairs.map((pair) => pair[0]).join('');
    const hant = pairs.map((pair) => pair[1]).join('');
    const latin = pinyin(hans, { toneType: 'none', separator: '' }).toUpperCase();
    return {
      hans,
      hant,
      latin: random.chance(0.6) ? `${latin}${index}` : undefined,
      holder: { name: `${hans}${suffix.hans}`, nameAlt: `${capitalise(latin.toLowerCase())} ${suffix.latin}`, country: random.pick(['CN', 'HK', 'MO']) },
      niceClasses: random.sample([3, 9, 14, 18, 25, 29, 30, 32, 33, 35], random.int(1, 3)).sort((a, b) => a - b),
      goods: 'Goods as listed in the registration',
      authorities: [...authorities],
    };
  }
  const word = Array.from({ length: random.int(2, 3) }, () => random.pick(LATIN_SYLLABLES)).join('');
  const latin = `${capitalise(word)}${index}`.toUpperCase();
  return {
    latin,
    holder: { name: `${capitalise(word)} ${suffix.latin}`, nameAlt: `${word}${suffix.hant}`, country: random.pick(['FR', 'US', 'IT', 'PT', 'JP', 'DE']) },
    niceClasses: random.sample([3, 9, 14, 18, 25, 28, 35], random.int(1, 2)).sort((a, b) => a - b),
    goods: 'Goods as listed in the registration',
    authorities: [...authorities],
  };
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function recordationNumber(authority: AuthorityCode, year: number, counters: Map<string, number>): string {
  const next = (counters.get(`${authority}${year}`) ?? 0) + 1;
  counters.set(`${authority}${year}`, next);
  if (authority === 'CN') return `T${year}-${String(next).padStart(5, '0')}`;
  if (authority === 'HK') return `HK-${year}-${String(next).padStart(6, '0')}`;
  return `MO-${year}-${String(next).padStart(5, '0')}`;
}

function recordationFor(mark: CatalogueMark, authority: AuthorityCode, random: SeededRandom, today: Date, counters: Map<string, number>): GeneratedRecordation {
  // Mainland writes Simplified, Hong Kong and Macao Traditional; Latin-only marks stay Latin.
  const chinese = authority === 'CN' ? (mark.hans ?? mark.hant) : (mark.hant ?? mark.hans);
  const script = chinese ? (authority === 'CN' && mark.hans ? 'Hans' : 'Hant') : 'Latn';
  const text = chinese ?? mark.latin!;
  const transliterations = chinese && mark.latin ? [{ script: 'Latn', text: mark.latin }] : undefined;
  const holder = mark.holderByAuthority?.[authority] ?? mark.holder;

  // Terms: the Mainland's run 10 years from approval; Hong Kong's and Macao's as the owner lodged them.
  // One in ten sits in the last six months of its term, where renewal is allowed.
  const termYears = authority === 'CN' ? 10 : random.int(5, 8);
  let validFrom: Date;
  if (random.chance(0.1)) {
    validFrom = addDays(addYears(addDays(today, random.int(20, 170)), -termYears), 1);
  } else {
    validFrom = addDays(today, -random.int(30, (termYears - 1) * 365));
  }
  const validUntil = addDays(addYears(validFrom, termYears), -1);
  const expiresOn = addYears(validFrom, random.int(12, 20));
  const number = recordationNumber(authority, validFrom.getUTCFullYear(), counters);

  const body: GeneratedRecordation['body'] = {
    recordationNumber: number,
    ipType: 'trademark',
    mark: { text, script, type: mark.type ?? 'word', ...(transliterations ? { transliterations } : {}) },
    niceClasses: mark.niceClasses,
    goods: mark.goods,
    rightsHolder: holder,
    trademarkRegistration: { office: OFFICES[authority], number: String(random.int(1_000_000, 59_999_999)), expiresOn: isoDate(expiresOn) },
    validFrom: isoDate(validFrom),
    validUntil: isoDate(validUntil),
  };
  if (random.chance(0.5)) body.licensees = [{ name: `${holder.name} (${authority}) Distribution`, country: authority }];
  if (random.chance(0.6)) {
    body.genuineGoods = [
      {
        description: mark.goods,
        hsCode: random.pick(['4202.21', '6403.99', '3303.00', '7113.19', '2208.90', '8517.13']),
        authorisedImporters: [`${holder.nameAlt ?? holder.name} Import Agent`],
      },
    ];
  }
  if (random.chance(0.2)) {
    body.knownInfringers = [{ name: `Unknown supplier ${random.int(100, 999)}`, country: random.pick(['CN', 'HK', 'MO', 'VN']) }];
    body.restrictions = [{ field: 'knownInfringers', sharedWith: [authority] }];
  }
  if (authority !== 'CN' || random.chance(0.5)) {
    body.representative = { name: `${holder.name} — local examiner`, email: `examiner.${number.toLowerCase()}@example.org` };
  }
  return { authority, recordationNumber: number, body };
}

function lifecycleFor(created: GeneratedRecordation, random: SeededRandom, today: Date): LifecycleOperation[] {
  const { authority, recordationNumber } = created;
  const ops: LifecycleOperation[] = [];
  if (random.chance(0.25)) {
    ops.push({ authority, recordationNumber, kind: 'amend', body: { goods: `${created.body.goods}; accessories` } });
  }
  const validUntil = new Date(`${created.body.validUntil}T00:00:00Z`);
  const daysLeft = (validUntil.getTime() - today.getTime()) / DAY_MS;
  // Renew where every authority's rule allows it: the last six months of the term.
  if (daysLeft > 1 && daysLeft < 180 && random.chance(0.8)) {
    // Never past the registration it protects (every authority's rule); not renewed when that ends first.
    const extended = addDays(validUntil, authority === 'CN' ? 3650 : 5 * 365);
    const rightEnd = created.body.trademarkRegistration.expiresOn ? new Date(`${created.body.trademarkRegistration.expiresOn}T00:00:00Z`) : extended;
    const renewedUntil = extended < rightEnd ? extended : rightEnd;
    if (renewedUntil > validUntil) ops.push({ authority, recordationNumber, kind: 'renew', body: { validUntil: isoDate(renewedUntil) } });
  }
  const roll = random.next();
  if (roll < 0.04) {
    ops.push({ authority, recordationNumber, kind: 'suspend', body: { reason: 'Holder asked to pause border measures during an ownership review' } });
    if (random.chance(0.5)) ops.push({ authority, recordationNumber, kind: 'reinstate', body: { reason: 'Ownership review completed' } });
  } else if (roll < 0.06) {
    ops.push({ authority, recordationNumber, kind: 'revoke', body: { reason: 'Information in the application proved untruthful' } });
  } else if (roll < 0.08) {
    ops.push({
      authority,
      recordationNumber,
      kind: 'cancel',
      body: { reason: random.pick(['right-lapsed', 'transferred', 'abandoned', 'holder-request'] as const) },
    });
  }
  return ops;
}
