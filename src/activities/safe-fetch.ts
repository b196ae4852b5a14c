/**
 * fetch as the HTTP and notify actions use it: every hop passes the egress policy before it is
 * made (redirects are followed by hand, so a redirect cannot take a request where the policy
 * refuses), requests that carry secrets follow redirects only within the origin the secrets
 * were checked for (fetch drops `Authorization` on a cross-origin redirect but keeps every other
 * header, custom secret headers included), and bodies are read up to a cap.
 */
import { FAILURE } from '../shared/failures';
import { ApplicationFailure } from '@temporalio/common';
import type { EgressGuard } from './egress';
import { permanent } from './errors';
import { originOf } from './secrets';

const MAX_REDIRECTS = 5;
/** The statuses fetch itself follows. */
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
/** What fetch drops when a redirect leaves the origin. */
const CREDENTIAL_HEADERS = ['authorization', 'cookie', 'proxy-authorization'];
/** What fetch drops when a redirect turns the request into a GET. */
const BODY_HEADERS = ['content-type', 'content-length', 'content-encoding', 'content-language', 'content-location'];

export interface SafeFetchDeps {
  fetch: typeof globalThis.fetch;
  egress: EgressGuard;
}

export interface SafeFetchRequest {
  url: string;
  init: RequestInit;
  /** Secret headers, or a URL that is itself a secret: no redirect leaves the origin. */
  carriesSecrets: boolean;
}

export async function safeFetch(deps: SafeFetchDeps, req: SafeFetchRequest): Promise<Response> {
  let current = req.url;
  let init = req.init;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    await deps.egress.check(current);
    // The connection goes where the check looked (undici's `dispatcher`, which fetch takes).
    const pinned = deps.egress.dispatcher ? { dispatcher: deps.egress.dispatcher } : {};
    const res = await deps.fetch(current, { ...init, ...pinned, redirect: 'manual' } as RequestInit);
    const location = res.headers.get('location');
    if (!REDIRECTS.has(res.status) || !location) return res;
    // A redirect's own body is never needed: not reading it also bounds what it can send.
    await res.body?.cancel().catch(() => undefined);
    const next = new URL(location, current).toString();
    const crossOrigin = originOf(next) !== originOf(current);
    if (crossOrigin && req.carriesSecrets)
      throw permanent(
        `${originOf(current) ?? current} redirected to ${originOf(next) ?? 'another origin'}: secret headers are not sent to another origin, so the request stopped there`,
        FAILURE.SecretNotAllowed,
      );
    init = redirected(init, res.status, crossOrigin);
    current = next;
  }
  throw ApplicationFailure.retryable(`${req.url}: more than ${MAX_REDIRECTS} redirects`, FAILURE.HttpUnexpectedStatus);
}

/** The next hop's request, as fetch would make it. */
function redirected(init: RequestInit, status: number, crossOrigin: boolean): RequestInit {
  const headers = new Headers(init.headers);
  if (crossOrigin) for (const h of CREDENTIAL_HEADERS) headers.delete(h);
  // As browsers do: 303 (and 301/302 after a POST) continue as a GET without a body.
  if (status === 303 || ((status === 301 || status === 302) && init.method === 'POST')) {
    const { body: _body, ...rest } = init;
    for (const h of BODY_HEADERS) headers.delete(h);
    return { ...rest, method: init.method === 'HEAD' ? 'HEAD' : 'GET', headers };
  }
  return { ...init, headers };
}

export interface CappedBody {
  text: string;
  /** The body went on past the cap: reading stopped there and the connection was closed. */
  truncated: boolean;
}

/**
 * Reads a body up to `maxBytes` and no further: beyond it the stream is cancelled, which
 * closes the connection, so an endless or huge answer costs at most the cap.
 */
export async function readCapped(res: Response, maxBytes: number): Promise<CappedBody> {
  // Most answers say their length: within the cap, one read (fetch holds the body to that length).
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (Number.isInteger(declared) && declared >= 0 && declared <= maxBytes && !res.headers.has('content-encoding'))
    return { text: new TextDecoder().decode(await res.arrayBuffer()), truncated: false };
  const reader = res.body?.getReader();
  if (!reader) return { text: '', truncated: false };
  const chunks: Uint8Array[] = [];
  let size = 0;
  let truncated = false;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (size + value.byteLength > maxBytes) {
      chunks.push(value.subarray(0, maxBytes - size));
      truncated = true;
      await reader.cancel().catch(() => undefined);
      break;
    }
    chunks.push(value);
    size += value.byteLength;
  }
  // A character cut at the cap decodes as U+FFFD rather than failing.
  return { text: new TextDecoder().decode(Buffer.concat(chunks)), truncated };
}
