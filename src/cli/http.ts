/**
 * The CLI's client of the HTTP API. Every failure becomes a CliError whose exit code says whose
 * fault it was: 4xx answers are bad input (2); 5xx answers and an unreachable API are failures (1).
 */
import { CliError, EXIT } from './errors';

export interface ApiClientOptions {
  /** Base URL of the API, e.g. `http://127.0.0.1:8080`. */
  baseUrl: string;
  /** Bearer token; without one the API answers 401. */
  token?: string;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
  /** Per-request deadline. @default 30000 */
  timeoutMs?: number;
}

export type Query = Record<string, string | number | undefined>;

export interface ApiClient {
  readonly baseUrl: string;
  get<T>(path: string, query?: Query): Promise<T>;
  post<T>(path: string, body?: unknown): Promise<T>;
}

/** The API's error body. */
interface ErrorBody {
  error?: unknown;
  field?: unknown;
}

const TOKEN_HINT =
  'Set RUNBOOK_TOKEN (or pass --token) to an API token; for a local `npm start`, config/dev.yaml lists the dev tokens (e.g. RUNBOOK_TOKEN=dev-alice-operator).';

export function createApiClient(o: ApiClientOptions): ApiClient {
  const baseUrl = checkBaseUrl(o.baseUrl);
  const doFetch = o.fetch ?? globalThis.fetch;
  const timeoutMs = o.timeoutMs ?? 30_000;

  async function request<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const url = `${baseUrl}${path}`;
    const headers: Record<string, string> = { accept: 'application/json' };
    if (o.token) headers.authorization = `Bearer ${o.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await doFetch(url, {
        method,
        headers,
        signal: AbortSignal.timeout(timeoutMs),
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    } catch (err) {
      throw new CliError(
        `cannot reach the API at ${baseUrl} (${method} ${url}): ${reason(err)}. Is it running? Set RUNBOOK_API or --api to its URL.`,
        EXIT.failed,
      );
    }
    const text = await res.text();
    const parsed = parseJson(text);
    if (res.ok) {
      if (parsed === undefined && text !== '')
        throw new CliError(
          `the API at ${baseUrl} answered ${method} ${path} with something that is not JSON`,
          EXIT.failed,
        );
      return parsed as T;
    }
    throw errorFor(res.status, method, path, parsed as ErrorBody | undefined, text);
  }

  function errorFor(status: number, method: string, path: string, body: ErrorBody | undefined, text: string): CliError {
    const message = typeof body?.error === 'string' ? body.error : oneLineText(text) || `HTTP ${status}`;
    const field = typeof body?.field === 'string' ? ` (field: ${body.field})` : '';
    if (status === 401) {
      const which = o.token ? 'the token was not accepted' : 'no token was given';
      return new CliError(`${message}${field}: ${which}. ${TOKEN_HINT}`, EXIT.badInput);
    }
    if (status >= 400 && status < 500) return new CliError(`${message}${field}`, EXIT.badInput);
    return new CliError(
      `the API at ${baseUrl} failed on ${method} ${path} (HTTP ${status}): ${message}${field}`,
      EXIT.failed,
    );
  }

  return {
    baseUrl,
    get: (path, query) => request('GET', `${path}${queryString(query)}`),
    post: (path, body) => request('POST', path, body ?? {}),
  };
}

/** `/v1/runs/` + an id, escaped (workflow ids may hold characters a path cannot). */
export function pathOf(...segments: string[]): string {
  return segments.map((s, i) => (i === 0 ? s : encodeURIComponent(s))).join('/');
}

function checkBaseUrl(raw: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new CliError(
      `the API URL '${raw}' is not a URL (set RUNBOOK_API or --api, e.g. http://127.0.0.1:8080)`,
      EXIT.badInput,
    );
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw new CliError(`the API URL '${raw}' must be http or https`, EXIT.badInput);
  return raw.replace(/\/+$/, '');
}

function queryString(query: Query | undefined): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function oneLineText(text: string): string {
  return text.replace(/\s+/g, ' ').trim().slice(0, 200);
}

/** The innermost useful cause: fetch wraps ECONNREFUSED and friends in a bare "fetch failed". */
function reason(err: unknown): string {
  const e = err as { name?: string; message?: string; cause?: unknown; code?: string };
  if (e?.name === 'TimeoutError') return 'no answer in time';
  const cause = e?.cause as { code?: string; message?: string } | undefined;
  return cause?.code ?? cause?.message ?? e?.message ?? String(err);
}
