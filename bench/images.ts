/**
 * npm run bench:images [-- --quick] [-- --logos N] [-- --scale N] — the quality and speed of matching by picture.
 *
 * 1. Generates N synthetic logos (shapes, letters, colours; seeded, so every run draws the same set) and eight
 *    distortions of each: scaled to 40 %, JPEG q=30, 10 % cropped, rotated 5°, recoloured, inverted, with a border,
 *    and a "photographed" look (blur, noise, lower contrast, JPEG). Hashes everything with the registry's own code
 *    (pictureHashes: sharp + DCT pHash + dHash).
 * 2. Recall@1 and @5: for each distortion, is its logo the nearest (among the N originals, by pHash + dHash
 *    distance), or in the nearest five; and the share that the grouping threshold joins to its original.
 * 3. False matches: the share of pairs of unrelated logos that the grouping threshold would join.
 * 4. Search latency: the registry's nearest-picture statement over --scale (default 1 000 000) stored hashes in a
 *    throw-away database. Appends the figures to bench/RESULTS.md.
 */
import { appendFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import sharp from 'sharp';
import { DataSource } from 'typeorm';
import { DHASH_MATCH_DISTANCE, PHASH_MATCH_DISTANCE, hammingDistance, picturesMatch, type PerceptualHashes } from '#domain';
import { createLogger, dataSourceOptions, pictureHashes, runMigrations } from '#platform';
import { createTestDatabase } from '#testing';
import { REGISTRY_MIGRATIONS } from '../apps/registry/src/migrations/index.js';
import { PictureStore, hashToBigint } from '../apps/registry/src/store/picture-store.js';
import { RegistryTables } from '../apps/registry/src/store/registry-tables.js';

const logger = createLogger('bench-images');
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const option = (name: string, fallback: number) => {
  const index = args.indexOf(name);
  return index >= 0 ? Number(args[index + 1]) : fallback;
};
const LOGOS = option('--logos', quick ? 200 : 2000);
const SCALE = option('--scale', quick ? 100_000 : 1_000_000);

/** Deterministic pseudo-random numbers (mulberry32). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const LETTERS = 'ABCDEFGHJKLMNPRSTUVWXYZ';
const COLOURS = ['#b00020', '#0d47a1', '#1b5e20', '#e65100', '#4a148c', '#000000', '#006064', '#827717', '#3e2723', '#ad1457'];

/** One logo: two to four shapes and one or two letters, on white or a light tint. */
function logoSvg(random: () => number): string {
  const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)];
  const [w, h] = [400, 300];
  const fg = pick(COLOURS);
  const fg2 = pick(COLOURS);
  let body = `<rect width="${w}" height="${h}" fill="${random() < 0.7 ? '#ffffff' : '#f4f0e6'}"/>`;
  const shapes = 2 + Math.floor(random() * 3);
  for (let i = 0; i < shapes; i++) {
    const [x, y, s] = [40 + random() * 300, 40 + random() * 200, 30 + random() * 90];
    const colour = random() < 0.6 ? fg : fg2;
    switch (Math.floor(random() * 4)) {
      case 0:
        body += `<circle cx="${x}" cy="${y}" r="${s / 2}" fill="${colour}"/>`;
        break;
      case 1:
        body += `<rect x="${x - s / 2}" y="${y - s / 3}" width="${s}" height="${(s * 2) / 3}" fill="${colour}" transform="rotate(${Math.floor(random() * 90)} ${x} ${y})"/>`;
        break;
      case 2:
        body += `<polygon points="${x},${y - s / 2} ${x + s / 2},${y + s / 2} ${x - s / 2},${y + s / 2}" fill="${colour}"/>`;
        break;
      default:
        body += `<circle cx="${x}" cy="${y}" r="${s / 2}" fill="none" stroke="${colour}" stroke-width="${6 + random() * 12}"/>`;
    }
  }
  const text = pick([...LETTERS]) + (random() < 0.5 ? pick([...LETTERS]) : '');
  body += `<text x="${60 + random() * 150}" y="${170 + random() * 80}" font-family="DejaVu Sans" font-weight="bold" font-size="${90 + random() * 60}" fill="${fg}">${text}</text>`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}">${body}</svg>`;
}

type Distortion = (png: Buffer, random: () => number) => Promise<Buffer>;

