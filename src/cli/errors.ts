/**
 * How the CLI ends: 0 success; 1 the run (or the server) failed; 2 the request was bad
 * (usage errors and every 4xx answer). Scripts branch on these, so they are a contract.
 */
export const EXIT = { ok: 0, failed: 1, badInput: 2 } as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An error meant for the user: its message goes to stderr and the process exits with `exitCode`. */
export class CliError extends Error {
  override name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: ExitCode,
  ) {
    super(message);
  }
}
