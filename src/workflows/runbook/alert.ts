/**
 * A run started by an alert hears about it again: repeats join the run (counted, latest labels
 * and annotations kept) and a resolved notification is recorded. Unless the runbook says to
 * finish, a resolved alert stops the run before its next mutating step or approval: acting on an
 * alert that has already cleared (deleting healthy pods) is how other tools hurt their users.
 */
import { FAILURE } from '../../shared/failures';
import { ApplicationFailure, log, setHandler } from '@temporalio/workflow';
import type { AlertNotice } from '../../shared/alert';
import { alertSignal } from '../../shared/messages';
import { checkAlertNotice } from '../../shared/payload-checks';
import { isSigned } from '../../shared/signed';
import { AlertReplayGuard } from '../kit/alert';
import type { RunState } from './run-state';

export class AlertTracker {
  /** Signal-with-start delivers the starting notification twice (input and signal): count it once. */
  private echo: string | undefined;
  /** The signed notices taken: a copy of one, an old one or an expired one changes nothing. */
  private readonly replays: AlertReplayGuard;

  constructor(
    private readonly state: RunState,
    first: AlertNotice | undefined,
    /** Signed runs check notices within the bounds the API keeps; older runs their shape only. */
    private readonly signed: boolean,
  ) {
    this.replays = new AlertReplayGuard(signed);
    // The starting notice is the API's, but it rides beside the signature: checked all the same.
    const checked = first === undefined ? undefined : checkAlertNotice(first, { bounds: signed });
    if (checked && 'error' in checked) state.unverified('start input alert', first, checked.error);
    if (first && checked && 'ok' in checked) {
      const { alert, route, receivedAt } = first;
      this.echo = receivedAt;
      state.status.alert = {
        ...alert,
        route,
        notifications: first.repeats ?? 1,
        firstSeenAt: receivedAt,
        lastSeenAt: receivedAt,
      };
      if (alert.status === 'resolved') state.status.alert.resolvedAt = alert.endsAt ?? receivedAt;
    }
  }

  /**
   * `signed`: notices count only when the API's alert ingest signed them (every run since
   * signing); an unsigned or malformed one is noted as unverified and changes nothing. A notice
   * never throws into the workflow task, whatever it holds.
   */
  install(): void {
    const signed = this.signed;
    setHandler(alertSignal, (payload) => this.receive(payload, signed), {
      description: 'A later notification of the alert that started this run (repeat or resolved), signed by the API.',
    });
  }

  private receive(payload: unknown, signed: boolean): void {
    let notice: unknown = payload;
    try {
      if (isSigned(payload)) notice = this.replays.admit(payload);
      else if (signed) throw new TypeError('alert notices come signed by the API');
    } catch (err) {
      this.state.unverified(alertSignal.name, payload, (err as Error).message);
      return;
    }
    const checked = checkAlertNotice(notice, { bounds: signed });
    if ('error' in checked) {
      log.warn('alert notice refused', { reason: checked.error });
      this.state.unverified(alertSignal.name, notice, checked.error);
      return;
    }
    this.apply(checked.ok);
  }

  private apply(n: AlertNotice): void {
    const a = this.state.status.alert;
    if (!a) {
      log.warn('alert notice for a run no alert started: ignored', {
        route: n.route,
        fingerprint: n.alert.fingerprint,
      });
      return;
    }
    if (this.echo !== undefined && n.receivedAt === this.echo) {
      this.echo = undefined;
      return;
    }
    a.notifications += n.repeats ?? 1;
    if (n.receivedAt > a.lastSeenAt) a.lastSeenAt = n.receivedAt;
    a.labels = n.alert.labels;
    a.annotations = n.alert.annotations;
    a.links = n.alert.links;
    if (n.alert.status === 'resolved' && a.resolvedAt === undefined) {
      a.status = 'resolved';
      a.resolvedAt = n.alert.endsAt ?? n.receivedAt;
      if (n.alert.endsAt) a.endsAt = n.alert.endsAt;
    }
    // A firing repeat after a resolution of the same episode (out of order delivery) changes nothing:
    // a new firing is a new episode, with its own start time and its own run.
    this.state.publish();
  }

  /** True once the run must stop at its next change or approval. */
  stopping(): boolean {
    const a = this.state.status.alert;
    return a?.resolvedAt !== undefined && (this.state.runbook.alertResolved?.action ?? 'stop') === 'stop';
  }

  /** Throws AutoResolved when the run must not go on to `what`. */
  check(what: string): void {
    if (!this.stopping()) return;
    const a = this.state.status.alert as NonNullable<RunState['status']['alert']>;
    throw ApplicationFailure.create({
      message: `alert resolved at ${a.resolvedAt}: stopped before ${what}`,
      type: FAILURE.AutoResolved,
      nonRetryable: true,
    });
  }
}
