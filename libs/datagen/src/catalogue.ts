/**
 * Well-known marks as the three authorities would write them: Simplified Chinese on the Mainland,
 * Traditional in Hong Kong and Macao, Latin everywhere, Portuguese in Macao. Holders carry a name in
 * a second script. Used by the demo and, mixed with generated marks, by the benchmark and fault suite.
 */
export interface CatalogueMark {
  hans?: string;
  hant?: string;
  latin?: string;
  /** Per-authority rights holders when they differ (a conflict the registry must flag). */
  holder: { name: string; nameAlt?: string; country: string };
  holderByAuthority?: Partial<Record<'CN' | 'HK' | 'MO', { name: string; nameAlt?: string; country: string }>>;
  niceClasses: number[];
  goods: string;
  authorities: ('CN' | 'HK' | 'MO')[];
  type?: 'word' | 'figurative' | 'combined';
}

export const CATALOGUE: CatalogueMark[] = [
  {
    hans: '爱马仕', hant: '愛馬仕', latin: 'HERMÈS',
    holder: { name: 'Hermès International', nameAlt: '爱马仕国际', country: 'FR' },
    niceClasses: [18, 25], goods: 'Handbags, leather goods, scarves and clothing', authorities: ['CN', 'HK', 'MO'],
  },
  {
    hans: '耐克', latin: 'NIKE',
    holder: { name: 'Nike, Inc.', nameAlt: '耐克公司', country: 'US' },
    niceClasses: [25, 28], goods: 'Footwear, sportswear and sporting articles', authorities: ['CN', 'HK'],
  },
  {
    hans: '香奈儿', hant: '香奈兒', latin: 'CHANEL',
    holder: { name: 'Chanel SARL', nameAlt: '香奈儿股份有限公司', country: 'CH' },
    niceClasses: [3, 14, 18, 25], goods: 'Perfumery, cosmetics, jewellery, handbags and clothing', authorities: ['CN', 'HK', 'MO'],
  },
  {
    hans: '路易威登', hant: '路易威登', latin: 'LOUIS VUITTON',
    holder: { name: 'Louis Vuitton Malletier', nameAlt: '路易威登马利蒂', country: 'FR' },
    niceClasses: [18], goods: 'Trunks, travelling bags and handbags', authorities: ['CN', 'MO'],
  },
  {
    hans: '华为', hant: '華為', latin: 'HUAWEI',
    holder: { name: '华为技术有限公司', nameAlt: 'Huawei Technologies Co., Ltd.', country: 'CN' },
    niceClasses: [9], goods: 'Mobile telephones, computers and network equipment', authorities: ['CN', 'HK'],
  },
  {
    hans: '茅台', hant: '茅台', latin: 'MOUTAI',
    holder: { name: '贵州茅台酒股份有限公司', nameAlt: 'Kweichow Moutai Co., Ltd.', country: 'CN' },
    niceClasses: [33], goods: 'Chinese spirits (baijiu)', authorities: ['CN', 'HK', 'MO'],
  },
  {
    hant: '周大福', hans: '周大福', latin: 'CHOW TAI FOOK',
    holder: { name: '周大福珠寶金行有限公司', nameAlt: 'Chow Tai Fook Jewellery Company Limited', country: 'HK' },
    niceClasses: [14], goods: 'Jewellery, precious metals and watches', authorities: ['HK', 'CN', 'MO'],
  },
  {
    hant: '維他奶', hans: '维他奶', latin: 'VITASOY',
    holder: { name: '維他奶國際集團有限公司', nameAlt: 'Vitasoy International Holdings Limited', country: 'HK' },
    niceClasses: [29, 32], goods: 'Soya milk and soya-based beverages', authorities: ['HK', 'MO'],
  },
  {
    hant: '鉅記餅家', latin: 'KOI KEI',
    holder: { name: '鉅記餅家有限公司', nameAlt: 'Pastelaria Koi Kei, Limitada', country: 'MO' },
    niceClasses: [30], goods: 'Almond cakes, egg rolls and pastries', authorities: ['MO', 'HK'],
  },
  {
    latin: 'Pastéis de Belém',
    holder: { name: 'Antiga Confeitaria de Belém, Lda.', nameAlt: '貝倫蛋撻', country: 'PT' },
    niceClasses: [30], goods: 'Pastelaria; pastéis de nata', authorities: ['MO'],
  },
  {
    hans: '大白兔', hant: '大白兔', latin: 'WHITE RABBIT',
    holder: { name: '上海冠生园食品有限公司', nameAlt: 'Shanghai Guan Sheng Yuan Food Co., Ltd.', country: 'CN' },
    niceClasses: [30], goods: 'Milk candies and confectionery', authorities: ['CN', 'HK'],
  },
  {
    hans: '金龙', hant: '金龍', latin: 'GOLDEN DRAGON',
    holder: { name: '金龙鱼粮油食品股份有限公司', nameAlt: 'Golden Dragon Grain & Oil Co., Ltd.', country: 'CN' },
    holderByAuthority: { HK: { name: 'Golden Dragon Trading Limited', nameAlt: '金龍貿易有限公司', country: 'HK' } },
    niceClasses: [29, 30], goods: 'Edible oils, rice and flour', authorities: ['CN', 'HK'],
  },
];

