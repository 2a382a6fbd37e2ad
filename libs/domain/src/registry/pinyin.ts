import { pinyin } from 'pinyin-pro';
import type { MarkKey } from './marks.js';

const HAN = /\p{Script=Han}/u;

/**
 * The pinyin bridge: a Chinese matching key read out in toneless pinyin (爱马仕 → aimashi), so an officer typing
 * `ai ma shi` or `naike` finds the Chinese mark. Used for search only, never to group marks: different
 * characters share readings (homophones), and a shared reading does not make the same mark.
 */
export function pinyinKey(matchingKey: string): string | undefined {
  if (!HAN.test(matchingKey)) return undefined;
  return pinyin(matchingKey, { toneType: 'none', type: 'array', nonZh: 'consecutive' }).join('').toLowerCase();
}

/** A row of the registry's key index: a grouping key, or a pinyin reading of one (kind `pinyin`, search only). */
export interface StoredMarkKey {
  key: string;
  kind: MarkKey['kind'] | 'pinyin';
  literal: string;
}

/** The keys stored for a recordation: its grouping keys and, once each, the pinyin readings they do not already hold. */
export function storedMarkKeys(keys: readonly MarkKey[]): StoredMarkKey[] {
  const readings = keys.map((k) => pinyinKey(k.key)).filter((reading): reading is string => !!reading && !keys.some((k) => k.key === reading));
  return [...keys, ...[...new Set(readings)].map((reading) => ({ key: reading, kind: 'pinyin' as const, literal: reading }))];
}
