/**
 * Loads one experiment file: YAML with line numbers, the schema, then what the schema cannot
 * say — names unique, aborts naming real probes, actions the catalog has with inputs it takes,
 * and the blast radius: every fault in the budget's one namespace, the pods it deletes and the
 * nodes it touches within the budget. Every problem is reported at once, as file:line:column.
 */
import { createHash } from 'node:crypto';
import { CATALOG } from '../catalog';
import { formatProblem, type FileProblem } from '../files/problems';
import { parseYamlFile } from '../files/yaml-file';
import { parseDuration } from '../shared/duration';
import type { ExperimentDefinition, MethodStepDefinition, ProbeDefinition } from '../shared/experiment';
import { probeCall } from '../shared/probes';
import { faultNamespace, faultOf } from './compile';
import { experimentFile, MAX_RANGE_SAMPLES, PROBE_KINDS, type AuthoredExperiment } from './schema';

export class ExperimentLoadError extends Error {
  constructor(readonly problems: FileProblem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.name = 'ExperimentLoadError';
  }
}

type Report = (path: ReadonlyArray<PropertyKey>, message: string) => void;

const ms = (d: string): number => parseDuration(d) ?? 0;

export function loadExperiment(text: string, file: string): ExperimentDefinition {
  const { raw, problems, report } = parseYamlFile(text, file);
  if (problems.length > 0) throw new ExperimentLoadError(problems);
  const parsed = experimentFile.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) report(issue.path, issue.message);
    throw new ExperimentLoadError(problems);
  }
  const x = parsed.data;
  checkNames(x, report);
  const probes = x.steadyState.probes.map(probeOf);
  // Each probe is a read action of the catalog: its call must be one that action takes.
  probes.forEach((p, i) => {
    const call = probeCall(p, 0);
    checkCall(call.action, call.input, ['steadyState', 'probes', i], report, p.kind);
  });
  const method = x.method.map((m, i) => compileStep(m, i, report));
  checkBudget(x, method, report);
  const rollbacks = x.rollbacks.map((r, i) => {
    checkCall(r.action, r.with, ['rollbacks', i], report);
    return { name: r.name, action: r.action, input: r.with };
  });
  if (problems.length > 0) throw new ExperimentLoadError(problems);
  return {
    id: x.id,
    title: x.title,
    description: x.description,
    version: createHash('sha256').update(text).digest('hex').slice(0, 12),
    seeds: x.seeds,
    tags: x.tags,
    approval: {
      required: x.approval.required,
      ...(x.approval.approvers ? { approvers: x.approval.approvers } : {}),
      timeoutMs: ms(x.approval.timeout),
    },
    budget: x.budget,
    probes,
    everyMs: ms(x.steadyState.every),
    method,
    observeMs: ms(x.observe),
    ...(x.detect ? { detect: { alert: x.detect.alert, labels: x.detect.labels, withinMs: ms(x.detect.within) } } : {}),
    recoverWithinMs: ms(x.recover.within),
    ...(x.remediation ? { remediation: x.remediation } : {}),
    rollbacks,
    abort: x.abort,
  };
}

function probeOf(p: AuthoredExperiment['steadyState']['probes'][number]): ProbeDefinition {
  const kind = PROBE_KINDS.find((k) => p[k] !== undefined) ?? 'http';
  return { name: p.name, kind, spec: { ...(p[kind] as Record<string, unknown>) }, tolerance: p.tolerance };
}

