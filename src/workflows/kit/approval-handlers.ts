/**
 * The approval decision handlers every workflow with gates installs the same way: the signed
 * update (`decideApprovalUpdate`) the API, the CLI and Slack send, and the signal of the same
 * meaning for the Web UI's form, which only notes what it claimed (src/workflows/kit/handlers.ts).
 */
import { approvalDecisionSignal, decideApprovalUpdate } from '../../shared/messages';
import { installDecisionHandlers } from './handlers';
import { approvalClaims } from './trust';
import type { ApprovalVoting } from './voting';

export function installApprovalHandlers(
  gates: ApprovalVoting,
  o: {
    /** What is decided, in the Web UI's handler descriptions: "a pending approval step". */
    what: string;
    /** The signal's payload, as described there. */
    shape: string;
    unverified: (message: string, payload: unknown, reason: string) => void;
    signed: boolean;
  },
): void {
  installDecisionHandlers(
    decideApprovalUpdate,
    approvalDecisionSignal,
    {
      validate: (d) => gates.validate(d),
      apply: (d, via) => gates.apply(d, via),
      describe: {
        update: `Approve or reject ${o.what}: signed by the API (CLI, HTTP API, Slack).`,
        signal: `Approve or reject ${o.what}: ${o.shape}.`,
      },
      claims: approvalClaims,
      unverified: o.unverified,
    },
    o.signed,
  );
}
