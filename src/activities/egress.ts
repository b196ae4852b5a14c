/**
 * The egress policy of the HTTP and notify actions: where a request (or an SMTP connection) may
 * go, decided before it is made. Operators choose URLs (params) and alerts fill them in, so a URL
 * alone is no reason to trust a destination: the host is resolved here and every address it
 * resolves to is checked, link-local and cloud metadata addresses are refused unless
 * configuration allows them, and with `egress.allow` only the destinations listed are reachable.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { FAILURE } from '../shared/failures';
import type { EgressConfig } from '../config/load';
import { permanent } from './errors';
import { inRange, parseIp, parseRange, type IpAddress, type IpRange } from './ip-range';
import { createPinnedDispatcher } from './pinned-dispatcher';
import { originMatches, originOf } from './secrets';

export interface EgressGuard {
  /**
   * Resolves the URL's host and refuses, with FAILURE.EgressRefused (permanent), a destination the
   * policy does not allow. A name that does not resolve throws the resolver's error (retried).
   * The addresses checked are the ones `dispatcher` connects to.
   */
  check(url: string): Promise<void>;
  /**
   * The same policy for a connection fetch does not make: an SMTP server as `smtp://host:port`
   * (`smtps://` for TLS from connect), listed in `egress.allow` by such an origin or an IP range.
   * Answers every address the host resolved to, all checked: the caller connects to one of them
   * and never looks the name up again, so an answer that changes after the check changes nothing.
   */
  checkHost(url: string): Promise<string[]>;
  /** For fetch: connects a checked name to the addresses its check resolved, and no others. */
  readonly dispatcher?: unknown;
}

/** Every address a host name resolves to (as text). */
export type ResolveHost = (host: string) => Promise<string[]>;

/** Refused unless allowed: link-local, where cloud providers put their metadata services. */
const REFUSED_RANGES: ReadonlyArray<{ range: IpRange; what: string }> = [
  ['169.254.0.0/16', 'a link-local address (cloud metadata services answer on 169.254.169.254)'],
  ['fe80::/10', 'an IPv6 link-local address'],
  ['fd00:ec2::254', 'the AWS instance metadata service (IPv6)'],
  ['100.100.100.200', 'the Alibaba Cloud metadata service'],
].map(([text, what]) => ({ range: parseRange(text as string) as IpRange, what: what as string }));

/** Metadata services by name, refused before any lookup: whatever they resolve to, they mean the metadata service. */
const METADATA_HOSTS = new Set(['metadata.google.internal', 'metadata.goog']);

const HTTP_SCHEMES = ['http:', 'https:'] as const;
const SMTP_SCHEMES = ['smtp:', 'smtps:'] as const;

const systemResolve: ResolveHost = async (host) =>
  (await dnsLookup(host, { all: true, verbatim: true })).map((a) => a.address);

export function createEgressGuard(opts: { policy: EgressConfig; resolve?: ResolveHost }): EgressGuard {
  const { policy } = opts;
  const resolve = opts.resolve ?? systemResolve;
  const pins = createPinnedDispatcher();
  const listed = policy.allow ?? [];
  const ranges = listed.map((d) => parseRange(d)).filter((r): r is IpRange => r !== undefined);
  const origins = listed.filter((d) => d.includes('://'));
  const refuse = (dest: string, why: string): Error =>
    permanent(`egress to ${dest} refused: ${why}; no request was made`, FAILURE.EgressRefused);

  /**
   * A refused range opens only when named: allowLinkLocal, the destination's exact origin, or a
   * listed range inside the refused one (so `0.0.0.0/0` does not open the metadata service).
   */
  const opened = (address: IpAddress, refused: IpRange, exactOrigin: boolean): boolean =>
    policy.allowLinkLocal || exactOrigin || ranges.some((r) => r.bits >= refused.bits && inRange(r, address));

  /** The policy for one destination: its checked addresses (none for an IP literal's own). */
  async function addressesFor(
    url: string,
    schemes: readonly string[],
  ): Promise<{ literal: boolean; host: string; addresses: IpAddress[] }> {
    const origin = originOf(url);
    if (!origin || !schemes.includes(new URL(url).protocol))
      throw refuse(
        url.slice(0, 200),
        `only ${schemes.map((s) => s.slice(0, -1)).join(' and ')} destinations are allowed`,
      );
    const host = hostOf(origin);
    const exactOrigin = origins.some((p) => !p.includes('*') && originMatches(p, origin));
    if (METADATA_HOSTS.has(host) && !policy.allowLinkLocal && !exactOrigin)
      throw refuse(
        origin,
        `${host} is a cloud metadata service (allow it with egress.allowLinkLocal or by listing ${origin} in egress.allow)`,
      );
    const literal = parseIp(host);
    const addresses = literal ? [literal] : (await resolve(host)).flatMap((a) => parseIp(a) ?? []);
    // Every address, not only the one the connection may pick: an answer with one metadata
    // address among others is refused.
    for (const address of addresses) {
      const refused = REFUSED_RANGES.find((r) => inRange(r.range, address));
      if (refused && !opened(address, refused.range, exactOrigin)) {
        const named = literal ? `${host} is` : `${host} resolves to ${address.text},`;
        throw refuse(
          origin,
          `${named} ${refused.what} (allow it with egress.allowLinkLocal or by listing it in egress.allow)`,
        );
      }
    }
    const result = { literal: literal !== undefined, host, addresses };
    if (policy.allow === undefined) return result;
    if (origins.some((p) => originMatches(p, origin))) return result;
    if (addresses.length > 0 && addresses.every((a) => ranges.some((r) => inRange(r, a)))) return result;
    const shown = listed.length > 8 ? `${listed.slice(0, 8).join(', ')}, ...` : listed.join(', ');
    throw refuse(origin, `not in egress.allow (${shown})`);
  }

  return {
    dispatcher: pins.dispatcher,
    async check(url) {
      const { literal, host, addresses } = await addressesFor(url, HTTP_SCHEMES);
      // The connection goes to these addresses only (the dispatcher's lookup answers from them),
      // so an answer that changes after the check changes nothing.
      if (!literal) pins.pin(host, addresses);
    },
    async checkHost(url) {
      const { addresses } = await addressesFor(url, SMTP_SCHEMES);
      if (addresses.length === 0) throw refuse(originOf(url) ?? url.slice(0, 200), 'its host resolves to no address');
      return addresses.map((a) => a.text);
    },
  };
}

/** The host of an origin `scheme://host:port`, lower case, without a trailing dot. */
function hostOf(origin: string): string {
  const rest = origin.slice(origin.indexOf('//') + 2);
  return rest.slice(0, rest.lastIndexOf(':')).replace(/\.$/, '').toLowerCase();
}
