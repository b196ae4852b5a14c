/**
 * One `runbook` command line as src/cli/program.ts runs it (the same global options), with the
 * commands a test registers, over a fetch the test gives: the exit code and what was printed.
 */
import { Command, CommanderError, Option } from 'commander';
import { contextFactory, type ContextFactory } from '../../src/cli/context';
import { CliError, EXIT } from '../../src/cli/errors';
import type { Io } from '../../src/cli/io';

export async function runCli(
  argv: string[],
  register: (program: Command, context: ContextFactory) => void,
  fetchFn: typeof fetch,
  o: { token?: string } = {},
): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = { out: (t) => out.push(t), err: (t) => err.push(t) };
  const program = new Command('runbook')
    .addOption(new Option('--api <url>').default('http://api.test'))
    .addOption(new Option('--token <token>').default(o.token ?? 't'))
    .option('--json')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) });
  register(program, contextFactory(io, fetchFn));
  let code: number = EXIT.ok;
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) code = e.exitCode === 0 ? EXIT.ok : EXIT.badInput;
    else if (e instanceof CliError) {
      io.err(e.message);
      code = e.exitCode;
    } else throw e;
  }
  return { code, out: out.join('\n'), err: err.join('\n') };
}
