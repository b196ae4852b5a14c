/**
 * Decision handlers, the one way a workflow takes a person's decision: an update with a
 * validator for the API and CLI (the caller hears why a decision is refused), and a signal of the
 * same meaning for the Web UI's form (a refused one is logged; a signal cannot be answered). A
 * handler never throws into the workflow task.
 */
import { log, setHandler, type SignalDefinition } from '@temporalio/workflow';
import type { UpdateDefinition } from '@temporalio/common';
import type { DecisionChannel } from '../../shared/status';

export interface DecisionHandler<D extends { via?: DecisionChannel }, R> {
  /** Throws a TypeError saying why the decision cannot apply now. */
  validate(d: D): void;
  apply(d: D, via: DecisionChannel): R;
  /** Shown in the Web UI next to each handler. */
  describe: { update: string; signal: string };
}

export function installDecisionHandlers<D extends { via?: DecisionChannel }, R>(
  update: UpdateDefinition<R, [D]>,
  signal: SignalDefinition<[D]>,
  h: DecisionHandler<D, R>,
): void {
  setHandler(update, (d) => h.apply(d, d.via ?? 'api'), {
    validator: (d) => h.validate(d),
    description: h.describe.update,
  });
  setHandler(
    signal,
    (d) => {
      try {
        h.validate(d);
        h.apply(d, d.via ?? 'web-ui');
      } catch (err) {
        log.warn(`${signal.name} refused`, { decision: d, reason: (err as Error).message });
      }
    },
    { description: h.describe.signal },
  );
}