function checkNames(x: AuthoredExperiment, report: Report): void {
  const seen = new Map<string, string>();
  const claim = (name: string, path: PropertyKey[]): void => {
    const other = seen.get(name);
    if (other) report(path, `name '${name}' is also used by ${other}`);
    else seen.set(name, path.join('.'));
  };
  x.steadyState.probes.forEach((p, i) => claim(p.name, ['steadyState', 'probes', i, 'name']));
  x.method.forEach((m, i) => claim(m.name, ['method', i, 'name']));
  x.rollbacks.forEach((r, i) => claim(r.name, ['rollbacks', i, 'name']));
  x.steadyState.probes.forEach((p, i) => {
    const q = p.prometheus;
    if (q?.over !== undefined && ms(q.over) / Math.max(1, ms(q.step)) > MAX_RANGE_SAMPLES)
      report(
        ['steadyState', 'probes', i, 'prometheus', 'over'],
        `${q.over} at a step of ${q.step} is more than ${MAX_RANGE_SAMPLES} samples: a longer step, or a shorter range`,
      );
  });
  const probes = new Set(x.steadyState.probes.map((p) => p.name));
  x.abort.onDeviation.forEach((n, i) => {
    if (!probes.has(n)) report(['abort', 'onDeviation', i], `no probe '${n}' (probes: ${[...probes].join(', ')})`);
  });
}

/** A catalog action with an input its schema takes (the same check a runbook's step gets). */
function checkCall(action: string, input: unknown, path: PropertyKey[], report: Report, field = 'action'): boolean {
  const entry = CATALOG.get(action);
  if (!entry) {
    report([...path, field], `no action '${action}' in the catalog (docs/actions.md)`);
    return false;
  }
  const r = entry.input.safeParse(input);
  if (!r.success) for (const issue of r.error.issues) report([...path, 'with', ...issue.path], issue.message);
  return r.success;
}

function compileStep(m: AuthoredExperiment['method'][number], i: number, report: Report): MethodStepDefinition {
  const path = ['method', i];
  const pauseMs = m.pause !== undefined ? ms(m.pause) : undefined;
  const base = { name: m.name, ...(pauseMs !== undefined ? { pauseMs } : {}) };
  if (m.fault) {
    const { kind, compiled } = faultOf(m.fault);
    for (const action of [compiled.action, compiled.rollback?.action])
      if (action && !CATALOG.has(action))
        report(
          [...path, 'fault', kind],
          `the ${kind} fault needs action '${action}', which this version does not have`,
        );
    return { ...base, kind, ...compiled };
  }
  const action = m.action as string;
  const input = m.with ?? {};
  checkCall(action, input, path, report);
  if (m.rollback) checkCall(m.rollback.action, m.rollback.with, [...path, 'rollback'], report);
  return {
    ...base,
    kind: 'action',
    action,
    input,
    ...(m.rollback ? { rollback: { action: m.rollback.action, input: m.rollback.with } } : {}),
    ...(action === 'k8s:pod:delete' && typeof input.max === 'number' ? { pods: input.max } : {}),
  };
}

/** The blast radius: one namespace, and no more pods or nodes than the budget allows. */
function checkBudget(x: AuthoredExperiment, method: MethodStepDefinition[], report: Report): void {
  const { namespace, maxPods, maxNodes } = x.budget;
  let pods = 0;
  const nodes = new Set<string>();
  x.method.forEach((m, i) => {
    const ns = m.fault ? faultNamespace(m.fault) : stringField(m.with, 'namespace');
    const mutating = m.fault !== undefined || CATALOG.get(m.action ?? '')?.mutating === true;
    if (mutating && ns !== undefined && ns !== namespace)
      report(['method', i], `acts in namespace '${ns}', outside the budget's namespace '${namespace}'`);
    pods += method[i]?.pods ?? 0;
    const node = m.fault?.cordonNode?.node ?? m.fault?.drainNode?.node;
    if (node) nodes.add(node);
  });
  if (pods > maxPods)
    report(['budget', 'maxPods'], `the method deletes up to ${pods} pods, more than the budget's ${maxPods}`);
  if (nodes.size > maxNodes)
    report(
      ['budget', 'maxNodes'],
      `the method touches ${nodes.size} node(s) (${[...nodes].join(', ')}), more than the budget's ${maxNodes}`,
    );
}

const stringField = (o: Record<string, unknown> | undefined, k: string): string | undefined =>
  typeof o?.[k] === 'string' ? o[k] : undefined;
