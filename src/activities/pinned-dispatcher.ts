/**
 * Connections go to the addresses the egress check approved, and nowhere else. fetch would look
 * a name up again when it connects, so a name whose answer changes between the check and the
 * connection (DNS rebinding, a zero TTL) could reach the metadata service; here the connection's
 * lookup answers from what the check resolved moments before, and refuses a name never checked.
 */
import type { LookupAddress } from 'node:dns';
import { Agent } from 'undici';

/** How long a checked answer is used to connect: the connection follows the check at once. */
const PINNED_MS = 60_000;

export interface PinnedDispatcher {
  /** The addresses `host` may be connected to (all of them checked). */
  pin(host: string, addresses: Array<{ text: string; family: 4 | 6 }>): void;
  /** What fetch takes as `dispatcher`. */
  readonly dispatcher: Agent;
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

export function createPinnedDispatcher(): PinnedDispatcher {
  const pinned = new Map<string, { addresses: LookupAddress[]; at: number }>();
  const lookup = (hostname: string, options: { all?: boolean }, callback: LookupCallback): void => {
    const entry = pinned.get(hostname.replace(/\.$/, '').toLowerCase());
    if (!entry || Date.now() - entry.at > PINNED_MS || entry.addresses.length === 0) {
      const err: NodeJS.ErrnoException = new Error(`${hostname} was not checked by the egress policy`);
      err.code = 'EEGRESSUNCHECKED';
      return callback(err, []);
    }
    if (options.all) return callback(null, entry.addresses);
    const first = entry.addresses[0] as LookupAddress;
    return callback(null, first.address, first.family);
  };
  return {
    pin(host, addresses) {
      pinned.set(host, { addresses: addresses.map((a) => ({ address: a.text, family: a.family })), at: Date.now() });
      // Bounded: one entry per host name the actions call.
      if (pinned.size > 10_000) pinned.delete(pinned.keys().next().value as string);
    },
    dispatcher: new Agent({ connect: { lookup } }),
  };
}
