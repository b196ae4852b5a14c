/**
 * IP addresses and CIDR ranges as numbers, for the egress policy. An IPv4-mapped
 * (`::ffff:a.b.c.d`) or NAT64 (`64:ff9b::a.b.c.d`) address counts as its IPv4 address: both reach
 * the IPv4 host, so a range written for IPv4 must hold them too (`::ffff:169.254.169.254` is
 * the metadata service).
 */
import { isIPv4, isIPv6 } from 'node:net';

export interface IpAddress {
  family: 4 | 6;
  value: bigint;
  /** As written, after normalizing (an embedded IPv4 address in dotted form). */
  text: string;
}

export interface IpRange {
  family: 4 | 6;
  base: bigint;
  /** Prefix length: 32 (or 128) for one address. */
  bits: number;
  text: string;
}

const MAPPED = 0xffffn; // the top 96 bits of ::ffff:0:0/96
const NAT64 = 0x64ff9b_0000_0000_0000_0000n; // the top 96 bits of 64:ff9b::/96

/** An address (IPv6 possibly in brackets, as URL host names hold it), or undefined. */
export function parseIp(text: string): IpAddress | undefined {
  const t = text.replace(/^\[(.*)\]$/, '$1').replace(/%.*$/, '');
  if (isIPv4(t)) return { family: 4, value: v4(t), text: t };
  if (!isIPv6(t)) return undefined;
  const value = v6(t);
  const top = value >> 32n;
  if (top === MAPPED || top === NAT64) {
    const low = value & 0xffffffffn;
    return { family: 4, value: low, text: v4Text(low) };
  }
  return { family: 6, value, text: t.toLowerCase() };
}

/** `10.0.0.0/8`, `fe80::/10`, or one address (`10.1.2.3`); undefined if it is neither. */
export function parseRange(text: string): IpRange | undefined {
  const m = /^([^/]+)(?:\/(\d{1,3}))?$/.exec(text.trim());
  if (!m) return undefined;
  const t = (m[1] as string).replace(/^\[(.*)\]$/, '$1');
  // Not parseIp: a range is taken as written, an IPv6 range stays IPv6.
  const family = isIPv4(t) ? 4 : isIPv6(t) ? 6 : undefined;
  if (!family) return undefined;
  const width = family === 4 ? 32 : 128;
  const bits = m[2] === undefined ? width : Number(m[2]);
  if (bits > width) return undefined;
  const value = family === 4 ? v4(t) : v6(t);
  const base = bits === 0 ? 0n : (value >> BigInt(width - bits)) << BigInt(width - bits);
  return { family, base, bits, text: text.trim() };
}

export function inRange(range: IpRange, address: IpAddress): boolean {
  if (range.family !== address.family) return false;
  const shift = BigInt((range.family === 4 ? 32 : 128) - range.bits);
  return address.value >> shift === range.base >> shift;
}

function v4(t: string): bigint {
  return t.split('.').reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n);
}

function v4Text(n: bigint): string {
  return [24n, 16n, 8n, 0n].map((s) => String((n >> s) & 0xffn)).join('.');
}

/** Only called on text `isIPv6` accepted. */
function v6(t: string): bigint {
  let s = t.replace(/%.*$/, '');
  const quad = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (quad) {
    const n = v4(quad[1] as string);
    s = `${s.slice(0, -(quad[1] as string).length)}${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
  }
  const [head = '', tail] = s.split('::');
  const h = head ? head.split(':') : [];
  const tl = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - tl.length).fill('0'), ...tl];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
}
