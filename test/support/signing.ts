/**
 * The tests' signing key, shared by every test worker and API stack, and the API's signatures
 * made by hand for tests that start runs or decide straight through a Temporal client (as the API
 * does; tests of the trust boundary send unsigned or forged ones on purpose).
 */
import type { WorkflowHandle } from '@temporalio/client';
import { parseSigningKeys } from '../../src/config/signing-keys';
import { signDecision, signStart, signStepDecision } from '../../src/runs/sign';
import { RUNBOOK_WORKFLOW } from '../../src/shared/constants';
import { statusQuery } from '../../src/shared/messages';
import {
  type DecisionClaims,
  type SignedDecision,
  type SignedStepDecision,
  type SigningKeys,
} from '../../src/shared/signed';
import type { RunbookWorkflowInput } from '../../src/shared/workflow-types';

/** The tests' key as a process's environment gives it (RUNBOOK_SIGNING_KEYS). */
export const TEST_KEYS_ENV = `test1:${Buffer.alloc(32, 7).toString('base64url')}`;
export const TEST_KEYS: SigningKeys = parseSigningKeys(TEST_KEYS_ENV, 'tests');

/** What scripts/record-histories.ts signs with: the replay test verifies recorded starts with it. */
export const RECORDING_KEYS: SigningKeys = parseSigningKeys(
  `rec1:${Buffer.alloc(32, 1).toString('base64url')}`,
  'recording',
);

/** Another key, as an attacker's (or a misconfigured API's) would be. */
export const OTHER_KEYS: SigningKeys = parseSigningKeys(`test1:${Buffer.alloc(32, 9).toString('base64url')}`, 'other');

/** The input as the API sends it: what the input says, signed for this workflow id. */
export function signed(input: RunbookWorkflowInput, workflowId: string, keys = TEST_KEYS): RunbookWorkflowInput {
  const runbook = input.runbook;
  if (!runbook) throw new Error('signed() needs an inline runbook');
  return {
    ...input,
    signed: signStart(
      keys,
      {
        workflowType: RUNBOOK_WORKFLOW,
        runbookId: runbook.id,
        definition: runbook,
        params: input.params ?? {},
        trigger: input.trigger ?? { source: 'api', requestedBy: 'alice' },
        approverGroups: input.approverGroups ?? {},
        emergency: input.emergency ?? false,
        dryRun: input.dryRun ?? false,
      },
      { workflowId },
    ),
  };
}

/** A decision as the API signs it: bound to the gate's current opening (read from the run). */
export async function signedDecision(
  handle: WorkflowHandle,
  d: {
    stepId: string;
    decision: 'approve' | 'reject';
    actor: string;
    comment?: string;
    channel?: DecisionClaims['channel'];
    /** When the gate opened: read from the run's status query unless given. */
    opening?: string;
  },
  keys = TEST_KEYS,
): Promise<SignedDecision> {
  const { opening: given, channel, ...rest } = d;
  const opening =
    given ?? (await handle.query(statusQuery)).pendingApprovals.find((a) => a.stepId === d.stepId)?.requestedAt;
  return signDecision(keys, {
    ...rest,
    workflowId: handle.workflowId,
    ...(opening ? { opening } : {}),
    channel: channel ?? 'api',
  });
}

export function signedStepDecision(
  workflowId: string,
  d: { stepId: string; action: 'retry' | 'skip' | 'abort'; actor: string; reason?: string },
  keys = TEST_KEYS,
): SignedStepDecision {
  return signStepDecision(keys, { ...d, workflowId, channel: 'api' });
}
