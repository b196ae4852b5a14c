/**
 * `notify:pagerduty:event`: an Events API v2 event (trigger, acknowledge, resolve) to a
 * `kind: pagerduty` target. Outbound only: the inbound PagerDuty alert source is src/alerts.
 */
import { z } from 'zod';
import { NOTIFY_NON_RETRYABLE } from './notify';
import type { CatalogEntry } from './types';

/** The product's severities as PagerDuty's; PagerDuty's own four pass as they are. */
export const PAGERDUTY_SEVERITY = {
  sev1: 'critical',
  sev2: 'error',
  sev3: 'warning',
  sev4: 'info',
  critical: 'critical',
  error: 'error',
  warning: 'warning',
  info: 'info',
} as const;
export type PagerDutySeverity = (typeof PAGERDUTY_SEVERITY)[keyof typeof PAGERDUTY_SEVERITY];

export const notifyPagerDutyEventInput = z
  .object({
    target: z.string().min(1).describe('A `kind: pagerduty` target named in configuration (notify.targets).'),
    action: z.enum(['trigger', 'acknowledge', 'resolve']).default('trigger'),
    dedupKey: z
      .string()
      .min(1)
      .max(255)
      .optional()
      .describe("Which alert the event is about. Default: the run's workflow id, so one run is one alert."),
    summary: z.string().min(1).max(1024).optional().describe('Required to trigger.'),
    severity: z
      .enum(Object.keys(PAGERDUTY_SEVERITY) as [keyof typeof PAGERDUTY_SEVERITY])
      .default('sev2')
      .describe('sev1..sev4 (critical, error, warning, info), or those four by name.'),
    source: z.string().min(1).optional().describe("Default: the target's source, else the runbook's id."),
    component: z.string().optional(),
    group: z.string().optional(),
    class: z.string().optional(),
    customDetails: z.record(z.string(), z.json()).optional(),
  })
  .strict()
  .refine((i) => i.action !== 'trigger' || i.summary !== undefined, {
    message: 'a trigger needs a summary',
    path: ['summary'],
  });
export type NotifyPagerDutyEventInput = z.infer<typeof notifyPagerDutyEventInput>;

export const notifyPagerDutyEventOutput = z.object({
  target: z.string(),
  action: z.enum(['trigger', 'acknowledge', 'resolve']),
  dedupKey: z.string(),
  status: z.number(),
  delivered: z.boolean(),
});
export type NotifyPagerDutyEventResult = z.infer<typeof notifyPagerDutyEventOutput>;

export const notifyPagerDutyEvent: CatalogEntry<
  typeof notifyPagerDutyEventInput,
  typeof notifyPagerDutyEventOutput,
  'notify:pagerduty:event'
> = {
  id: 'notify:pagerduty:event',
  description:
    'Trigger, acknowledge or resolve a PagerDuty alert (Events API v2) through a configured pagerduty target. ' +
    "The routing key is a named secret bound to the target's host; the dedup key defaults to the run's.",
  input: notifyPagerDutyEventInput,
  output: notifyPagerDutyEventOutput,
  // As notify:webhook:post: no system we manage changes, but a dry run pages nobody.
  mutating: false,
  skipInDryRun: true,
  nonRetryable: [...NOTIFY_NON_RETRYABLE],
  describe: (i) =>
    `pagerduty ${i.target}: ${i.action} ${i.dedupKey ?? '(the run)'}${i.summary ? `: ${i.summary}` : ''}`,
  example: {
    with: { target: 'pagerduty', action: 'trigger', summary: 'checkout is down', severity: 'sev1' },
    note: 'a resolve later in the run (`action: resolve`) closes the same alert: both default to the run as dedup key',
  },
};
