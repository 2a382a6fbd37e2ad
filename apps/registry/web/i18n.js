// Interface strings in Traditional Chinese and English. Officers in CN, HK and MO share one page, so the
// language is a personal choice remembered in localStorage rather than inferred from the authority.

const STORAGE_KEY = 'rx.lang';
export const LANGUAGES = ['zh-Hant', 'en'];

const STRINGS = {
  en: {
    skip: 'Skip to results',
    credentialLabel: 'Officer credential',
    credentialHint: 'Kept for this browser tab only.',
    credentialSave: 'Use',
    credentialClear: 'Forget',
    credentialSaved: 'Credential set for this tab.',
    credentialCleared: 'Credential forgotten.',
    searchHeading: 'Search recorded marks',
    queryLabel: 'Mark, holder or recordation number',
    queryHint: 'Chinese (Traditional or Simplified), Latin, transliteration or number.',
    classLabel: 'Nice class',
    classAny: 'Any class',
    classOption: 'Class {n}',
    submit: 'Search',
    resultsHeading: 'Results',
    loadMore: 'Load more',
    loading: 'Searching…',
    loadingMore: 'Loading more…',
    emptyQuery: 'Enter a mark, holder name or recordation number.',
    empty: 'No recorded mark matches',
    count: '{n} marks shown',
    countMore: '{n} marks shown, more available',
    countOne: '1 mark shown',
    recorded: 'Recorded',
    notRecorded: 'Not recorded',
    matchedBy: 'Matched by',
    score: 'Score',
    holders: 'Holder',
    classes: 'Classes',
    noRecordations: 'No recordations.',
    conflict: 'Rights holders differ between authorities — check each recordation before acting.',
    close: 'Close',
    detailLoading: 'Loading mark…',
    recordationLoading: 'Loading recordation…',
    showRecordation: 'Show fields and provenance',
    validUntil: 'Valid until',
    version: 'Version',
    colField: 'Field',
    colValue: 'Value',
    colProvenance: 'Provenance',
    noProvenance: 'No provenance recorded',
    verified: 'Signature verified',
    notVerified: 'Signature NOT verified',
    seq: 'seq.',
    key: 'key',
    event: 'event',
    received: 'received',
    errAuth: 'The registry refused the credential. Enter a valid officer credential and search again.',
    errNoCredential: 'Enter your officer credential first.',
    errBadRequest: 'The registry could not accept this request:',
    errNotFound: 'Not found in the registry.',
    errNetwork: 'The registry cannot be reached. Check the connection and try again.',
    errServer: 'The registry failed to answer (HTTP {n}). Try again shortly.',
    'matched.exact': 'Exact match',
    'matched.script': 'Traditional/Simplified variant',
    'matched.alias': 'Alias',
    'matched.transliteration': 'Transliteration',
    'matched.fuzzy': 'Similar spelling',
    'matched.number': 'Recordation number',
    'matched.image': 'Similar picture',
    imageLabel: 'Search by picture',
    imageHint: 'Choose a photo or logo (PNG, JPEG, WebP, up to 2 MB), drop it here, or paste it (Ctrl+V).',
    picture: 'Mark picture',
    'status.active': 'active',
    'status.suspended': 'suspended',
    'status.cancelled': 'cancelled',
    'status.revoked': 'revoked',
    'status.expired': 'expired',
    'authority.CN': 'Mainland China Customs',
    'authority.HK': 'Hong Kong Customs',
    'authority.MO': 'Macao Customs',
    'field.status': 'Status',
    'field.statusReason': 'Status reason',
    'field.version': 'Version',
    'field.ipType': 'IP type',
    'field.mark': 'Mark',
    'field.niceClasses': 'Nice classes',
    'field.goods': 'Goods',
    'field.rightsHolder': 'Rights holder',
    'field.trademarkRegistration': 'Trademark registration',
    'field.validFrom': 'Valid from',
    'field.validUntil': 'Valid until',
    'field.licensees': 'Licensees',
    'field.genuineGoods': 'Genuine goods',
    'field.knownInfringers': 'Known infringers',
    'field.representative': 'Representative',
    'field.restrictions': 'Sharing restrictions',
    'sub.text': 'text',
    'sub.script': 'script',
    'sub.type': 'type',
    'sub.transliterations': 'transliterations',
    'sub.name': 'name',
    'sub.nameAlt': 'other name',
    'sub.country': 'country',
    'sub.address': 'address',
    'sub.office': 'office',
    'sub.number': 'number',
    'sub.expiresOn': 'expires on',
    'sub.description': 'description',
    'sub.hsCode': 'HS code',
    'sub.authorisedImporters': 'authorised importers',
    'sub.authorisedExporters': 'authorised exporters',
    'sub.ports': 'ports',
    'sub.features': 'features',
    'sub.email': 'email',
    'sub.phone': 'phone',
    'sub.field': 'field',
    'sub.sharedWith': 'shared with',
  },
  'zh-Hant': {
    skip: '跳至結果',
    credentialLabel: '關員憑證',
    credentialHint: '僅保存於本瀏覽器分頁。',
    credentialSave: '使用',
    credentialClear: '清除',
    credentialSaved: '已為本分頁設定憑證。',
    credentialCleared: '已清除憑證。',
    searchHeading: '查詢備案商標',
    queryLabel: '商標、權利人或備案編號',
    queryHint: '可輸入繁體或簡體中文、拉丁字母、音譯或編號。',
    classLabel: '尼斯分類',
    classAny: '任何類別',
    classOption: '第 {n} 類',
    submit: '查詢',
    resultsHeading: '查詢結果',
    loadMore: '載入更多',
    loading: '查詢中…',
    loadingMore: '載入中…',
    emptyQuery: '請輸入商標、權利人名稱或備案編號。',
    empty: '沒有相符的備案商標',
    count: '顯示 {n} 個商標',
    countMore: '顯示 {n} 個商標，尚有更多',
    countOne: '顯示 1 個商標',
    recorded: '已備案',
    notRecorded: '未備案',
    matchedBy: '相符方式',
    score: '分數',
    holders: '權利人',
    classes: '類別',
    noRecordations: '沒有備案。',
    conflict: '各地海關備案的權利人不一致，採取行動前請逐一核對。',
    close: '關閉',
    detailLoading: '正在載入商標…',
    recordationLoading: '正在載入備案…',
    showRecordation: '顯示欄位及來源',
    validUntil: '有效期至',
    version: '版本',
    colField: '欄位',
    colValue: '內容',
    colProvenance: '來源',
    noProvenance: '沒有來源紀錄',
    verified: '簽署已核實',
    notVerified: '簽署未核實',
    seq: '序號',
    key: '金鑰',
    event: '事件',
    received: '接收於',
    errAuth: '登記處拒絕了此憑證。請輸入有效的關員憑證後再查詢。',
    errNoCredential: '請先輸入關員憑證。',
    errBadRequest: '登記處無法接受此查詢：',
    errNotFound: '登記處沒有此紀錄。',
    errNetwork: '無法連接登記處，請檢查網絡後再試。',
    errServer: '登記處未能回應（HTTP {n}），請稍後再試。',
    'matched.exact': '完全相符',
    'matched.script': '繁簡轉換',
    'matched.alias': '別名',
    'matched.transliteration': '音譯',
    'matched.fuzzy': '近似拼寫',
    'matched.number': '備案編號',
    'matched.image': '圖形近似',
    imageLabel: '以圖片查詢',
    imageHint: '選擇相片或標誌（PNG、JPEG、WebP，不超過 2 MB），拖放到此處，或直接貼上（Ctrl+V）。',
    picture: '商標圖樣',
    'status.active': '有效',
    'status.suspended': '暫停',
    'status.cancelled': '已註銷',
    'status.revoked': '已撤銷',
    'status.expired': '已過期',
    'authority.CN': '中國內地海關',
    'authority.HK': '香港海關',
    'authority.MO': '澳門海關',
    'field.status': '狀態',
    'field.statusReason': '狀態原因',
    'field.version': '版本',
    'field.ipType': '知識產權類型',
    'field.mark': '商標',
    'field.niceClasses': '尼斯分類',
    'field.goods': '商品',
    'field.rightsHolder': '權利人',
    'field.trademarkRegistration': '商標註冊',
    'field.validFrom': '有效期由',
    'field.validUntil': '有效期至',
    'field.licensees': '被許可人',
    'field.genuineGoods': '正品資料',
    'field.knownInfringers': '已知侵權人',
    'field.representative': '代理人',
    'field.restrictions': '共享限制',
    'sub.text': '文字',
    'sub.script': '文字系統',
    'sub.type': '類型',
    'sub.transliterations': '音譯',
    'sub.name': '名稱',
    'sub.nameAlt': '其他名稱',
    'sub.country': '國家/地區',
    'sub.address': '地址',
    'sub.office': '註冊機構',
    'sub.number': '編號',
    'sub.expiresOn': '屆滿日',
    'sub.description': '描述',
    'sub.hsCode': 'HS 編碼',
    'sub.authorisedImporters': '授權進口商',
    'sub.authorisedExporters': '授權出口商',
    'sub.ports': '口岸',
    'sub.features': '特徵',
    'sub.email': '電郵',
    'sub.phone': '電話',
    'sub.field': '欄位',
    'sub.sharedWith': '共享對象',
  },
};

