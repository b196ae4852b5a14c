/**
 * A real Mailpit (an SMTP server that keeps every message and shows it over a REST API), built
 * from the Go module proxy by `bash scripts/setup.sh --test` into .cache/mailpit/bin, on free
 * loopback ports with its own temp database. It offers no STARTTLS (no certificate is given), so
 * `requireTLS` against it fails as against any server without TLS. With `acceptAnyAuth`, any
 * username and password log in, over plain SMTP too, and the username shows in `Username`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../src/platform/ports';
import { stopChild } from '../../src/platform/processes';
import { projectRoot } from '../../src/platform/project-root';
import { waitFor } from './wait';

const INSTALL = 'run `bash scripts/setup.sh --test` (it builds mailpit with Go into .cache/mailpit/bin)';

/** A message as `GET /api/v1/messages` lists it. */
export interface MailpitSummary {
  ID: string;
  /** Without the angle brackets. */
  MessageID: string;
  From: { Name: string; Address: string };
  To: Array<{ Name: string; Address: string }>;
  Subject: string;
  /** Who logged in to send it ('' without SMTP auth). */
  Username: string;
  Snippet: string;
}

/** One message as `GET /api/v1/message/{ID}` answers it (the parts the tests read). */
export interface MailpitMessage extends MailpitSummary {
  Text: string;
  HTML: string;
  ReturnPath: string;
}

export interface Mailpit {
  /** SMTP on 127.0.0.1. */
  smtpPort: number;
  /** The REST API: `http://127.0.0.1:<port>`. */
  apiUrl: string;
  /** Every message kept, newest first. */
  messages(): Promise<MailpitSummary[]>;
  message(id: string): Promise<MailpitMessage>;
  /** Each header by its canonical name (`Message-Id`, `X-Runbook-Run`), with every value it had. */
  headers(id: string): Promise<Record<string, string[]>>;
  /** Waits until `count` messages are kept, and answers them (newest first). */
  waitForMessages(count: number): Promise<MailpitSummary[]>;
  /** Deletes every message. */
  clear(): Promise<void>;
  output(): string;
  /** Stops it and removes its database. */
  dispose(): Promise<void>;
}

export function mailpitBinary(): string {
  const bin = join(process.env.RUNBOOKS_MAILPIT_BIN_DIR ?? join(projectRoot(), '.cache/mailpit/bin'), 'mailpit');
  if (!existsSync(bin)) throw new Error(`mailpit is not built (no ${bin}): ${INSTALL}`);
  return bin;
}

export async function startMailpit(o: { acceptAnyAuth?: boolean } = {}): Promise<Mailpit> {
  const bin = mailpitBinary();
  const [smtpPort, apiPort] = [await freePort(), await freePort()];
  const dir = mkdtempSync(join(tmpdir(), 'mailpit-'));
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  const args = [
    ...['--smtp', `127.0.0.1:${smtpPort}`, '--listen', `127.0.0.1:${apiPort}`],
    ...['--database', join(dir, 'mailpit.db'), '--disable-version-check', '--smtp-disable-rdns', '-q'],
    ...(o.acceptAnyAuth ? ['--smtp-auth-accept-any', '--smtp-auth-allow-insecure'] : []),
  ];
  let out = '';
  const child: ChildProcess = spawn(bin, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  child.on('error', (e) => (out += `\n${e.message}`));
  child.stdout?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
  child.stderr?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));

  const api = async <T>(path: string, init?: RequestInit): Promise<T> => {
    const res = await fetch(`${apiUrl}${path}`, { ...init, signal: AbortSignal.timeout(5_000) });
    const text = await res.text();
    if (!res.ok) throw new Error(`mailpit ${init?.method ?? 'GET'} ${path} answered ${res.status}: ${text}`);
    // Reads answer JSON; DELETE answers the text `ok`.
    return (res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text) as T;
  };
  const messages = async (): Promise<MailpitSummary[]> =>
    (await api<{ messages: MailpitSummary[] }>('/api/v1/messages')).messages;
  const dispose = async (): Promise<void> => {
    await stopChild(child);
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    await waitFor(
      `mailpit answering GET /readyz on ${apiUrl}`,
      async () => {
        if (child.exitCode !== null) throw new Error(`mailpit exited (${child.exitCode}):\n${out}`);
        return (await fetch(`${apiUrl}/readyz`, { signal: AbortSignal.timeout(2_000) })).status === 200;
      },
      { detail: () => out },
    );
  } catch (err) {
    await dispose();
    throw err;
  }
  return {
    smtpPort,
    apiUrl,
    messages,
    message: (id) => api<MailpitMessage>(`/api/v1/message/${encodeURIComponent(id)}`),
    headers: (id) => api<Record<string, string[]>>(`/api/v1/message/${encodeURIComponent(id)}/headers`),
    waitForMessages: (count) =>
      waitFor(`${count} message(s) in mailpit`, async () => {
        const all = await messages();
        return all.length >= count && all;
      }),
    clear: async () => {
      await api('/api/v1/messages', { method: 'DELETE' });
    },
    output: () => out,
    dispose,
  };
}
