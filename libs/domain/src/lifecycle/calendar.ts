/** Whole-day arithmetic on YYYY-MM-DD strings (UTC): recordation terms are counted in days. */

export function toDate(day: string): Date {
  return new Date(`${day}T00:00:00.000Z`);
}

export function toDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

export function todayUtc(now: Date = new Date()): string {
  return toDay(now);
}

/** Adds calendar years; 29 February lands on 28 February in a common year. */
export function addYears(day: string, years: number): string {
  const date = toDate(day);
  const month = date.getUTCMonth();
  date.setUTCFullYear(date.getUTCFullYear() + years);
  if (date.getUTCMonth() !== month) date.setUTCDate(0);
  return toDay(date);
}

export function addMonths(day: string, months: number): string {
  const date = toDate(day);
  const dayOfMonth = date.getUTCDate();
  date.setUTCDate(1);
  date.setUTCMonth(date.getUTCMonth() + months);
  const lastDay = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 0)).getUTCDate();
  date.setUTCDate(Math.min(dayOfMonth, lastDay));
  return toDay(date);
}

export function addDays(day: string, days: number): string {
  return toDay(new Date(toDate(day).getTime() + days * 86_400_000));
}

/** The earlier of two days; undefined counts as "no limit". */
export function earliest(a: string, b: string | undefined): string {
  return b !== undefined && b < a ? b : a;
}
