/** Digits and symbols counterfeiters put in place of look-alike letters (N1KE, H3RMES, CHANE1, $ONY). */
const LOOKALIKES: Record<string, string> = { '0': 'o', '3': 'e', '4': 'a', '5': 's', '7': 't', '8': 'b', $: 's', '@': 'a', '€': 'e' };
/** "1" and "|" stand for i as often as for l: both readings are tried. */
const ONE_LIKE = /[1|]/g;

/**
 * The query as the mark it imitates would read: look-alike digits and symbols turned into letters, applied to the
 * raw text (normalisation would drop the symbols). Empty when nothing changes or the text has no letters at all.
 */
export function lookalikeTexts(text: string): string[] {
  if (!/\p{L}/u.test(text)) return [];
  const folded = [...text].map((char) => LOOKALIKES[char] ?? char).join('');
  const readings = folded.includes('1') || folded.includes('|') ? [folded.replace(ONE_LIKE, 'i'), folded.replace(ONE_LIKE, 'l')] : [folded];
  return readings.filter((reading) => reading !== text);
}
