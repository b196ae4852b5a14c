/**
 * Where the signing key comes from (src/platform/signing.ts uses it): the same value for the API
 * and every worker, never in history or configuration files checked in.
 *
 *   RUNBOOK_SIGNING_KEYS="k2:<base64url, 32+ bytes>,k1:<...>"   or
 *   RUNBOOK_SIGNING_KEYS_FILE=/run/secrets/signing-keys        (the same, one per line)
 *
 * With neither, `<dataDir>/signing-keys`; on the embedded default (no TEMPORAL_ADDRESS: API and
 * worker on one machine) it is created once. Against a real cluster the key must be given.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { SigningKeys } from '../shared/signed';

const KID = /^[A-Za-z0-9._-]{1,32}$/;

/** Parses `kid:base64url` entries (comma- or line-separated, # comments); the first one signs. */
export function parseSigningKeys(text: string, where: string): SigningKeys {
  const keys = new Map<string, Uint8Array>();
  let activeKid: string | undefined;
  const entries = text
    .split('\n')
    .filter((line) => !line.trim().startsWith('#'))
    .flatMap((line) => line.split(','))
    .map((e) => e.trim());
  for (const entry of entries) {
    if (entry === '') continue;
    const at = entry.indexOf(':');
    const kid = entry.slice(0, Math.max(at, 0));
    const key = Buffer.from(entry.slice(at + 1), 'base64url');
    if (at < 1 || !KID.test(kid))
      throw new Error(`${where}: each key is <id>:<base64url>, the id 1-32 of A-Z a-z 0-9 . _ -`);
    if (key.length < 32) throw new Error(`${where}: key '${kid}' has ${key.length} bytes; at least 32 are needed`);
    if (keys.has(kid)) throw new Error(`${where}: key id '${kid}' appears twice`);
    keys.set(kid, key);
    activeKid ??= kid;
  }
  if (!activeKid) throw new Error(`${where}: no signing key`);
  return { activeKid, keys };
}

/** A new key entry, `<kid>:<32 random bytes, base64url>`. */
export function newKeyLine(kid = `k${new Date().toISOString().slice(0, 10).replace(/-/g, '')}`): string {
  return `${kid}:${randomBytes(32).toString('base64url')}`;
}

export function loadSigningKeys(o: { env: NodeJS.ProcessEnv; dataDir: string; embedded: boolean }): SigningKeys {
  const inline = o.env.RUNBOOK_SIGNING_KEYS;
  if (inline) return parseSigningKeys(inline, 'RUNBOOK_SIGNING_KEYS');
  const given = o.env.RUNBOOK_SIGNING_KEYS_FILE;
  const file = given ?? join(o.dataDir, 'signing-keys');
  if (!existsSync(file)) {
    if (given || !o.embedded)
      throw new Error(
        `no signing key: set RUNBOOK_SIGNING_KEYS (or RUNBOOK_SIGNING_KEYS_FILE) to the same value for the API and every worker (${file} does not exist); see docs/security.md`,
      );
    mkdirSync(dirname(file), { recursive: true });
    try {
      // Exclusive: two processes starting at once must not each write a key of their own.
      writeFileSync(file, `# durable-runbooks signing keys: the first signs, all verify\n${newKeyLine()}\n`, {
        mode: 0o600,
        flag: 'wx',
      });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  return parseSigningKeys(readFileSync(file, 'utf8'), file);
}

/**
 * The development inbox's bearer token: HMAC-SHA256 of `dev-inbox` under a signing key (the one
 * that signs, unless named), hex. Only the API and the worker, which hold the key, can work it out.
 */
export function devInboxToken(keys: SigningKeys, kid: string = keys.activeKid): string {
  const key = keys.keys.get(kid);
  if (!key) throw new Error(`no signing key '${kid}'`);
  return createHmac('sha256', key).update('dev-inbox').digest('hex');
}
