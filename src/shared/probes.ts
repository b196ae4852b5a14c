/**
 * A drill's probes as read actions of the catalog, and their answers judged: deterministic, so
 * the drill workflow decides what holds in its own code and replay decides the same. Each kind
 * maps onto an action that already exists, with its guards (egress policy, bounded bodies,
 * READ ONLY transactions):
 *
 * | probe | action | holds when |
 * |---|---|---|
 * | http | http:endpoint:check | the check passes (status, body) |
 * | prometheus | http:request:send (GET /api/v1/query or query_range) | the first series' value (every sample of a range) within min..max |
 * | kubernetes | k8s:pod:list | ready pods ≥ minReady (default: at least one, and none not ready) |
 * | sql | pg:query:smoke | the query answers (with expectRows: within it) |
 * | redis | redis:health:read | the server answers and is not loading |
 *
 * A read that fails is a deviation with the failure's message: an unreachable endpoint is
 * what a drill is looking for, not an error of the drill.
 */
import { parseDuration } from './duration';
import type { ProbeReading } from './drill';
import type { ActionCall, ProbeDefinition } from './experiment';

const ms = (d: unknown, fallback: number): number =>
  typeof d === 'string' ? (parseDuration(d) ?? fallback) : fallback;
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);

/** The action that reads a probe now (`nowMs`: the workflow's clock, for a range's end). */
export function probeCall(p: ProbeDefinition, nowMs: number): ActionCall {
  const s = p.spec;
  switch (p.kind) {
    case 'http':
      return {
        action: 'http:endpoint:check',
        input: {
          url: s.url,
          method: s.method ?? 'GET',
          expectStatus: s.status ?? [200],
          ...(s.contains !== undefined ? { bodyContains: s.contains } : {}),
          requestTimeoutMs: ms(s.timeout, 5000),
        },
      };
    case 'prometheus': {
      const base = String(s.url).replace(/\/+$/, '');
      const q = encodeURIComponent(String(s.query));
      const stepS = ms(s.step, 15_000) / 1000;
      const url =
        s.over === undefined
          ? `${base}/api/v1/query?query=${q}`
          : `${base}/api/v1/query_range?query=${q}&start=${(nowMs - ms(s.over, 0)) / 1000}&end=${nowMs / 1000}&step=${stepS}`;
      return { action: 'http:request:send', input: { method: 'GET', url, requestTimeoutMs: 10_000 } };
    }
    case 'kubernetes':
      return {
        action: 'k8s:pod:list',
        input: {
          namespace: s.namespace,
          ...(s.deployment !== undefined ? { deployment: s.deployment } : { selector: s.selector }),
        },
      };
    case 'sql':
      return {
        action: 'pg:query:smoke',
        input: {
          database: s.database,
          sql: s.query,
          params: [],
          ...(s.expectRows !== undefined ? { expectRows: s.expectRows } : {}),
          statementTimeoutMs: ms(s.timeout, 5000),
          maxRows: 0,
        },
      };
    case 'redis':
      return { action: 'redis:health:read', input: { server: s.server } };
  }
}

type Judged = Pick<ProbeReading, 'ok' | 'value' | 'detail'>;

/** Whether a probe held, from its action's output or its failure's message. */
export function judgeProbe(p: ProbeDefinition, r: { output?: unknown; error?: string }): Judged {
  if (r.error !== undefined) return { ok: false, value: null, detail: r.error.slice(0, 500) };
  const o = (r.output ?? {}) as Record<string, unknown>;
  switch (p.kind) {
    case 'http': {
      const problems = Array.isArray(o.problems) ? (o.problems as string[]) : [];
      return {
        ok: o.ok === true,
        value: num(o.status) ?? null,
        ...(problems.length ? { detail: problems.join('; ') } : {}),
      };
    }
    case 'prometheus':
      return judgePrometheus(p, o.body);
    case 'kubernetes': {
      const ready = num(o.ready) ?? 0;
      const total = num(o.total) ?? 0;
      const notReady = Array.isArray(o.notReady) ? o.notReady.length : 0;
      const min = num(p.spec.minReady);
      const ok = min !== undefined ? ready >= min : ready >= 1 && notReady === 0;
      return { ok, value: ready, detail: `${ready}/${total} ready${min !== undefined ? ` (at least ${min})` : ''}` };
    }
    case 'sql':
      return { ok: true, value: num(o.rowCount) ?? null };
    case 'redis': {
      const loading = (o.persistence as { loading?: unknown } | undefined)?.loading === true;
      return { ok: !loading, value: null, ...(loading ? { detail: 'loading its dataset' } : {}) };
    }
  }
}

function judgePrometheus(p: ProbeDefinition, body: unknown): Judged {
  const b = body as { status?: unknown; data?: { result?: unknown } } | null;
  if (typeof b !== 'object' || b === null || b.status !== 'success')
    return { ok: false, value: null, detail: 'Prometheus did not answer success' };
  const series = Array.isArray(b.data?.result) ? (b.data.result as Array<Record<string, unknown>>) : [];
  const first = series[0];
  if (!first) return { ok: false, value: null, detail: 'no series' };
  const samples = (Array.isArray(first.values) ? first.values : [first.value]) as unknown[];
  const values = samples.map((s) => (Array.isArray(s) ? Number(s[1]) : NaN));
  const min = num(p.spec.min);
  const max = num(p.spec.max);
  const bad = values.find(
    (v) => !Number.isFinite(v) || (min !== undefined && v < min) || (max !== undefined && v > max),
  );
  const last = values.at(-1);
  const value = last !== undefined && Number.isFinite(last) ? last : null;
  if (bad === undefined && values.length > 0) return { ok: true, value };
  const range = `${min ?? '-∞'}..${max ?? '∞'}`;
  return { ok: false, value, detail: values.length ? `${bad} is outside ${range}` : 'no samples' };
}
