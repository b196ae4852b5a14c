/** Entry of the `runbook` CLI (bin/runbook runs the compiled form). See docs/cli.md. */
import { CommanderError } from 'commander';
import { CliError, EXIT, type ExitCode } from './errors';
import { processIo, type Io } from './io';
import { buildProgram } from './program';

/** Runs one command line; resolves with the exit code (never throws). */
export async function runCli(argv: readonly string[], io: Io = processIo, fetchImpl?: typeof fetch): Promise<ExitCode> {
  try {
    await buildProgram(io, fetchImpl).parseAsync([...argv], { from: 'user' });
    return EXIT.ok;
  } catch (err) {
    // Commander has already printed its own message; --help and `help` end with exit code 0.
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.ok : EXIT.badInput;
    if (err instanceof CliError) {
      io.err(`runbook: ${err.message}`);
      return err.exitCode;
    }
    io.err(`runbook: unexpected error: ${(err as Error)?.stack ?? String(err)}`);
    return EXIT.failed;
  }
}

if (require.main === module) {
  // exitCode, not exit(): lets stdout drain when it is a pipe.
  void runCli(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