let current = initialLanguage();

function initialLanguage() {
  let stored = null;
  try {
    stored = localStorage.getItem(STORAGE_KEY);
  } catch {
    // Storage may be disabled (private mode, policy); fall back to the browser's preference.
  }
  if (LANGUAGES.includes(stored)) return stored;
  return (navigator.language || '').toLowerCase().startsWith('zh') ? 'zh-Hant' : 'en';
}

export function getLanguage() {
  return current;
}

export function setLanguage(lang) {
  if (!LANGUAGES.includes(lang)) return;
  current = lang;
  try {
    localStorage.setItem(STORAGE_KEY, lang);
  } catch {
    // Not remembered, but still applied for this page.
  }
}

/** The string for `key` in the current language; `{n}` placeholders are filled from `params`. */
export function t(key, params = {}) {
  const text = STRINGS[current][key] ?? STRINGS.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(params[name] ?? ''));
}

/** Like t(), but returns null when no translation exists, so callers can fall back to raw API values. */
export function tOptional(key) {
  return STRINGS[current][key] ?? STRINGS.en[key] ?? null;
}

/** Applies the static translations declared in the HTML (data-i18n, data-i18n-label). */
export function translateDocument(root = document) {
  document.documentElement.lang = current;
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-label]')) el.setAttribute('aria-label', t(el.dataset.i18nLabel));
}
