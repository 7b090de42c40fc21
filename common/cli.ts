/** Splits argv into flags (`--name value` or `--name=value`) and bare switches. */
export interface ParsedArgs {
  readonly flags: Record<string, string>;
  readonly switches: ReadonlySet<string>;
  readonly positional: readonly string[];
}

const SWITCHES = new Set(['--help', '-h', '--version']);
/** `repeatable`: flags that may repeat; their values are joined with `;` (the separator their variable uses). */
export function parseArgs(argv: readonly string[], repeatable: ReadonlySet<string> = new Set()): ParsedArgs {
  const flags: Record<string, string> = {};
  const switches = new Set<string>();
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (SWITCHES.has(arg)) { switches.add(arg === '-h' ? '--help' : arg); continue; }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      let name = arg;
      let value: string;
      if (eq > 0) {
        name = arg.slice(0, eq);
        value = arg.slice(eq + 1);
      } else {
        const next = argv[i + 1];
        if (next === undefined || next.startsWith('--')) throw new Error(`${arg} needs a value`);
        value = next;
        i++;
      }
      flags[name] = repeatable.has(name) && flags[name] !== undefined ? `${flags[name]};${value}` : value;
      continue;
    }
    positional.push(arg);
  }
  return { flags, switches, positional };
}