const DISTORTIONS: Record<string, Distortion> = {
  'scaled 40 %': (png) => sharp(png).resize(160).png().toBuffer(),
  'JPEG q=30': (png) => sharp(png).jpeg({ quality: 30 }).toBuffer(),
  'cropped 10 %': async (png, random) => {
    const [dx, dy] = [Math.floor(random() * 40), Math.floor(random() * 30)];
    return sharp(png).extract({ left: dx, top: dy, width: 360, height: 270 }).png().toBuffer();
  },
  'rotated 5°': (png, random) =>
    sharp(png)
      .rotate(random() < 0.5 ? 5 : -5, { background: '#ffffff' })
      .png()
      .toBuffer(),
  recoloured: (png) => sharp(png).modulate({ hue: 120, saturation: 1.4 }).png().toBuffer(),
  inverted: (png) => sharp(png).negate({ alpha: false }).png().toBuffer(),
  'with a border': (png, random) => {
    const b = 15 + Math.floor(random() * 25);
    return sharp(png)
      .extend({ top: b, bottom: b, left: b, right: b, background: random() < 0.5 ? '#000000' : '#c0c0c0' })
      .png()
      .toBuffer();
  },
  photographed: async (png, random) => {
    const { width, height } = { width: 400, height: 300 };
    const noise = await sharp({ create: { width, height, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 18 } } })
      .png()
      .toBuffer();
    const noisy = await sharp(png)
      .blur(1.2)
      .composite([{ input: noise, blend: 'overlay' }])
      .png()
      .toBuffer();
    return sharp(noisy)
      .linear(0.8, 20 + random() * 20)
      .resize(300)
      .jpeg({ quality: 55 })
      .toBuffer();
  },
};

