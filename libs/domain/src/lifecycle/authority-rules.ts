import type { AuthorityCode } from '#contracts';

/**
 * What differs between the three authorities, as data. The Mainland's rules come from the Customs IPR
 * Regulation (10-year term from approval capped at the right's own term, renewable in its last 6 months for
 * another 10 years); Hong Kong and Macao have no statutory recordation, so the term is what the owner
 * lodged and it may be extended at any time while active.
 */
export interface AuthorityRules {
  authority: AuthorityCode;
  /** Recordation numbers: CN `T2024-01234`, HK `HK-2024-012345`, MO `MO-2024-01234`. */
  numberPattern: RegExp;
  numberExample: string;
  formatNumber: (year: number, sequence: number) => string;
  /** Fixed term in years, or null when the holder chooses it (validUntil then required). */
  termYears: number | null;
  /** Renewal allowed only within this many months before validUntil; null = any time while active. */
  renewalWindowMonths: number | null;
  /** A renewal may extend validUntil by at most this many years; null = no limit. */
  maxRenewalYears: number | null;
  /** Offices whose registrations this authority records. */
  trademarkOffices: readonly string[];
  /** ISO 15924 scripts the authority writes marks in. */
  acceptedScripts: readonly string[];
  /** Languages the authority works in (BCP 47). */
  languages: readonly string[];
}

export const AUTHORITY_RULES: Record<AuthorityCode, AuthorityRules> = {
  CN: {
    authority: 'CN',
    numberPattern: /^T\d{4}-\d{5}$/,
    numberExample: 'T2024-01234',
    formatNumber: (year, sequence) => `T${year}-${String(sequence).padStart(5, '0')}`,
    termYears: 10,
    renewalWindowMonths: 6,
    maxRenewalYears: 10,
    trademarkOffices: ['CNIPA', 'WIPO'],
    acceptedScripts: ['Hans', 'Hant', 'Latn', 'Zyyy'],
    languages: ['zh-Hans', 'en'],
  },
  HK: {
    authority: 'HK',
    numberPattern: /^HK-\d{4}-\d{6}$/,
    numberExample: 'HK-2024-012345',
    formatNumber: (year, sequence) => `HK-${year}-${String(sequence).padStart(6, '0')}`,
    termYears: null,
    renewalWindowMonths: null,
    maxRenewalYears: null,
    trademarkOffices: ['HKIPD', 'WIPO'],
    acceptedScripts: ['Hant', 'Hans', 'Latn', 'Zyyy'],
    languages: ['zh-Hant', 'en'],
  },
  MO: {
    authority: 'MO',
    numberPattern: /^MO-\d{4}-\d{5}$/,
    numberExample: 'MO-2024-01234',
    formatNumber: (year, sequence) => `MO-${year}-${String(sequence).padStart(5, '0')}`,
    termYears: null,
    renewalWindowMonths: null,
    maxRenewalYears: null,
    trademarkOffices: ['DSE', 'WIPO'],
    acceptedScripts: ['Hant', 'Hans', 'Latn', 'Zyyy'],
    languages: ['zh-Hant', 'pt', 'en'],
  },
};
