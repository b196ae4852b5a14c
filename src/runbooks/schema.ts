/**
 * The authoring form of a runbook file (YAML), as zod schemas. The JSON Schema for editors
 * (schemas/runbook.schema.json) is generated from these; a test fails when it is stale.
 */
import { z } from 'zod';

const ID = /^[a-z][a-z0-9-]*$/;
const duration = z.string().regex(/^(\d+(\.\d+)?(ms|s|m|h|d))+$/, 'a duration such as 30s, 5m, 1h30m');

export const paramSpec = z
  .object({
    type: z.enum(['string', 'int', 'number', 'bool', 'enum', 'duration']),
    description: z.string().optional(),
    required: z.boolean().optional(),
    default: z.union([z.string(), z.number(), z.boolean()]).optional(),
    values: z.array(z.string()).min(1).optional().describe('Allowed values (enum only).'),
  })
  .strict();

export const retrySpec = z
  .object({
    maxAttempts: z.number().int().min(1).max(100).optional().describe('@default 3'),
    initialInterval: duration.optional().describe('@default 1s'),
    backoff: z.number().min(1).max(10).optional().describe('@default 2'),
    maxInterval: duration.optional(),
    nonRetryable: z.array(z.string()).optional(),
  })
  .strict();

const stepCommon = {
  id: z.string().regex(ID, 'lower-case letters, digits and dashes, starting with a letter'),
  name: z.string().optional(),
  when: z
    .string()
    .optional()
    .describe('Run only when this expression is truthy, e.g. ${{ steps.probe.output.ok == false }}'),
  retry: retrySpec.optional(),
  timeout: duration.optional(),
  onFailure: z
    .enum(['fail', 'continue', 'pause'])
    .optional()
    .describe('@default fail. pause: wait for an operator to retry, skip (with a reason) or abort.'),
  pause: z
    .object({
      timeout: duration.optional().describe('@default 1h'),
      escalateTo: z
        .string()
        .optional()
        .describe('Notify target told when the deadline passes; the step then waits as long again, then aborts.'),
    })
    .strict()
    .optional(),
};

const inputs = z.record(z.string(), z.json());

const undo = z
  .object({
    action: z.string(),
    with: inputs.optional(),
    timeout: duration.optional(),
    retry: retrySpec.optional(),
  })
  .strict()
  .describe("How to undo this step; may read the step's own output as steps.<id>.output.");

export const actionStep = z
  .object({ ...stepCommon, action: z.string(), with: inputs.optional(), undo: undo.optional() })
  .strict();
export const notifyStep = z
  .object({
    ...stepCommon,
    notify: z
      .object({
        target: z.string().optional(),
        message: z.string(),
        title: z.string().optional(),
        severity: z.string().optional(),
      })
      .strict(),
  })
  .strict();
export const verifyStep = z
  .object({
    ...stepCommon,
    verify: z
      .object({
        action: z.string(),
        with: inputs.optional(),
        until: z.string().describe('Expression over `output`, e.g. ${{ output.ok }}'),
        interval: duration.optional().describe('@default 10s'),
        within: duration.describe('Give up (the step fails) after this long.'),
      })
      .strict(),
  })
  .strict();
const approverList = z.array(z.string().min(1)).min(1).describe('Identities, and groups as group:<name>.');
export const approvalStep = z
  .object({
    ...stepCommon,
    approval: z
      .object({
        message: z.string(),
        approvers: approverList.optional(),
        required: z.number().int().min(1).max(10).optional().describe('@default 1'),
        onTimeout: z.enum(['abort', 'escalate', 'continue']).optional().describe('@default abort'),
        escalation: z
          .object({ approvers: approverList.optional(), timeout: duration, notify: z.string().optional() })
          .strict()
          .optional(),
        emergency: z
          .object({
            retroactiveWithin: duration.describe('How long after the change the remaining approvals may come.'),
          })
          .strict()
          .optional(),
        guards: z
          .array(z.string())
          .optional()
          .describe(
            'Mutating steps this approval covers. Default: the mutating steps after it, up to the next approval.',
          ),
      })
      .strict(),
  })
  .strict();
export const waitStep = z.object({ ...stepCommon, wait: duration }).strict();

export type AuthoredStep =
  | z.infer<typeof actionStep>
  | z.infer<typeof notifyStep>
  | z.infer<typeof verifyStep>
  | z.infer<typeof approvalStep>
  | z.infer<typeof waitStep>
  | ({ parallel: AuthoredStep[] } & z.infer<z.ZodObject<typeof stepCommon>>);

/** The key that names a step's kind; exactly one must be present. */
export const STEP_KIND_KEYS = ['action', 'notify', 'verify', 'approval', 'wait', 'parallel'] as const;

