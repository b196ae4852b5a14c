/**
 * `oncall:` in the configuration file: rotations (seed 002: primary and secondary, one-week
 * round-robin, follow-the-sun shifts) and overrides, turned into the pure model of
 * src/shared/oncall.ts. Times are UTC; a rotation's hours may not overlap another's.
 */
import { z } from 'zod';
import { parseDuration } from '../shared/duration';
import { coversMinute, parseHours, type OnCallConfig } from '../shared/oncall';

const instant = z.iso.datetime({ offset: true, error: 'an ISO-8601 time with its offset, e.g. 2026-11-30T00:00:00Z' });
const who = z.string().min(1);

const rotation = z
  .object({
    name: z.string().regex(/^[a-z][a-z0-9-]*$/, 'lower-case letters, digits and dashes'),
    /** `HH:MM-HH:MM` UTC; `16:00-24:00` ends at midnight. @default the whole day */
    hours: z
      .string()
      .refine((h) => parseHours(h) !== undefined, 'HH:MM-HH:MM in UTC, e.g. 08:00-16:00')
      .optional(),
    /** When the first primary's turn began. */
    start: instant,
    /** @default 1w */
    turn: z
      .string()
      .refine((d) => (parseDuration(d) ?? 0) >= 3_600_000, 'a duration of at least an hour, e.g. 1w')
      .optional(),
    primary: z.array(who).min(1),
    secondary: z.array(who).min(1).optional(),
  })
  .strict();

const override = z
  .object({
    rotation: z.string().optional(),
    role: z.enum(['primary', 'secondary']),
    who,
    start: instant,
    end: instant,
  })
  .strict()
  .refine((o) => Date.parse(o.end) > Date.parse(o.start), { message: 'end must be after start', path: ['end'] });

export const oncallSection = z
  .object({
    rotations: z.array(rotation).default([]),
    overrides: z.array(override).default([]),
  })
  .strict()
  .superRefine((c, ctx) => {
    const names = new Set<string>();
    c.rotations.forEach((r, i) => {
      if (names.has(r.name))
        ctx.addIssue({ code: 'custom', path: ['rotations', i, 'name'], message: `rotation '${r.name}' twice` });
      names.add(r.name);
    });
    // Two rotations on one minute would make "who is on call" depend on their order.
    const hours = c.rotations.map((r) => parseHours(r.hours ?? '00:00-24:00'));
    const reported = new Set<number>();
    for (let m = 0; m < 1440; m++) {
      const on = hours.flatMap((h, i) => (h && coversMinute(h, m) ? [i] : []));
      const [first, second] = on;
      if (first === undefined || second === undefined || reported.has(second)) continue;
      reported.add(second);
      ctx.addIssue({
        code: 'custom',
        path: ['rotations', second, 'hours'],
        message: `overlaps rotation '${c.rotations[first]?.name}' (at ${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')} UTC)`,
      });
    }
    c.overrides.forEach((o, i) => {
      if (o.rotation !== undefined && !names.has(o.rotation))
        ctx.addIssue({
          code: 'custom',
          path: ['overrides', i, 'rotation'],
          message: `no rotation '${o.rotation}' (known: ${[...names].join(', ') || 'none'})`,
        });
    });
  });
export type OncallSection = z.infer<typeof oncallSection>;

/** The section as the pure model takes it. */
export function onCallConfigOf(section: OncallSection | undefined): OnCallConfig {
  return {
    rotations: (section?.rotations ?? []).map((r) => ({
      name: r.name,
      hours: parseHours(r.hours ?? '00:00-24:00') as { from: number; to: number },
      epochMs: Date.parse(r.start),
      turnMs: parseDuration(r.turn ?? '1w') as number,
      primary: r.primary,
      ...(r.secondary ? { secondary: r.secondary } : {}),
    })),
    overrides: (section?.overrides ?? []).map((o) => ({
      ...(o.rotation !== undefined ? { rotation: o.rotation } : {}),
      role: o.role,
      who: o.who,
      startMs: Date.parse(o.start),
      endMs: Date.parse(o.end),
    })),
  };
}
