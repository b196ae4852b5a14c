/**
 * Routing rules from configuration, first match wins: an alert's source, labels (equal or an
 * anchored regular expression) and severity choose what to start, a workflow kind and its target
 * (a runbook, unless the route names another kind); params are rendered from the alert; the dedup
 * key (else the alert's identity: src/alerts/fingerprint.ts) and its start time name the run (one
 * run per firing episode). Label regexes run in linear time (src/shared/linear-regex.ts): a
 * label from any sender against any configured pattern costs microseconds, never seconds.
 */
import { createHash } from 'node:crypto';
import type { AlertRouteConfig } from '../config/schema';
import { workflowKind } from '../runs/kinds';
import type { AlertInstance } from '../shared/alert';
import { compileLinearRegex, LinearRegexError } from '../shared/linear-regex';
import type { JsonValue } from '../shared/model';
import { render, toPlainJson, toText } from '../shared/template';
import { DEFAULT_WORKFLOW_KIND, type WorkflowKind } from '../shared/workflow-kinds';
import { episodeText } from './fingerprint';

export interface CompiledRoute {
  id: string;
  /** What the route starts. @default 'runbook' */
  kind: WorkflowKind;
  /** The target's id (configured as `runbook:`): a runbook id for kind runbook. */
  target: string;
  /** The same as `target` (the configuration's name for it). */
  runbook: string;
  owner: string;
  test(a: AlertInstance): boolean;
  params(a: AlertInstance): Record<string, unknown>;
  /** The workflow id of the run this alert's episode belongs to. */
  workflowId(a: AlertInstance): string;
}

function compile(r: AlertRouteConfig, index: number): CompiledRoute {
  // Anchored, as Alertmanager's matchers: the whole value must match.
  const regexes = Object.entries(r.match.labelsRegex ?? {}).map(([k, re]) => {
    try {
      return [k, compileLinearRegex(re)] as const;
    } catch (err) {
      if (!(err instanceof LinearRegexError)) throw err;
      throw new Error(`alerts.routes[${index}].match.labelsRegex.${k}: invalid regular expression: ${err.message}`);
    }
  });
  const equal = Object.entries(r.match.labels ?? {});
  const severities = r.match.severity ? new Set(r.match.severity) : undefined;
  const sources = r.match.source ? new Set<string>(r.match.source) : undefined;
  const scope = (a: AlertInstance) => ({ alert: a });
  return {
    id: r.id,
    kind: r.kind ?? DEFAULT_WORKFLOW_KIND,
    target: r.runbook,
    runbook: r.runbook,
    owner: r.owner,
    test(a) {
      if (sources && !sources.has(a.source)) return false;
      if (severities && !severities.has(a.labels.severity ?? '')) return false;
      for (const [k, v] of equal) if (a.labels[k] !== v) return false;
      for (const [k, re] of regexes) if (!re.fullMatch(a.labels[k] ?? '')) return false;
      return true;
    },
    params(a) {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(r.params)) {
        const value = toPlainJson(render(v as JsonValue, scope(a)));
        // A label the alert does not carry renders empty: leave the param to its default.
        if (value !== null && value !== '') out[k] = value;
      }
      return out;
    },
    workflowId(a) {
      const text = r.dedupKey ? `${a.source}\n${toText(render(r.dedupKey, scope(a)))}\n${a.startsAt}` : episodeText(a);
      const hash = createHash('sha256').update(text).digest('hex').slice(0, 24);
      return `alert-${r.id}-${hash}`;
    },
  };
}

export interface AlertRouter {
  routes: readonly CompiledRoute[];
  match(a: AlertInstance): CompiledRoute | undefined;
}

/**
 * Throws when a route names a target that does not exist, e.g. a runbook the library lacks
 * (checked at start, not per alert). `targetExists` is asked with the target's id and kind.
 */
export function createRouter(
  routes: AlertRouteConfig[],
  targetExists: (id: string, kind: WorkflowKind) => boolean,
): AlertRouter {
  const ids = new Set<string>();
  for (const [i, r] of routes.entries()) {
    if (ids.has(r.id)) throw new Error(`alerts.routes[${i}].id: route id '${r.id}' is used twice`);
    ids.add(r.id);
    const kind = r.kind ?? DEFAULT_WORKFLOW_KIND;
    if (!targetExists(r.runbook, kind))
      throw new Error(`alerts.routes[${i}].runbook: no ${workflowKind(kind).targetNoun} '${r.runbook}'`);
  }
  const compiled = routes.map((r, i) => compile(r, i));
  return { routes: compiled, match: (a) => compiled.find((r) => r.test(a)) };
}
