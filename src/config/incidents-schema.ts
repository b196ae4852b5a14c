/**
 * `incidents:` in the configuration file: the rules of src/shared/incident-policy.ts, each one
 * optional over the seeds' defaults. Durations as runbooks write them (`5m`, `2h`, `1w`), or
 * `next-business-day` where a deadline waits for working hours.
 */
import { z } from 'zod';
import { DEFAULT_CALENDAR, type BusinessCalendar } from '../shared/business-hours';
import { parseDuration } from '../shared/duration';
import { DEFAULT_POLICY, type IncidentPolicy, type LevelWho, type Window } from '../shared/incident-policy';
import { parseHours } from '../shared/oncall';
import { SEVERITIES, SEVERITY_SCHEMES, type Severity } from '../shared/severity';

const duration = z.string().refine((d) => parseDuration(d) !== undefined, 'a duration such as 15m, 2h or 1w');
const windowText = z.union([z.literal('next-business-day'), duration]);
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

const perSeverity = <T extends z.ZodType>(t: T) => z.partialRecord(z.enum(SEVERITIES), t);

const level = z
  .object({
    name: z.string().regex(/^[a-z][a-z0-9-]*$/, 'lower-case letters, digits and dashes'),
    /** `oncall.primary`, `oncall.secondary`, or the people to page. */
    who: z.union([z.enum(['oncall.primary', 'oncall.secondary']), z.array(z.string().min(1)).min(1)]),
  })
  .strict();

export const incidentsSection = z
  .object({
    /** Which P-labels the team writes (sev1-sev4 and critical/warning/info are always read). @default sev */
    severityLabels: z.enum(Object.keys(SEVERITY_SCHEMES) as [keyof typeof SEVERITY_SCHEMES]).optional(),
    businessHours: z
      .object({
        days: z.array(z.enum(DAYS)).min(1).optional(),
        hours: z
          .string()
          .refine((h) => parseHours(h) !== undefined, 'HH:MM-HH:MM in UTC')
          .optional(),
        holidays: z.array(z.iso.date()).optional(),
      })
      .strict()
      .optional(),
    response: perSeverity(
      z
        .object({
          acknowledge: windowText.optional(),
          firstResponse: windowText.optional(),
          escalateAfter: windowText.optional(),
        })
        .strict(),
    ).optional(),
    backupAfter: duration.optional(),
    escalation: z
      .object({
        levels: z.array(level).min(1).optional(),
        /** A level reached this long after the incident opened, per severity. */
        after: perSeverity(z.record(z.string(), duration)).optional(),
      })
      .strict()
      .optional(),
    communication: perSeverity(
      z
        .object({
          stakeholders: duration.optional(),
          statusPage: duration.optional(),
          statusPageWithin: duration.optional(),
        })
        .strict(),
    ).optional(),
    postmortem: perSeverity(z.union([z.object({ due: duration }).strict(), z.literal('optional')])).optional(),
    reportWithin: duration.optional(),
    /** Where an incident's messages go: notify targets, and a ticket target for postmortems. */
    channels: z
      .object({
        page: z.array(z.string().min(1)).optional(),
        stakeholders: z.string().min(1).optional(),
        statusPage: z.string().min(1).optional(),
        postmortem: z.string().min(1).optional(),
      })
      .strict()
      .optional(),
    /** After resolution, how long a new alert reopens the incident before it closes. @default 30m */
    monitor: duration.optional(),
    /** Roles still unassigned this long after opening: remind whoever was paged. @default 5m */
    triageReminder: duration.optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    const names = new Set((c.escalation?.levels ?? DEFAULT_POLICY.levels).map((l) => l.name));
    for (const [sev, byLevel] of Object.entries(c.escalation?.after ?? {}))
      for (const name of Object.keys(byLevel ?? {}))
        if (!names.has(name))
          ctx.addIssue({
            code: 'custom',
            path: ['escalation', 'after', sev, name],
            message: `no escalation level '${name}' (levels: ${[...names].join(', ')})`,
          });
  });
export type IncidentsSection = z.infer<typeof incidentsSection>;

const ms = (d: string): number => parseDuration(d) as number;
const win = (w: string): Window => (w === 'next-business-day' ? w : { ms: ms(w) });

