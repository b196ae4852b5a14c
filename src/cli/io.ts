/** Where the CLI writes: results to stdout, messages to stderr (passed in so callers can capture). */
export interface Io {
  /** One line (or block) of result on stdout. */
  out(text: string): void;
  /** One line of message on stderr. */
  err(text: string): void;
}

export const processIo: Io = {
  out: (text) => void process.stdout.write(`${text}\n`),
  err: (text) => void process.stderr.write(`${text}\n`),
};
