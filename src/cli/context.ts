/** What every command gets: an API client from the global options, the output mode and the streams. */
import type { Command } from 'commander';
import { createApiClient, type ApiClient } from './http';
import type { Io } from './io';

/** The program's global options (after env defaults: RUNBOOK_API, RUNBOOK_TOKEN). */
export interface GlobalOptions {
  api: string;
  token?: string;
  json?: boolean;
}

export interface CliContext {
  api: ApiClient;
  io: Io;
  json: boolean;
  /** Prints the raw JSON under --json, otherwise the human form. */
  print(raw: unknown, human: () => string): void;
}

export type ContextFactory = (cmd: Command) => CliContext;

export function contextFactory(io: Io, fetchImpl?: typeof fetch): ContextFactory {
  return (cmd) => {
    const g = cmd.optsWithGlobals<GlobalOptions>();
    const json = g.json === true;
    const token = g.token?.trim() || undefined;
    const api = createApiClient({
      baseUrl: g.api,
      ...(token ? { token } : {}),
      ...(fetchImpl ? { fetch: fetchImpl } : {}),
    });
    return { api, io, json, print: (raw, human) => io.out(json ? JSON.stringify(raw, null, 2) : human()) };
  };
}
