/** The product side of each benchmark: compiled runbooks built directly, and the no-op activity. */
import type { ActionResult } from '../../src/shared/activity-types';
import type { ActionStep, ApprovalStep, RetrySpec, RunbookDefinition, TriggerInfo } from '../../src/shared/model';
import type { RunbookWorkflowInput } from '../../src/shared/workflow-types';
import { parseSigningKeys } from '../../src/config/signing-keys';
import { signStart } from '../../src/runs/sign';
import { RUNBOOK_WORKFLOW } from '../../src/shared/constants';

const RETRY: RetrySpec = { maxAttempts: 3, initialIntervalMs: 1000, backoff: 2 };

/** BENCH_KEYS as a worker process's environment gives it. */
export const BENCH_KEYS_ENV = `bench1:${Buffer.alloc(32, 3).toString('base64url')}`;
/** The key the bench's API side signs with, and its workers verify with (as the product's). */
export const BENCH_KEYS = parseSigningKeys(BENCH_KEYS_ENV, 'bench');

/** The input as the API sends it: signed for its workflow id. */
export function signedInput(
  input: RunbookWorkflowInput,
  bind: string | { workflowIdPrefix: string },
): RunbookWorkflowInput {
  const rb = input.runbook as RunbookDefinition;
  const intent = {
    workflowType: RUNBOOK_WORKFLOW,
    runbookId: rb.id,
    definition: rb,
    params: input.params ?? {},
    trigger: input.trigger ?? TRIGGER,
    approverGroups: {},
    emergency: false,
    dryRun: false,
  };
  // A schedule's runs are bound to its workflow id prefix (Temporal appends the time).
  return { ...input, signed: signStart(BENCH_KEYS, intent, typeof bind === 'string' ? { workflowId: bind } : bind) };
}

/** Started by alice; approved by bob (the one who starts a run may not approve it). */
export const TRIGGER: TriggerInfo = { source: 'api', requestedBy: 'alice' };
export const APPROVER = 'bob';

/** Both workers register this under the name the no-op steps' compiled `activity` field names. */
export const benchActivities = {
  benchNoop: async (): Promise<ActionResult> => ({ output: null, attempt: 1 }),
};

function noopStep(id: string): ActionStep {
  return {
    kind: 'action',
    id,
    action: 'bench:noop',
    activity: 'benchNoop',
    mutating: false,
    with: {},
    retry: RETRY,
    timeoutMs: 10_000,
    onFailure: 'fail',
  };
}

function runbook(id: string, steps: RunbookDefinition['steps']): RunbookDefinition {
  return { id, title: `Benchmark ${id}`, description: 'npm run bench', version: 'bench', tags: [], params: {}, steps };
}

/** A run of N no-op action steps. */
export function noopRun(n: number): RunbookWorkflowInput {
  return {
    runbook: runbook(
      `bench-noop-${n}`,
      Array.from({ length: n }, (_, i) => noopStep(`step-${i + 1}`)),
    ),
    params: {},
    trigger: TRIGGER,
  };
}

export const APPROVAL_STEP = 'approve';

/** A run that waits on one approval (any approver, 1 h deadline), then runs one no-op step. */
export function approvalRun(): RunbookWorkflowInput {
  const gate: ApprovalStep = {
    kind: 'approval',
    id: APPROVAL_STEP,
    message: 'Go ahead?',
    required: 1,
    onTimeout: 'abort',
    guards: [],
    retry: RETRY,
    timeoutMs: 3_600_000,
    onFailure: 'fail',
  };
  return { runbook: runbook('bench-approval', [gate, noopStep('after')]), params: {}, trigger: TRIGGER };
}

/** A run with no steps: what a freshly started worker must pick up and finish. */
export function emptyRun(): RunbookWorkflowInput {
  return { runbook: runbook('bench-empty', []), params: {}, trigger: TRIGGER };
}
