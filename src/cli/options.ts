/** Parsers for option values; a bad value is a usage error (exit 2) raised by commander itself. */
import { InvalidArgumentError } from 'commander';

/** Collects repeated `-p key=value` into an object; values stay strings (the API coerces them). */
export function collectParam(text: string, previous: Record<string, string>): Record<string, string> {
  const at = text.indexOf('=');
  if (at <= 0) throw new InvalidArgumentError(`expected key=value, e.g. -p service=checkout`);
  return { ...previous, [text.slice(0, at).trim()]: text.slice(at + 1) };
}

export function positiveInt(max: number) {
  return (text: string): number => {
    const n = Number(text);
    if (!/^\d+$/.test(text.trim()) || n < 1 || n > max)
      throw new InvalidArgumentError(`expected a whole number from 1 to ${max}`);
    return n;
  };
}
