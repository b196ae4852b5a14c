/**
 * The authoring form of a runbook file (YAML), as zod schemas. The JSON Schema for editors
 * (schemas/runbook.schema.json) is generated from these; a test fails when it is stale.
 */
import { z } from 'zod';
import { checkIdentity } from '../shared/identity';
import { STEP_KINDS, STEP_KIND_KEYS } from './steps';

/** The keys that name a step's kind (from the step-kind table). */
export { STEP_KIND_KEYS };
import { duration, ID } from './steps/common';

export const paramSpec = z
  .object({
    type: z.enum(['string', 'int', 'number', 'bool', 'enum', 'duration']),
    description: z.string().optional(),
    required: z.boolean().optional(),
    default: z.union([z.string(), z.number(), z.boolean()]).optional(),
    values: z.array(z.string()).min(1).optional().describe('Allowed values (enum only).'),
  })
  .strict();

/** A runbook step, any kind (recursive through containers), for the editor's JSON Schema. */
export const step: z.ZodType = z.lazy(() =>
  z.union(
    Object.values(STEP_KINDS).map((k) => (k.editorSchema ? k.editorSchema(step) : k.schema)) as unknown as [
      z.ZodType,
      z.ZodType,
    ],
  ),
);

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

/**
 * Who may start a run as an emergency: identities, kept in canonical form (a look-alike or a
 * hidden character is a load error, not a different person), and groups as `group:<name>`.
 */
const requester = z
  .string()
  .min(1)
  .transform((v, ctx) => {
    if (v.startsWith('group:')) {
      if (v.length === 6) ctx.addIssue({ code: 'custom', message: 'a group needs a name: group:<name>' });
      return v;
    }
    const r = checkIdentity(v);
    if ('error' in r) {
      ctx.addIssue({ code: 'custom', message: r.error });
      return z.NEVER;
    }
    return r.identity;
  });

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
    emergency: z
      .object({
        requesters: z
          .array(requester)
          .min(1)
          .describe('Identities, and groups as group:<name> (from configuration approverGroups).'),
      })
      .strict()
      .optional()
      .describe(
        'Who may start a run as an emergency change (approval steps with emergency take one approval now, the rest afterwards). Absent: nobody may.',
      ),
    announce: z
      .object({
        target: z
          .string()
          .min(1)
          .describe('A `kind: slack` target (notify.targets): the run posts its message there and keeps it current.'),
      })
      .strict()
      .optional()
      .describe(
        "The run's live Slack message: runbook, trigger, phase and steps, updated in place; approvals and paused steps in its thread with buttons.",
      ),
    schedules: z.array(scheduleSpec).optional().describe('Routine runs, synced to Temporal Schedules.'),
    steps: z.array(z.unknown()).min(1),
  })
  .strict();
export type AuthoredRunbook = z.infer<typeof runbookFile>;

/** JSON Schema for editors: the file shape with steps described fully. */
export function runbookJsonSchema(): unknown {
  const full = runbookFile.extend({ steps: z.array(step).min(1) });
  return z.toJSONSchema(full, { target: 'draft-2020-12', unrepresentable: 'any', io: 'input' });
}