function distance(a: PerceptualHashes, b: PerceptualHashes): number {
  return hammingDistance(a.phash, b.phash) + hammingDistance(a.dhash, b.dhash);
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function main(): Promise<void> {
  const random = prng(19);
  const started = Date.now();
  logger.info({ logos: LOGOS }, 'drawing and hashing the evaluation set');
  const originals: PerceptualHashes[] = [];
  const distorted = new Map<string, PerceptualHashes[]>(Object.keys(DISTORTIONS).map((name) => [name, []]));
  for (let i = 0; i < LOGOS; i++) {
    const png = await sharp(Buffer.from(logoSvg(random)))
      .png()
      .toBuffer();
    originals.push(await pictureHashes(png));
    for (const [name, distort] of Object.entries(DISTORTIONS)) distorted.get(name)!.push(await pictureHashes(await distort(png, random)));
  }
  const hashingSeconds = (Date.now() - started) / 1000;

  const rows: string[] = [];
  let [all1, all5, allJoined, total] = [0, 0, 0, 0];
  for (const [name, hashes] of distorted) {
    let [at1, at5, joined] = [0, 0, 0];
    hashes.forEach((query, index) => {
      const own = distance(query, originals[index]);
      // Rank of the right logo: how many others are strictly closer (ties count against it).
      let closer = 0;
      for (let j = 0; j < originals.length && closer < 5; j++) if (j !== index && distance(query, originals[j]) <= own) closer++;
      if (closer === 0) at1++;
      if (closer < 5) at5++;
      if (picturesMatch(query, originals[index])) joined++;
    });
    rows.push(`| ${name} | ${(at1 / hashes.length).toFixed(3)} | ${(at5 / hashes.length).toFixed(3)} | ${(joined / hashes.length).toFixed(3)} |`);
    [all1, all5, allJoined, total] = [all1 + at1, all5 + at5, allJoined + joined, total + hashes.length];
  }
  rows.push(`| **all distortions** | **${(all1 / total).toFixed(3)}** | **${(all5 / total).toFixed(3)}** | **${(allJoined / total).toFixed(3)}** |`);

  // False matches: unrelated logos (every pair of originals), and distortions against the wrong originals.
  let [pairs, falsePairs] = [0, 0];
  for (let i = 0; i < originals.length; i++)
    for (let j = i + 1; j < originals.length; j++, pairs++) if (picturesMatch(originals[i], originals[j])) falsePairs++;
  let [cross, falseCross] = [0, 0];
  for (const hashes of distorted.values()) {
    hashes.forEach((query, index) => {
      for (let j = 0; j < originals.length; j += 7) if (j !== index && (cross++, picturesMatch(query, originals[j]))) falseCross++;
    });
  }

  // Search latency over SCALE stored hashes (random ones plus the originals), with the registry's statement.
  logger.info({ scale: SCALE }, 'loading hashes for the latency measurement');
  const database = await createTestDatabase('rx_bench_images');
  const latencies: number[] = [];
  let [searched, foundAt5] = [0, 0];
  try {
    await runMigrations({ url: database.url, schema: 'registry', migrations: REGISTRY_MIGRATIONS });
    const dataSource = new DataSource(dataSourceOptions({ url: database.url, schema: 'registry', migrations: [], poolSize: 2 }));
    await dataSource.initialize();
    try {
      await dataSource.query(
        `INSERT INTO registry.pictures (sha256, media_type, width, height, phash, dhash, bytes)
         SELECT md5(g::text) || md5((g + 1)::text), 'image/png', 400, 300,
                ((random() - 0.5) * 18446744073709551615::numeric)::bigint, ((random() - 0.5) * 18446744073709551615::numeric)::bigint, '\\x00'::bytea
         FROM generate_series(1, $1) g`,
        [Math.max(0, SCALE - originals.length)],
      );
      await dataSource.query(
        `INSERT INTO registry.pictures (sha256, media_type, width, height, phash, dhash, bytes) SELECT 'logo-' || i, 'image/png', 400, 300, p, d, '\\x00'::bytea
         FROM unnest($1::bigint[], $2::bigint[]) WITH ORDINALITY AS u(p, d, i)`,
        [originals.map((h) => hashToBigint(h.phash)), originals.map((h) => hashToBigint(h.dhash))],
      );
      await dataSource.query('VACUUM ANALYZE registry.pictures');
      const store = new PictureStore(new RegistryTables('registry'));
      const perDistortion = quick ? 5 : 25;
      const queries = [...distorted.values()].flatMap((hashes) => hashes.slice(0, perDistortion).map((hashes, index) => ({ hashes, index })));
      for (const query of queries.slice(0, 3)) await store.nearest(dataSource, query.hashes, 200, 44); // warm the cache
      for (const query of queries) {
        const t = performance.now();
        const found = await store.nearest(dataSource, query.hashes, 200, 44);
        latencies.push(performance.now() - t);
        searched++;
        if (found.slice(0, 5).some((hit) => hit.sha256 === `logo-${query.index + 1}`)) foundAt5++;
      }
    } finally {
      await dataSource.destroy();
    }
  } finally {
    await database.drop();
  }
  latencies.sort((a, b) => a - b);

  const report = [
    '',
    `## Matching by picture (npm run bench:images${quick ? ' -- --quick' : ''}) — ${new Date().toISOString()}`,
    '',
    `Machine: ${cpus().length} × ${cpus()[0]?.model.trim()}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}; sharp ${sharp.versions.sharp} (libvips ${sharp.versions.vips}); PostgreSQL 15.`,
    '',
    `${LOGOS} generated logos (seed 19), each with the distortions below: ${LOGOS * (1 + Object.keys(DISTORTIONS).length)} pictures hashed in ${hashingSeconds.toFixed(0)} s. ` +
      `Recall: is the logo the nearest of the ${LOGOS} originals (pHash + dHash distance), or in the nearest five; joined: the grouping threshold ` +
      `(pHash ≤ ${PHASH_MATCH_DISTANCE} and dHash ≤ ${DHASH_MATCH_DISTANCE} bits of 64) makes it one mark with its original.`,
    '',
    '| distortion | recall@1 | recall@5 | joined at the grouping threshold |',
    '|---|---|---|---|',
    ...rows,
    '',
    `False matches at the grouping threshold: ${falsePairs} of ${pairs} pairs of unrelated logos (${((100 * falsePairs) / pairs).toFixed(3)} %); ` +
      `distortions against other logos: ${falseCross} of ${cross} (${((100 * falseCross) / cross).toFixed(3)} %).`,
    '',
    `Search by picture over ${SCALE.toLocaleString('en')} stored hashes (the registry's statement: bit_count of the xor of both hashes, ` +
      `top 200 within distance 44; ${latencies.length} queries, one at a time): p50 ${percentile(latencies, 50).toFixed(1)} ms, ` +
      `p95 ${percentile(latencies, 95).toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms. ` +
      `Its recall@5 among the ${SCALE.toLocaleString('en')} (the distorted logo's original in the first five, multi-index candidates): ${(foundAt5 / searched).toFixed(3)} of ${searched} queries.`,
    '',
  ].join('\n');
  process.stdout.write(report);
  appendFileSync('bench/RESULTS.md', report);
}

main().catch((error: unknown) => {
  logger.fatal({ err: error }, 'bench:images failed');
  process.exit(1);
});
