/**
 * PostgreSQL stores neither NUL (U+0000) in text or jsonb, nor a lone UTF-16 surrogate in jsonb (JSON.stringify
 * writes it as a \ud800 escape, which jsonb refuses). A message carrying either could never be merged: the batch
 * transaction would fail on every retry and stall its partition. This finds the first such value, by path.
 */
export function unstorableText(value: unknown, path = ''): string | undefined {
  if (typeof value === 'string') return textProblem(value) ? `${path || 'value'}: ${textProblem(value)}` : undefined;
  if (value === null || typeof value !== 'object') return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = unstorableText(value[i], `${path}[${i}]`);
      if (found) return found;
    }
    return undefined;
  }
  for (const [key, member] of Object.entries(value as Record<string, unknown>)) {
    const field = path ? `${path}.${key}` : key;
    if (textProblem(key)) return `${field} (name): ${textProblem(key)}`;
    const found = unstorableText(member, field);
    if (found) return found;
  }
  return undefined;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function textProblem(text: string): string | undefined {
  if (text.includes('\u0000')) return 'contains a NUL character';
  if (LONE_SURROGATE.test(text)) return 'contains a lone UTF-16 surrogate';
  return undefined;
}

/** A text made safe for a PostgreSQL text column (details and key ids of refused messages): NUL and lone surrogates replaced. */
export function storableText(text: string): string {
  // NUL is the very character PostgreSQL text refuses.
  // eslint-disable-next-line no-control-regex
  return text.replace(/\u0000/g, '\uFFFD').replace(new RegExp(LONE_SURROGATE.source, 'g'), '\uFFFD');
}
