/**
 * What a declared schedule should look like in Temporal, and its hash. Sync compares hashes, not
 * the described schedule: Temporal normalises specs (ranges, defaults), so comparing our own
 * canonical form is the only comparison that stays stable across server versions.
 */
import { createHash } from 'node:crypto';
import type { ScheduleOptionsStartWorkflowAction, ScheduleOverlapPolicy, ScheduleSpec } from '@temporalio/client';
import type { Workflow } from '@temporalio/common';
import { workflowKind } from '../runs/kinds';
import { canonicalJson } from '../shared/canonical';
import type { RunbookDefinition, TriggerInfo } from '../shared/model';
import { MANAGED_BY, type ScheduleSyncMemo } from './memo';
import { describePolicies, describeWhen, toPolicies, toScheduleSpec } from './spec';
import { scheduleId, type ScheduleDef } from '../shared/schedule';
import type { SignedStart, SigningKeys } from '../shared/signed';
import { signStart } from '../runs/sign';

export interface DesiredSchedule {
  /** The Temporal Schedule id (`runbook-<runbookId>-<id>`). */
  id: string;
  def: ScheduleDef;
  spec: ScheduleSpec;
  /** The action without its sync memo (added by `actionWithMemo`). */
  action: ScheduleOptionsStartWorkflowAction<Workflow>;
  policies: { overlap: Exclude<ScheduleOverlapPolicy, undefined>; catchupWindow: number };
  /** Paused and note as the runbook file declares them. */
  declared: { paused: boolean; note: string };
  /** What sync records on the schedule to tell later syncs what it last wrote. */
  memo: ScheduleSyncMemo;
}

const sha256 = (v: unknown): string => createHash('sha256').update(canonicalJson(v)).digest('hex');

/** The note a paused schedule gets when the file gives none. */
export function declaredNote(def: ScheduleDef): string {
  return def.note ?? (def.paused ? 'paused in the runbook file' : '');
}

/**
 * The run a schedule starts: the workflow type of the schedule's kind, and what that kind's
 * registry entry starts for a schedule (for a runbook: the runbook by id, which the worker
 * resolves to its current version when the run starts, so a schedule never runs a stale copy;
 * with the schedule's params). `onBehalfOf`: the person its runs act for (they cannot approve them).
 */
export function scheduleAction(
  def: ScheduleDef,
  taskQueue: string,
  runbook?: Pick<RunbookDefinition, 'id' | 'title'>,
  keys?: SigningKeys,
  onBehalfOf?: string,
): ScheduleOptionsStartWorkflowAction<Workflow> {
  const id = scheduleId(def);
  const kind = workflowKind(def.kind);
  const start = kind.scheduled(def, {
    scheduleId: id,
    ...(runbook ? { declaredBy: runbook } : {}),
    ...(onBehalfOf !== undefined ? { onBehalfOf } : {}),
  });
  // Signed, bound to the schedule's id prefix: the runs are the schedule's, not the Web UI's.
  const input = keys
    ? { ...start.input, signed: signStart(keys, start.intent, { workflowIdPrefix: id }) }
    : start.input;
  // The hash covers these fields (key order aside): a new field here updates every schedule.
  return {
    type: 'startWorkflow',
    workflowType: kind.workflowType,
    taskQueue,
    // Temporal appends the scheduled time: runbook-<runbook>-<schedule>-2025-01-06T07:00:00Z.
    workflowId: id,
    args: [input],
    typedSearchAttributes: start.typedSearchAttributes,
    staticSummary: start.staticSummary,
    staticDetails: start.staticDetails,
  };
}

/** The action as hashed: search attribute keys reduced to their names (the key objects are not data). */
function hashableAction(a: ScheduleOptionsStartWorkflowAction<Workflow>): unknown {
  const pairs = Array.isArray(a.typedSearchAttributes) ? a.typedSearchAttributes.map((p) => [p.key.name, p.value]) : [];
  const args = (a.args ?? []).map((x) => {
    if (x === null || typeof x !== 'object') return x;
    const input = { ...(x as { trigger?: TriggerInfo; signed?: SignedStart }) };
    // Who the runs act for is not what the schedule does: the same schedule synced by another
    // person is unchanged (and keeps acting for whoever created or last changed it).
    if (input.trigger?.onBehalfOf !== undefined) {
      const { onBehalfOf: _owner, ...trigger } = input.trigger;
      input.trigger = trigger;
    }
    // The signature is made of the fields hashed already; its key id is hashed, so a new key re-signs.
    if ('signed' in input) input.signed = { kid: (input.signed as SignedStart).kid } as SignedStart;
    return input;
  });
  return { ...a, args, typedSearchAttributes: pairs };
}

/** The person a described schedule's runs act for (from its signed start), if any. */
export function onBehalfOfIn(action: { args?: readonly unknown[] | undefined }): string | undefined {
  const input = action.args?.[0] as { signed?: SignedStart } | undefined;
  const who = input?.signed?.payload?.trigger?.onBehalfOf;
  return typeof who === 'string' ? who : undefined;
}

export function desiredSchedule(
  def: ScheduleDef,
  o: {
    taskQueue: string;
    runbook?: Pick<RunbookDefinition, 'id' | 'title'>;
    keys?: SigningKeys;
    /** Who syncs it (through the API): its runs act for them once created or changed. */
    onBehalfOf?: string;
  },
): DesiredSchedule {
  const spec = toScheduleSpec(def);
  const action = scheduleAction(def, o.taskQueue, o.runbook, o.keys, o.onBehalfOf);
  const policies = toPolicies(def);
  const declared = { paused: def.paused, note: declaredNote(def) };
  const parts = {
    spec: sha256(spec),
    action: sha256(hashableAction(action)),
    policies: sha256(policies),
    declared: sha256(declared),
  };
  const memo: ScheduleSyncMemo = {
    managedBy: MANAGED_BY,
    scheduleId: scheduleId(def),
    specHash: sha256(parts),
    parts,
    when: describeWhen(def),
    policies: describePolicies(policies),
    params: def.params,
    declaredPaused: declared.paused,
    declaredNote: declared.note,
  };
  return { id: scheduleId(def), def, spec, action, policies, declared, memo };
}

/** The action with the sync memo, as sent to Temporal (runs it starts carry the memo too). */
export function actionWithMemo(d: DesiredSchedule): ScheduleOptionsStartWorkflowAction<Workflow> {
  return { ...d.action, memo: { schedule: d.memo } };
}
