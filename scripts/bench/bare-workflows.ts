/**
 * The baselines: the least a plain Temporal workflow does for the same job, bundled apart from
 * the product's workflows. No status, no details, no search attributes, no deadlines.
 */
import {
  condition,
  defineUpdate,
  proxyActivities,
  proxySinks,
  setHandler,
  sleep,
  type Sinks,
} from '@temporalio/workflow';

export interface BenchSinks extends Sinks {
  bench: { ready(): void };
}

export const bareApproveUpdate = defineUpdate<{ accepted: true }, [{ actor: string }]>('bareApprove');

const { benchNoop } = proxyActivities<{ benchNoop(): Promise<unknown> }>({ startToCloseTimeout: '10s' });
const { bench } = proxySinks<BenchSinks>();

/** N no-op activities, one after the other. */
export async function bareStepsWorkflow(n: number): Promise<number> {
  for (let i = 0; i < n; i++) await benchNoop();
  return n;
}

/** Waits on a condition until a trivial update approves it, then one no-op activity. */
export async function bareApprovalWorkflow(): Promise<string> {
  let approvedBy: string | undefined;
  setHandler(bareApproveUpdate, ({ actor }) => {
    approvedBy = actor;
    return { accepted: true };
  });
  bench.ready();
  await condition(() => approvedBy !== undefined);
  await benchNoop();
  return approvedBy as string;
}

/** As bareApprovalWorkflow, with a 1 h deadline as approval steps have (a timer, cancelled on approval). */
export async function bareApprovalDeadlineWorkflow(): Promise<string> {
  let approvedBy: string | undefined;
  setHandler(bareApproveUpdate, ({ actor }) => {
    approvedBy = actor;
    return { accepted: true };
  });
  bench.ready();
  await condition(() => approvedBy !== undefined, '1h');
  await benchNoop();
  return approvedBy as string;
}

const { benchReminder } = proxyActivities<{ benchReminder(dueAtMs: number): Promise<unknown> }>({
  startToCloseTimeout: '10s',
});

/** Holds one timer (a cadence's next update), then tells who is due: the incident benchmark's baseline. */
export async function bareTimerWorkflow(afterMs: number): Promise<void> {
  const dueAtMs = Date.now() + afterMs;
  bench.ready();
  await sleep(afterMs);
  await benchReminder(dueAtMs);
}
