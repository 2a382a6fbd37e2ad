/** `--name value` and `--flag` arguments of our command-line tools; unknown names are refused. */
export function parseArgs(argv: string[], known: Record<string, 'value' | 'flag'>): Record<string, string | true> {
  const out: Record<string, string | true> = {};
  for (let i = 0; i < argv.length; i++) {
    const match = /^--([a-z-]+)$/.exec(argv[i]);
    if (!match || !(match[1] in known))
      throw new Error(
        `unknown argument ${argv[i]} (expected: ${Object.keys(known)
          .map((k) => `--${k}`)
          .join(', ')})`,
      );
    if (known[match[1]] === 'flag') out[match[1]] = true;
    else {
      const value = argv[++i];
      if (value === undefined || value.startsWith('--')) throw new Error(`--${match[1]} needs a value`);
      out[match[1]] = value;
    }
  }
  return out;
}
