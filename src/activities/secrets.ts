/**
 * Secrets are named in runbooks and configuration, and resolved only here, inside activities:
 * from the environment (`RUNBOOK_SECRET_<NAME>`, upper-cased, dashes as underscores) or from a
 * file `<secretsDir>/<name>` (Kubernetes and Docker secrets mount that way). Never in history:
 * a secret sent in a request goes only to the destinations its configuration lists, and every
 * value resolved is redacted from what steps return and how they fail.
 */
import { FAILURE } from '../shared/failures';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { permanent } from './errors';
import { createRedactor, type Redactor } from './redact';

export interface SecretResolver {
  /** The value of a secret that is itself a destination (a webhook URL). */
  resolve(name: string): Promise<string>;
  /**
   * The value of a secret about to be sent to `url`: refused, before any request, unless the
   * secret's configuration lists that destination (`secrets.<name>.sendTo`).
   */
  resolveFor(name: string, url: string): Promise<string>;
  /** Hides every value resolved so far from step outputs and failure messages. */
  readonly redactor: Redactor;
}

export function envVarFor(name: string): string {
  return `RUNBOOK_SECRET_${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

export function createSecretResolver(opts: {
  env: NodeJS.ProcessEnv;
  dir?: string;
  /** Where each secret may be sent: origins (`https://host[:port]`, `https://*.domain`, `smtp://host:port`). */
  bindings?: Readonly<Record<string, readonly string[]>>;
  redactor?: Redactor;
}): SecretResolver {
  const redactor = opts.redactor ?? createRedactor();
  async function resolve(name: string): Promise<string> {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name))
      throw permanent(`invalid secret name '${name}'`, FAILURE.InvalidInput);
    const fromEnv = opts.env[envVarFor(name)];
    if (fromEnv !== undefined) {
      redactor.remember(name, fromEnv);
      return fromEnv;
    }
    if (opts.dir) {
      try {
        const value = (await readFile(join(opts.dir, name), 'utf8')).trim();
        redactor.remember(name, value);
        return value;
      } catch {
        // fall through to the error naming both places
      }
    }
    throw permanent(
      `secret '${name}' is not configured: set ${envVarFor(name)}${opts.dir ? ` or create ${join(opts.dir, name)}` : ''}`,
      FAILURE.MissingSecret,
    );
  }
  return {
    resolve,
    async resolveFor(name, url) {
      const allowed = opts.bindings?.[name];
      if (!allowed || allowed.length === 0)
        throw permanent(
          `secret '${name}' may be sent nowhere: list where it may go in secrets.${name}.sendTo (configuration); no request was made`,
          FAILURE.SecretNotAllowed,
        );
      const to = originOf(url);
      if (!to || !allowed.some((pattern) => originMatches(pattern, to)))
        throw permanent(
          `secret '${name}' may not be sent to ${to ?? 'that URL'} (allowed: ${allowed.join(', ')}); no request was made`,
          FAILURE.SecretNotAllowed,
        );
      return resolve(name);
    },
    redactor,
  };
}

/** Each scheme with an origin, and its default port. */
const DEFAULT_PORTS: Readonly<Record<string, string>> = {
  'http:': '80',
  'https:': '443',
  'smtp:': '25',
  'smtps:': '465',
  'postgres:': '5432',
  'redis:': '6379',
  'rediss:': '6379',
};

/**
 * `scheme://host:port` of a URL (default ports written out), or undefined if it is not http(s),
 * smtp(s) (an SMTP server, as `smtp://host:port` or, TLS from connect, `smtps://host:port`) or
 * postgres (a database server, `postgres://host:port`: where a database password may go) or redis(s)
 * (a Redis server, `redis://host:port`, `rediss://` with TLS).
 */
export function originOf(url: string): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return undefined;
  }
  const defaultPort = Object.prototype.hasOwnProperty.call(DEFAULT_PORTS, u.protocol)
    ? DEFAULT_PORTS[u.protocol]
    : undefined;
  if (defaultPort === undefined) return undefined;
  if (u.protocol === 'http:' || u.protocol === 'https:') return `${u.protocol}//${u.hostname}:${u.port || defaultPort}`;
  // The URL parser keeps the host of a scheme it does not know as written; read it as http's
  // would be (lower case, IPv4 in dotted form, IDN as punycode), so one host has one origin.
  let host: string;
  try {
    host = new URL(`http://${u.host}`).hostname;
  } catch {
    return undefined;
  }
  return host ? `${u.protocol}//${host}:${u.port || defaultPort}` : undefined;
}

/** An allowed origin pattern (`https://host[:port]`, `https://*.domain[:port]`, `smtp://host:port`) against an origin. */
export function originMatches(pattern: string, origin: string): boolean {
  const wildcard = pattern.includes('://*.');
  const p = originOf(wildcard ? pattern.replace('://*.', '://wildcard.') : pattern);
  if (!p) return false;
  if (!wildcard) return p === origin;
  const [scheme, rest] = p.split('//') as [string, string];
  const suffix = rest.slice('wildcard'.length); // ".domain:port"
  const [oScheme, oRest] = origin.split('//') as [string, string];
  return oScheme === scheme && oRest.endsWith(suffix) && oRest.length > suffix.length;
}

/** Builds request headers from plain ones plus named secrets, each checked against where it goes. */
export async function buildHeaders(
  secrets: SecretResolver,
  plain: Record<string, string> | undefined,
  named: Record<string, { secret: string; prefix?: string | undefined }> | undefined,
  url: string,
): Promise<Record<string, string>> {
  const out: Record<string, string> = { ...(plain ?? {}) };
  for (const [header, ref] of Object.entries(named ?? {}))
    out[header] = `${ref.prefix ?? ''}${await secrets.resolveFor(ref.secret, url)}`;
  return out;
}
