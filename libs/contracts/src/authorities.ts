/** The three customs authorities that share recordations under the MoU. */
export const AUTHORITIES = ['CN', 'HK', 'MO'] as const;
export type AuthorityCode = (typeof AUTHORITIES)[number];

export function isAuthorityCode(value: unknown): value is AuthorityCode {
  return typeof value === 'string' && (AUTHORITIES as readonly string[]).includes(value);
}

export const AUTHORITY_NAMES: Record<AuthorityCode, { en: string; zh: string }> = {
  CN: { en: 'General Administration of Customs of China (Mainland)', zh: '中华人民共和国海关总署' },
  HK: { en: 'Customs and Excise Department, Hong Kong', zh: '香港海關' },
  MO: { en: 'Macao Customs Service', zh: '澳門海關' },
};
