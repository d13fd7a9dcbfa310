/**
 * Command-line helpers shared by the commands: node's parseArgs reads `--bbox -10,35,20,60` as
 * an option followed by another option (and refuses it), so values that are negative numbers
 * are glued to their option first (`--bbox=-10,35,20,60`), which parseArgs always accepts.
 */
import type { ParseArgsConfig } from 'node:util';

/** Rewrites `--opt -1...` into `--opt=-1...` for string options whose value looks like a negative number. */
export function glueNegativeValues(args: string[], options: NonNullable<ParseArgsConfig['options']>): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const next = args[i + 1];
    const name = a.startsWith('--') ? a.slice(2) : null;
    if (name && options[name]?.type === 'string' && next !== undefined && /^-\.?\d/.test(next)) {
      out.push(`${a}=${next}`);
      i++;
    } else out.push(a);
  }
  return out;
}
