import * as OpenCC from 'opencc-js/t2cn';

/**
 * Traditional Chinese (Hong Kong and Taiwan variants) to Simplified. The cast names the converter's type: opencc-js's
 * declarations import './core' without an extension, which nodenext resolution cannot follow, so it comes out unresolved.
 */
type Convert = (text: string) => string;
const hongKongToSimplified = OpenCC.Converter({ from: 'hk', to: 'cn' }) as Convert;
const taiwanToSimplified = OpenCC.Converter({ from: 'tw', to: 'cn' }) as Convert;

const PUNCTUATION_AND_SPACE = /[\p{P}\p{S}\p{Z}\p{Cc}\p{Cf}]+/gu;
/** Accents on Latin letters only: kana voicing marks, Devanagari vowel signs and the like are part of the letter. */
const LATIN_ACCENTS = /(\p{Script=Latin})\p{M}+/gu;

/**
 * The literal form of a text: Unicode NFKC (which also folds full-width Latin and digits to half-width), case
 * folded, accents on Latin letters removed, whitespace and punctuation removed. 「ＨＥＲＭÈＳ」, "Hermès" and
 * "H-E-R-M-E-S" meet here; ガ stays apart from カ and हिंदी keeps its vowel signs (other scripts' marks are letters).
 */
export function literalKey(text: string): string {
  return text.normalize('NFKC').toLowerCase().normalize('NFKD').replace(LATIN_ACCENTS, '$1').normalize('NFKC').replace(PUNCTUATION_AND_SPACE, '');
}

/** The matching key of a mark text: the literal form, with Traditional Chinese turned Simplified (愛馬仕 → 爱马仕). */
export function matchingKey(text: string): string {
  const known = matchingKeys.get(text);
  if (known !== undefined) return known;
  const key: string = taiwanToSimplified(hongKongToSimplified(literalKey(text)));
  // A pure function of the text, remembered: the registry recomputes the keys of the same marks and holders for
  // every merge (OpenCC's conversion showed in the ingest profile). Bounded: emptied when full.
  if (matchingKeys.size >= MATCHING_KEY_CACHE) matchingKeys.clear();
  matchingKeys.set(text, key);
  return key;
}

const MATCHING_KEY_CACHE = 100_000;
const matchingKeys = new Map<string, string>();

const COMPANY_SUFFIXES = [
  'holdingslimited',
  'companylimited',
  'colimited',
  'coltd',
  'limited',
  'ltd',
  'incorporated',
  'inc',
  'corporation',
  'corp',
  'company',
  'co',
  'sarl',
  'sas',
  'sa',
  'gmbh',
  'ag',
  'lda',
  'limitada',
  'llc',
  'plc',
  'spa',
  'srl',
  'bv',
  'nv',
  '股份有限公司',
  '有限责任公司',
  '有限公司',
  '公司',
  '集团',
];

/** A rights holder's name reduced to compare across authorities: matching key less legal-form suffixes. */
export function holderKey(name: string): string {
  let key = matchingKey(name);
  let changed = true;
  while (changed) {
    changed = false;
    for (const suffix of COMPANY_SUFFIXES) {
      if (key.length > suffix.length && key.endsWith(suffix)) {
        key = key.slice(0, -suffix.length);
        changed = true;
      }
    }
  }
  return key;
}
