/**
 * Decision handlers, the one way a workflow takes a person's decision: an update whose payload
 * the API signed (src/shared/signed.ts). Its validator verifies the signature and refuses what
 * cannot apply now (the caller hears why; nothing refused reaches history); its handler applies.
 * A signal of the same name exists for the Web UI's form and raw Temporal clients: in a signed
 * run it decides nothing and is only noted on the run as unverified. A handler never throws into
 * the workflow task. Runs from before signing replay as they ran (`signed: false`).
 */
import { log, setHandler, type SignalDefinition } from '@temporalio/workflow';
import type { UpdateDefinition } from '@temporalio/common';
import { isSigned } from '../../shared/signed';
import type { DecisionChannel } from '../../shared/status';

export interface DecisionHandler<D extends { via?: DecisionChannel }, R> {
  /** Throws a TypeError saying why the decision cannot apply now. */
  validate(d: D): void;
  apply(d: D, via: DecisionChannel): R;
  /** Shown in the Web UI next to each handler. */
  describe: { update: string; signal: string };
  /**
   * Signed runs: `verify` checks an envelope (throws a TypeError why not) and gives its decision;
   * `read` gives the decision of an envelope already verified (the handler, and replay).
   */
  claims: {
    verify(envelope: unknown): { decision: D; via: DecisionChannel };
    read(claims: unknown): { decision: D; via: DecisionChannel };
  };
  /** Notes a decision that decides nothing (unsigned: the signal form). */
  unverified(message: string, payload: unknown, reason: string): void;
}

const UNSIGNED = 'decisions come signed through the API (runbook CLI, HTTP API, Slack), not straight to Temporal';

export function installDecisionHandlers<D extends { via?: DecisionChannel }, R, P>(
  update: UpdateDefinition<R, [P]>,
  signal: SignalDefinition<[P]>,
  h: DecisionHandler<D, R>,
  signed: boolean,
): void {
  if (!signed) return installLegacy(update, signal, h);
  setHandler(
    update,
    (envelope) => {
      // Verified by the validator: only accepted updates run this (and only they are in history).
      const { decision, via } = h.claims.read((envelope as { payload: unknown }).payload);
      return h.apply(decision, via);
    },
    {
      validator: (envelope: P) => {
        let verified: { decision: D; via: DecisionChannel };
        try {
          if (!isSigned(envelope)) throw new TypeError(UNSIGNED);
          verified = h.claims.verify(envelope);
        } catch (err) {
          log.warn(`${update.name} refused`, { reason: (err as Error).message });
          throw err;
        }
        h.validate(verified.decision);
      },
      description: h.describe.update,
    },
  );
  setHandler(signal, (payload) => h.unverified(signal.name, payload, UNSIGNED), {
    description: `${h.describe.signal} Recorded as an unverified note only: ${UNSIGNED}.`,
  });
}

/** Runs started before signed decisions: the payload names its actor, as it did then. */
function installLegacy<D extends { via?: DecisionChannel }, R, P>(
  update: UpdateDefinition<R, [P]>,
  signal: SignalDefinition<[P]>,
  h: DecisionHandler<D, R>,
): void {
  setHandler(update, (d) => h.apply(d as unknown as D, (d as unknown as D).via ?? 'api'), {
    validator: (d) => h.validate(d as unknown as D),
    description: h.describe.update,
  });
  setHandler(
    signal,
    (d) => {
      try {
        h.validate(d as unknown as D);
        h.apply(d as unknown as D, (d as unknown as D).via ?? 'web-ui');
      } catch (err) {
        log.warn(`${signal.name} refused`, { decision: d, reason: (err as Error).message });
      }
    },
    { description: h.describe.signal },
  );
}
