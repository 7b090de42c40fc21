/** Splits argv into flags (`--name value` or `--name=value`) and bare switches. */
export interface ParsedArgs {
  readonly flags: Record<string, string>;
  readonly switches: ReadonlySet<string>;
  readonly positional: readonly string[];
}

const SWITCHES = new Set(['--help', '-h', '--version']);

export function parseArgs(argv: readonly string[]): ParsedArgs {
  const flags: Record<string, string> = {};
  const switches = new Set<string>();
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (SWITCHES.has(arg)) { switches.add(arg === '-h' ? '--help' : arg); continue; }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      if (eq > 0) { flags[arg.slice(0, eq)] = arg.slice(eq + 1); continue; }
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--')) throw new Error(`${arg} needs a value`);
      flags[arg] = next;
      i++;
      continue;
    }
    positional.push(arg);
  }
  return { flags, switches, positional };
}
