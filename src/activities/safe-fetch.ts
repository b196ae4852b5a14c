/**
 * fetch for requests that carry secrets: redirects are followed by hand, and only within the
 * origin the secrets were checked for. (fetch drops `Authorization` on a cross-origin redirect
 * but keeps every other header, custom secret headers included.)
 */
import { FAILURE } from '../shared/failures';
import { ApplicationFailure } from '@temporalio/common';
import { permanent } from './errors';
import { originOf } from './secrets';

const MAX_REDIRECTS = 5;

export async function fetchKeepingSecrets(
  fetchImpl: typeof globalThis.fetch,
  url: string,
  init: RequestInit,
  carriesSecrets: boolean,
): Promise<Response> {
  if (!carriesSecrets) return fetchImpl(url, init);
  let current = url;
  let request = init;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const res = await fetchImpl(current, { ...request, redirect: 'manual' });
    const location = res.headers.get('location');
    if (res.status < 300 || res.status >= 400 || !location) return res;
    await res.arrayBuffer().catch(() => undefined);
    const next = new URL(location, current).toString();
    if (originOf(next) !== originOf(current))
      throw permanent(
        `${originOf(current) ?? current} redirected to ${originOf(next) ?? 'another origin'}: secret headers are not sent to another origin, so the request stopped there`,
        FAILURE.SecretNotAllowed,
      );
    // As browsers do: 303 (and 301/302 after a POST) continue as a GET without a body.
    if (res.status === 303 || ((res.status === 301 || res.status === 302) && request.method === 'POST')) {
      const { body: _body, ...rest } = request;
      request = { ...rest, method: 'GET' };
    }
    current = next;
  }
  throw ApplicationFailure.retryable(`${url}: more than ${MAX_REDIRECTS} redirects`, FAILURE.HttpUnexpectedStatus);
}
