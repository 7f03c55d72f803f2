import { verifyTrailFile } from './verify-chain';

const USAGE = `Usage: palisade audit verify [--allow-segments] [--skip-foreign-lines] [--json] <file>

Checks the hash chain of a Palisade audit trail and names the first broken
or missing line.

  --allow-segments      accept new chains after the first line (a stdout
                        trail captured across restarts); a file trail has
                        one chain
  --skip-foreign-lines  skip lines that are not audit lines (other output
                        captured with a stdout trail)
  --json                print the whole result as JSON

Exit status: 0 intact, 1 broken, 2 usage error or unreadable file.`;

/** Runs the CLI with `argv` (without `node` and the script); returns the exit status. */
export async function runCli(argv: readonly string[], out: (text: string) => void, err: (text: string) => void): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    out(USAGE);
    return 0;
  }
  const [group, command, ...rest] = argv;
  if (group !== 'audit' || command !== 'verify') {
    err(group === undefined ? USAGE : `palisade: unknown command "${[group, command].filter(Boolean).join(' ')}"\n\n${USAGE}`);
    return 2;
  }
  let allowSegments = false;
  let skipForeignLines = false;
  let json = false;
  const files: string[] = [];
  for (const arg of rest) {
    if (arg === '--allow-segments') allowSegments = true;
    else if (arg === '--skip-foreign-lines') skipForeignLines = true;
    else if (arg === '--json') json = true;
    else if (arg.startsWith('-') && arg !== '-') {
      err(`palisade audit verify: unknown option "${arg}"\n\n${USAGE}`);
      return 2;
    } else files.push(arg);
  }
  if (files.length !== 1) {
    err(`palisade audit verify: ${files.length === 0 ? 'name the trail file to verify' : 'verify one file at a time'}\n\n${USAGE}`);
    return 2;
  }
  const file = files[0]!;
  let result;
  try {
    result = await verifyTrailFile(file, { allowSegments, skipForeignLines });
  } catch (error) {
    err(`palisade audit verify: cannot read ${file}: ${(error as Error).message}`);
    return 2;
  }
  if (json) {
    out(JSON.stringify({ file, ...result }, null, 2));
  } else if (result.intact) {
    const audited = result.lines - result.skipped;
    out(`${file}: intact, ${audited} line${audited === 1 ? '' : 's'}${result.segments > 1 ? ` in ${result.segments} chains` : ''}${result.skipped > 0 ? ` (${result.skipped} other lines skipped)` : ''}; last hash ${result.lastHash ?? '(none)'}`);
  } else {
    const first = result.firstProblem!;
    err(`${file}: line ${first.line}: ${first.message}`);
    const others = result.problemCount - 1;
    if (others > 0) err(`${others} more problem${others === 1 ? '' : 's'}: ${result.problems.slice(1, 6).map((problem) => `line ${problem.line} (${problem.kind})`).join(', ')}${others > 5 ? ', ...' : ''}`);
  }
  return result.intact ? 0 : 1;
}