/**
 * Characters of generated Chinese marks as the Mainland (Simplified) and Hong Kong and Macao (Traditional) write
 * them; the last ones are written alike in both scripts. 146 characters, so that, as in a real register, a
 * two-character text is shared by a few marks and a longer one is mostly unique (a 24-character alphabet made
 * every two-character text a mark of ~600 recordations by different holders at 1 000 000 recordations).
 */
export const CHARACTER_PAIRS: [string, string][] = [
  ['龙', '龍'], ['华', '華'], ['丽', '麗'], ['凤', '鳳'], ['东', '東'], ['门', '門'], ['马', '馬'], ['宝', '寶'], ['风', '風'], ['云', '雲'], ['国', '國'], ['乐', '樂'],
  ['鸟', '鳥'], ['鱼', '魚'], ['长', '長'], ['汉', '漢'], ['红', '紅'], ['丝', '絲'], ['钻', '鑽'], ['银', '銀'], ['达', '達'], ['发', '發'], ['兴', '興'], ['顺', '順'],
  ['丰', '豐'], ['万', '萬'], ['亿', '億'], ['业', '業'], ['园', '園'], ['阳', '陽'], ['开', '開'], ['贵', '貴'], ['荣', '榮'], ['伟', '偉'], ['宁', '寧'], ['鸿', '鴻'],
  ['强', '強'], ['广', '廣'], ['乔', '喬'], ['庆', '慶'], ['飞', '飛'], ['凯', '凱'], ['鲜', '鮮'], ['鹤', '鶴'], ['爱', '愛'], ['乡', '鄉'], ['实', '實'], ['时', '時'],
  ['纪', '紀'], ['泽', '澤'], ['远', '遠'], ['润', '潤'], ['坚', '堅'], ['鸣', '鳴'], ['灵', '靈'], ['尔', '爾'], ['欢', '歡'], ['义', '義'], ['仪', '儀'], ['韩', '韓'],
  ['苏', '蘇'], ['龟', '龜'], ['狮', '獅'], ['楼', '樓'], ['圣', '聖'], ['农', '農'], ['鹏', '鵬'], ['骏', '駿'], ['岭', '嶺'], ['湾', '灣'], ['传', '傳'], ['赵', '趙'],
  ['钱', '錢'], ['孙', '孫'], ['郑', '鄭'], ['陈', '陳'], ['刘', '劉'], ['杨', '楊'], ['黄', '黃'], ['吴', '吳'], ['张', '張'], ['罗', '羅'], ['蓝', '藍'], ['绿', '綠'],
  ['锦', '錦'], ['绣', '繡'], ['宫', '宮'], ['阁', '閣'], ['铭', '銘'], ['诚', '誠'], ['晓', '曉'], ['韵', '韻'], ['金', '金'], ['星', '星'], ['天', '天'], ['美', '美'],
  ['吉', '吉'], ['祥', '祥'], ['福', '福'], ['喜', '喜'], ['和', '和'], ['泰', '泰'], ['安', '安'], ['康', '康'], ['明', '明'], ['光', '光'], ['春', '春'], ['秋', '秋'],
  ['山', '山'], ['水', '水'], ['月', '月'], ['日', '日'], ['雪', '雪'], ['花', '花'], ['竹', '竹'], ['松', '松'], ['石', '石'], ['玉', '玉'], ['珍', '珍'], ['佳', '佳'],
  ['新', '新'], ['大', '大'], ['中', '中'], ['百', '百'], ['千', '千'], ['友', '友'], ['合', '合'], ['永', '永'], ['正', '正'], ['品', '品'], ['德', '德'], ['海', '海'],
  ['鑫', '鑫'], ['盛', '盛'], ['宏', '宏'], ['林', '林'], ['森', '森'], ['富', '富'], ['家', '家'], ['全', '全'], ['好', '好'], ['雅', '雅'], ['香', '香'], ['田', '田'],
  ['精', '精'], ['益', '益'],
];

export const LATIN_SYLLABLES = ['ka', 'lo', 'vi', 'ra', 'mon', 'tel', 'sa', 'ri', 'do', 'ne', 'zu', 'pa', 'lux', 'ver', 'ion', 'ta'];

export const HOLDER_SUFFIXES = [
  { latin: 'Holdings Limited', hans: '控股有限公司', hant: '控股有限公司' },
  { latin: 'Trading Co., Ltd.', hans: '贸易有限公司', hant: '貿易有限公司' },
  { latin: 'Industries, Lda.', hans: '实业有限公司', hant: '實業有限公司' },
];
