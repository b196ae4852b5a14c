/**
 * Signing starts and decisions (src/shared/signed.ts) with the key API and worker share (loaded
 * by src/config/signing-keys.ts), with node:crypto. Workflows verify with the workflow-safe
 * `verifySigned` of src/shared/signed.ts; test/unit/signing.test.ts holds the two together.
 */
import { createHmac } from 'node:crypto';
import { signedMessage, type Signed, type SigningKeys } from '../shared/signed';

export { definitionDigest } from '../shared/signed';

export function sign<T extends { purpose: string }>(keys: SigningKeys, payload: T): Signed<T> {
  const key = keys.keys.get(keys.activeKid) as Uint8Array;
  return {
    kid: keys.activeKid,
    sig: createHmac('sha256', key).update(signedMessage(payload)).digest('base64url'),
    payload,
  };
}
