import { pinyin } from 'pinyin-pro';

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