export const parallelStep: z.ZodType<AuthoredStep> = z.lazy(() =>
  z.object({ ...stepCommon, parallel: z.array(step).min(2) }).strict(),
) as z.ZodType<AuthoredStep>;

export const step: z.ZodType<AuthoredStep> = z.lazy(() =>
  z.union([actionStep, notifyStep, verifyStep, approvalStep, waitStep, parallelStep]),
) as z.ZodType<AuthoredStep>;

const DAYS = ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY', 'SUNDAY'] as const;
const oneOrMany = <T extends z.ZodType>(t: T) => z.union([t, z.array(t).min(1)]);

export const scheduleSpec = z
  .object({
    id: z.string().regex(ID, 'lower-case letters, digits and dashes, starting with a letter'),
    cron: z
      .string()
      .regex(/^\S+(\s+\S+){4}$/, 'five fields: minute hour day-of-month month day-of-week')
      .optional()
      .describe('e.g. "0 7 * * 1-5"'),
    calendar: z
      .object({
        minute: oneOrMany(z.number().int().min(0).max(59)).optional(),
        hour: oneOrMany(z.number().int().min(0).max(23)).optional(),
        dayOfMonth: oneOrMany(z.number().int().min(1).max(31)).optional(),
        dayOfWeek: oneOrMany(z.enum(DAYS)).optional(),
      })
      .strict()
      .optional()
      .describe('Fields left out mean: minute 0, hour 0, every day.'),
    every: duration.optional().describe('A fixed interval instead of a calendar, e.g. 15m.'),
    timezone: z.string().default('UTC').describe('IANA time zone of cron and calendar, e.g. Europe/Berlin.'),
    jitter: duration.optional().describe('Start up to this much later, at random (spreads load).'),
    overlap: z
      .enum(['skip', 'buffer-one', 'buffer-all', 'cancel-other', 'terminate-other', 'allow-all'])
      .default('skip')
      .describe('When the previous run is still going: skip this one (default), queue it, or stop the other.'),
    catchupWindow: duration.default('10m').describe('After an outage, runs missed within this window still start.'),
    paused: z.boolean().default(false),
    note: z.string().optional().describe('Shown on the schedule (e.g. why it is paused).'),
    params: z.record(z.string(), z.unknown()).default({}),
  })
  .strict()
  .refine((v) => [v.cron, v.calendar, v.every].filter((x) => x !== undefined).length === 1, {
    message: 'give exactly one of cron, calendar, every',
  });
export type AuthoredSchedule = z.infer<typeof scheduleSpec>;

export const runbookFile = z
  .object({
    id: z.string().regex(ID, 'lower-case letters, digits and dashes, starting with a letter'),
    title: z.string().min(1),
    description: z.string().default(''),
    service: z.string().optional().describe('Which service a run is about (a template), e.g. ${{ params.service }}'),
    severity: z.string().optional(),
    tags: z.array(z.string()).default([]),
    params: z.record(z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/), paramSpec).default({}),
    target: z
      .string()
      .optional()
      .describe('What the runbook mutates, e.g. service:${{ params.service }}. Runs on the same target never overlap.'),
    lock: z
      .object({
        onBusy: z.enum(['wait', 'fail']).optional().describe('@default wait'),
        timeout: duration.optional().describe('@default 1h'),
      })
      .strict()
      .optional(),
    concurrency: z
      .number()
      .int()
      .min(1)
      .max(1000)
      .optional()
      .describe('At most this many runs of this runbook at once.'),
    alertResolved: z
      .object({
        action: z
          .enum(['stop', 'finish'])
          .default('stop')
          .describe('stop before the next mutating step or approval (default), or finish the runbook'),
        notify: z
          .string()
          .optional()
          .describe('Notification target told when a run stops because its alert resolved. @default default'),
      })
      .strict()
      .optional()
      .describe('Runs started by an alert, once that alert resolves.'),
    schedules: z.array(scheduleSpec).optional().describe('Routine runs, synced to Temporal Schedules.'),
    steps: z.array(z.unknown()).min(1),
  })
  .strict();
export type AuthoredRunbook = z.infer<typeof runbookFile>;

/** Schemas by kind key, for precise errors once the kind is known. */
export const STEP_SCHEMAS = {
  action: actionStep,
  notify: notifyStep,
  verify: verifyStep,
  approval: approvalStep,
  wait: waitStep,
} as const;

/** Step common fields as one schema (used for parallel steps before their children are checked). */
export const parallelShell = z.object({ ...stepCommon, parallel: z.array(z.unknown()).min(2) }).strict();

/** JSON Schema for editors: the file shape with steps described fully. */
export function runbookJsonSchema(): unknown {
  const full = runbookFile.extend({ steps: z.array(step).min(1) });
  return z.toJSONSchema(full, { target: 'draft-2020-12', unrepresentable: 'any', io: 'input' });
}
