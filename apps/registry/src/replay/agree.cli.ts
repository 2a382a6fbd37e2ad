/**
 * npm run audit:agree -- URL URL URL [--wait SECONDS] [--show N] [--token T]
 * Compares the sites' registries at the same log positions: waits (default 60 s) until every site has applied the
 * log up to the latest positions any of them has, else compares at the positions all of them have; prints each
 * site's digest and, when they differ, the first differing records. Exit 0: they agree; 1: they differ; 2: a site
 * could not be asked or the arguments are wrong. The credential is an auditor's (AUDITOR_TOKEN, default dev-auditor).
 */
import { checkAgreement, differingPaths, SiteUnreachable } from '../audit/agreement.js';

function usage(message: string): never {
  process.stderr.write(`audit:agree: ${message}\nusage: npm run audit:agree -- URL URL [URL…] [--wait SECONDS] [--show N] [--token T]\n`);
  process.exit(2);
}

async function main(): Promise<number> {
  const urls: string[] = [];
  const options = { token: process.env.AUDITOR_TOKEN || 'dev-auditor', waitMs: 60_000, show: 5 };
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => argv[++i] ?? usage(`${arg} needs a value`);
    if (arg === '--wait') {
      const seconds = value();
      if (!/^\d{1,5}$/.test(seconds)) usage(`--wait must be a number of seconds, got ${seconds}`);
      options.waitMs = Number(seconds) * 1000;
    } else if (arg === '--show') {
      const n = value();
      if (!/^\d{1,4}$/.test(n) || Number(n) < 1) usage(`--show must be a positive number, got ${n}`);
      options.show = Number(n);
    } else if (arg === '--token') options.token = value();
    else if (arg.startsWith('--')) usage(`unknown argument ${arg}`);
    else {
      let url: URL;
      try {
        url = new URL(arg);
      } catch {
        usage(`"${arg}" is not a URL (e.g. http://127.0.0.1:3000)`);
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') usage(`"${arg}" is not an http(s) URL`);
      urls.push(arg);
    }
  }
  if (urls.length < 2) usage('give at least two registry URLs');

  const result = await checkAgreement(urls, options);
  const out = (line: string) => process.stdout.write(`${line}\n`);
  const partitions = Object.values(result.positions).reduce((n, p) => n + Object.keys(p).length, 0);
  const covered = Object.values(result.positions).reduce((n, p) => n + Object.values(p).reduce((m, o) => m + BigInt(o), 0n), 0n);
  out(
    `positions: ${result.at === 'latest' ? 'the latest any site had (every site reached them)' : 'the lowest common ones (not every site reached the latest in time)'}; ${partitions} partitions, ${covered} messages`,
  );
  out(JSON.stringify(result.positions));
  for (const site of result.sites)
    out(`${(site.site ?? '-').padEnd(3)} ${site.url.padEnd(28)} ${site.digest}  ${site.recordations} recordations, ${site.marks} marks, ${site.events} events`);
  if (result.agree) {
    out('AGREE: every site has the same digest at these positions');
    return 0;
  }
  out(`DISAGREE: first ${result.differences.length} differing record(s):`);
  for (const difference of result.differences) {
    out(`  ${difference.key}`);
    const name = (index: number) => result.sites[index].site ?? result.sites[index].url;
    if (difference.records.some((record) => record === null)) {
      difference.records.forEach((record, index) => out(`    ${name(index)}: ${record === null ? '(missing)' : JSON.stringify(record)}`));
      continue;
    }
    for (const { path, values } of differingPaths(difference.records)) {
      out(`    at ${path}:`);
      values.forEach((value, index) => out(`      ${name(index)}: ${JSON.stringify(value ?? null).slice(0, 500)}`));
    }
  }
  return 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(
      `audit:agree: ${error instanceof SiteUnreachable ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(2);
  },
);