/** The section over the seeds' defaults. */
export function incidentPolicyOf(s: IncidentsSection | undefined): IncidentPolicy {
  const calendar: BusinessCalendar = {
    days: s?.businessHours?.days?.map((d) => DAYS.indexOf(d)) ?? DEFAULT_CALENDAR.days,
    hours: s?.businessHours?.hours
      ? (parseHours(s.businessHours.hours) as BusinessCalendar['hours'])
      : DEFAULT_CALENDAR.hours,
    holidays: s?.businessHours?.holidays ?? [],
  };
  const each = <T>(f: (sev: Severity) => T): Record<Severity, T> =>
    Object.fromEntries(SEVERITIES.map((sev) => [sev, f(sev)])) as Record<Severity, T>;
  const who = (w: string | string[]): LevelWho =>
    Array.isArray(w) ? { people: w } : { oncall: w === 'oncall.primary' ? 'primary' : 'secondary' };
  return {
    severityLabels: s?.severityLabels ?? DEFAULT_POLICY.severityLabels,
    calendar,
    response: each((sev) => {
      const d = DEFAULT_POLICY.response[sev];
      const r = s?.response?.[sev];
      return {
        acknowledge: r?.acknowledge ? win(r.acknowledge) : d.acknowledge,
        firstResponse: r?.firstResponse ? win(r.firstResponse) : d.firstResponse,
        escalateAfter: r?.escalateAfter ? win(r.escalateAfter) : d.escalateAfter,
      };
    }),
    backupAfterMs: s?.backupAfter ? ms(s.backupAfter) : DEFAULT_POLICY.backupAfterMs,
    levels: s?.escalation?.levels?.map((l) => ({ name: l.name, who: who(l.who) })) ?? DEFAULT_POLICY.levels,
    levelAfter: s?.escalation?.after
      ? Object.fromEntries(
          Object.entries(s.escalation.after).map(([sev, byLevel]) => [
            sev,
            Object.fromEntries(Object.entries(byLevel ?? {}).map(([l, d]) => [l, ms(d)])),
          ]),
        )
      : DEFAULT_POLICY.levelAfter,
    levelOn: DEFAULT_POLICY.levelOn,
    cadence: each((sev) => {
      const d = DEFAULT_POLICY.cadence[sev];
      const c = s?.communication?.[sev];
      const statusPageMs = c?.statusPage ? ms(c.statusPage) : d.statusPageMs;
      const statusPageWithinMs = c?.statusPageWithin ? ms(c.statusPageWithin) : d.statusPageWithinMs;
      return {
        stakeholdersMs: c?.stakeholders ? ms(c.stakeholders) : d.stakeholdersMs,
        ...(statusPageMs !== undefined ? { statusPageMs } : {}),
        ...(statusPageWithinMs !== undefined ? { statusPageWithinMs } : {}),
      };
    }),
    postmortemDueMs: Object.fromEntries(
      SEVERITIES.flatMap((sev) => {
        const p = s?.postmortem?.[sev];
        if (p === 'optional') return [];
        const due = p ? ms(p.due) : DEFAULT_POLICY.postmortemDueMs[sev];
        return due === undefined ? [] : [[sev, due]];
      }),
    ),
    reportWithinMs: s?.reportWithin ? ms(s.reportWithin) : DEFAULT_POLICY.reportWithinMs,
  };
}

/** Where incidents send what they send, and their windows (the rest of `incidents:`). */
export interface IncidentSetup {
  channels: { page: string[]; stakeholders?: string; statusPage?: string; postmortem?: string };
  monitorMs: number;
  triageReminderMs: number;
}

export function incidentSetupOf(s: IncidentsSection | undefined): IncidentSetup {
  const c = s?.channels;
  return {
    channels: {
      page: c?.page ?? [],
      ...(c?.stakeholders ? { stakeholders: c.stakeholders } : {}),
      ...(c?.statusPage ? { statusPage: c.statusPage } : {}),
      ...(c?.postmortem ? { postmortem: c.postmortem } : {}),
    },
    monitorMs: s?.monitor ? ms(s.monitor) : 30 * 60_000,
    triageReminderMs: s?.triageReminder ? ms(s.triageReminder) : 5 * 60_000,
  };
}
