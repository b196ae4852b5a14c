/**
 * Signing starts and decisions (src/shared/signed.ts) with the key API and worker share (loaded
 * by src/config/signing-keys.ts), with node:crypto. Workflows verify with the workflow-safe
 * `verifySigned` of src/shared/signed.ts; test/unit/signing.test.ts holds the two together.
 */
import { createHash, createHmac } from 'node:crypto';
import { signedMessage, type Signed, type SigningKeys } from '../shared/signed';

/**
 * Digests of the library's definitions, which are loaded once and never changed in place: an
 * alert storm signs thousands of starts of one runbook, each otherwise a JSON.stringify of it.
 */
const digests = new WeakMap<object, string>();

/**
 * The digest a start envelope names its definition by: what `definitionDigest` of
 * src/shared/signed.ts computes in the workflow (sha256 of the definition's JSON, UTF-8), with
 * node:crypto, several times faster, since the API makes one per start and per alert.
 */
export function definitionDigest(definition: unknown): string {
  const known = typeof definition === 'object' && definition !== null ? digests.get(definition) : undefined;
  if (known) return known;
  const digest = createHash('sha256')
    .update(JSON.stringify(definition) ?? 'null')
    .digest('hex');
  if (typeof definition === 'object' && definition !== null) digests.set(definition, digest);
  return digest;
}

export function sign<T extends { purpose: string }>(keys: SigningKeys, payload: T): Signed<T> {
  const key = keys.keys.get(keys.activeKid) as Uint8Array;
  return {
    kid: keys.activeKid,
    sig: createHmac('sha256', key).update(signedMessage(payload)).digest('base64url'),
    payload,
  };
}
