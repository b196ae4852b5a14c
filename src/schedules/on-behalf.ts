/**
 * Who a schedule's runs act for. The person who creates or changes a schedule through the API
 * (sync), or has it start runs now (trigger, backfill), is who its runs are started for: like a
 * run's requester they cannot approve those runs (the run refuses them by the signed trigger's
 * `onBehalfOf`). Its later runs stay theirs until someone else does one of these. A sync at
 * process start acts for nobody.
 */
import type { Client, ScheduleDescription } from '@temporalio/client';
import type { TemporalCall } from '../runs/call';
import { RunError } from '../runs/errors';
import { signStartOnBehalfOf } from '../runs/sign';
import type { TriggerInfo } from '../shared/model';
import type { SigningKeys } from '../shared/signed';
import { onBehalfOfIn } from './desired';

/** Makes the schedule's runs act for `actor` (its signed start signed again), unless they already do. */
export async function actFor(o: {
  client: Client;
  call: TemporalCall;
  keys: SigningKeys;
  described: ScheduleDescription;
  actor: string;
}): Promise<void> {
  const { actor, keys } = o;
  const id = o.described.scheduleId;
  if (onBehalfOfIn(o.described.action) === actor) return;
  await o.call(
    () =>
      o.client.schedule.getHandle(id).update((live) => {
        const input = live.action.args?.[0] as { trigger?: TriggerInfo; signed?: unknown } | undefined;
        const signed = signStartOnBehalfOf(keys, input?.signed, actor);
        if (!input || !signed)
          throw new RunError(
            'conflict',
            `schedule '${id}' does not carry a start this API signed; sync the schedules first`,
            'id',
          );
        // The typed search attributes alone: the untyped copy the description also holds would
        // be written back as lists.
        const { searchAttributes: _untyped, ...action } = live.action;
        return { ...live, action: { ...action, args: [{ ...input, trigger: signed.payload.trigger, signed }] } };
      }),
    { notFound: `no schedule '${id}'`, field: 'id' },
  );
}
