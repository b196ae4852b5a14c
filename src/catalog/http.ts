import { z } from 'zod';
import { FAILURE } from '../shared/failures';
import { linearPattern } from './linear-pattern';
import type { CatalogEntry } from './types';

const READ_ONLY_METHODS = ['GET', 'HEAD'];

/** Secret header values are named, never inlined: resolved in the worker from env or files. */
export const secretHeaders = z
  .record(z.string(), z.object({ secret: z.string().min(1), prefix: z.string().optional() }).strict())
  .optional()
  .describe(
    'Headers whose value is a named secret, e.g. { Authorization: { secret: statuspage-token, prefix: "Bearer " } }',
  );

const headers = z.record(z.string(), z.string()).optional();

export const httpRequestInput = z
  .object({
    method: z.enum(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']).default('GET'),
    url: z.url({ protocol: /^https?$/ }),
    headers,
    secretHeaders,
    body: z.json().optional().describe('A string is sent as is; anything else as JSON.'),
    acceptStatus: z
      .array(z.number().int().min(100).max(599))
      .optional()
      .describe('Statuses that count as success. Default: any 2xx.'),
    requestTimeoutMs: z.number().int().positive().max(300_000).default(10_000),
  })
  .strict();
export type HttpRequestInput = z.infer<typeof httpRequestInput>;

export const httpRequestOutput = z.object({
  status: z.number(),
  headers: z.record(z.string(), z.string()),
  body: z.json(),
  truncated: z
    .boolean()
    .optional()
    .describe(
      'Present (true) when the body was cut: over 64 KiB of text is kept clipped, ending in …, and nothing past 1 MiB is read.',
    ),
  durationMs: z.number(),
});
export type HttpRequestResult = z.infer<typeof httpRequestOutput>;

export const httpCheckInput = z
  .object({
    url: z.url({ protocol: /^https?$/ }),
    method: z.enum(['GET', 'HEAD']).default('GET'),
    headers,
    secretHeaders,
    expectStatus: z.union([z.number().int(), z.array(z.number().int())]).default(200),
    bodyContains: z.string().optional(),
    bodyMatches: linearPattern(
      'A regular expression the body must match (RE2 syntax: no backreferences or lookaround).',
    ).optional(),
    latencyBudgetMs: z.number().int().positive().optional(),
    require: z
      .boolean()
      .default(false)
      .describe('Fail (and retry) when the check does not pass, instead of reporting ok: false.'),
    requestTimeoutMs: z.number().int().positive().max(300_000).default(10_000),
  })
  .strict();
export type HttpCheckInput = z.infer<typeof httpCheckInput>;

export const httpCheckOutput = z.object({
  ok: z.boolean(),
  status: z.number().nullable(),
  latencyMs: z.number(),
  problems: z.array(z.string()),
});
export type HttpCheckResult = z.infer<typeof httpCheckOutput>;

export const httpRequest: CatalogEntry<typeof httpRequestInput, typeof httpRequestOutput, 'http:request:send'> = {
  id: 'http:request:send',
  formerly: { ids: ['http:request'], activity: 'httpRequest' },
  description:
    'Send one HTTP request. Mutating methods carry an Idempotency-Key header derived from the run and step, ' +
    'so a retried or replayed step is applied once by receivers that honour it. 4xx (but 408/429) fail at once; ' +
    '5xx and network errors retry. Every hop, redirects included, must pass the egress policy (configuration `egress`).',
  input: httpRequestInput,
  output: httpRequestOutput,
  mutating: (input) => {
    const method = input.method ?? 'GET';
    // A templated method may turn out to be anything: count it as mutating.
    return typeof method !== 'string' || method.includes('${{') || !READ_ONLY_METHODS.includes(method.toUpperCase());
  },
  nonRetryable: [FAILURE.HttpClientError, FAILURE.InvalidInput, FAILURE.EgressRefused],
  describe: (i) => `${i.method} ${i.url}`,
  example: { with: { method: 'POST', url: 'http://127.0.0.1:9/hooks/restart', body: { service: 'checkout' } } },
};

export const httpCheck: CatalogEntry<typeof httpCheckInput, typeof httpCheckOutput, 'http:endpoint:check'> = {
  id: 'http:endpoint:check',
  formerly: { ids: ['http:check'], activity: 'httpCheck' },
  description:
    'Probe an HTTP endpoint: expected status, body match and latency budget. Reports ok: false with the ' +
    'problems found (or fails, with require: true), so verify steps can poll it.',
  input: httpCheckInput,
  output: httpCheckOutput,
  mutating: false,
  nonRetryable: [FAILURE.InvalidInput, FAILURE.EgressRefused],
  describe: (i) => `check ${i.method} ${i.url}`,
  example: { with: { url: 'http://127.0.0.1:9/healthz', expectStatus: 200, latencyBudgetMs: 500 } },
};
