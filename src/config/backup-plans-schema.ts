/**
 * `backupPlans:` in the configuration file: what is backed up, where, how often, how long it is
 * kept and how its restores are proved; and `recoveryObjectives:`, the RTO and RPO of each tier
 * (the seeds' numbers by default). A plan is the target of the `backup` and
 * `restore-verification` workflow kinds; its `schedule` and `verify.schedule` become Temporal
 * Schedules, synced with the runbooks' own (src/schedules/plan-schedules.ts).
 */
import { z } from 'zod';

const name = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,39}$/, 'lower-case letters, digits and dashes, starting with a letter');
import { parseDuration } from '../shared/duration';

/** Where in a backup store: path segments each ending in `/`. */
export const storePrefix = z
  .string()
  .regex(/^([A-Za-z0-9][A-Za-z0-9._=+-]*\/)*$/, 'path segments each ending in /')
  .max(200);

const duration = z.string().refine((d) => parseDuration(d) !== undefined, 'a duration such as 90s, 15m, 4h or 7d');
const pgName = z.string().regex(/^[a-z_][a-z0-9_]{0,47}$/, 'a plain PostgreSQL name (lower case, digits, _)');

export const TIERS = ['tier1', 'tier2', 'tier3'] as const;
export type Tier = (typeof TIERS)[number];

const objective = z.object({ rto: duration, rpo: duration }).strict();
/** The seeds (docs: disaster recovery): tier 1 RTO 1 h / RPO 5 min, tier 2 4 h / 15 min, tier 3 24 h / 1 h. */
export const DEFAULT_OBJECTIVES: Record<Tier, { rto: string; rpo: string }> = {
  tier1: { rto: '1h', rpo: '5m' },
  tier2: { rto: '4h', rpo: '15m' },
  tier3: { rto: '24h', rpo: '1h' },
};
export const recoveryObjectivesSection = z
  .object({ tier1: objective.optional(), tier2: objective.optional(), tier3: objective.optional() })
  .strict();

/** A plan's schedule: when its runs start, as a runbook's `schedules:` entry says it (cron or every). */
const planSchedule = z
  .object({
    cron: z
      .string()
      .regex(/^\S+(\s+\S+){4}$/, 'five fields: minute hour day-of-month month day-of-week')
      .optional(),
    every: duration.optional(),
    timezone: z
      .string()
      .default('UTC')
      .refine((tz) => {
        try {
          new Intl.DateTimeFormat('en-US', { timeZone: tz });
          return true;
        } catch {
          return false;
        }
      }, 'an IANA time zone such as Europe/Berlin'),
    jitter: duration.optional(),
    overlap: z
      .enum(['skip', 'buffer-one', 'buffer-all', 'cancel-other', 'terminate-other', 'allow-all'])
      .default('skip'),
    catchupWindow: duration.default('10m'),
    paused: z.boolean().default(false),
    note: z.string().max(500).optional(),
  })
  .strict()
  .refine((v) => (v.cron === undefined) !== (v.every === undefined), { message: 'give exactly one of cron, every' });
export type PlanSchedule = z.infer<typeof planSchedule>;

const smokeQuery = z
  .object({
    name: z.string().regex(/^[a-z][a-z0-9-]{0,39}$/, 'lower-case letters, digits and dashes'),
    sql: z.string().min(1).max(10_000),
    expectRows: z
      .object({ min: z.number().int().min(0).optional(), max: z.number().int().min(0).optional() })
      .strict()
      .optional(),
  })
  .strict();

export const backupPlanConfig = z
  .object({
    /** The database backed up: its name under `databases:`. */
    database: name,
    /** Where the backups go: a store under `backupStores:`. */
    store: name,
    /** Where in the store. @default postgres/<database>/ */
    prefix: storePrefix.optional(),
    /** The tier whose RTO and RPO the runs are measured against. @default tier2 */
    tier: z.enum(TIERS).default('tier2'),
    /** Sum every row into the manifest (false: row counts only, for very large databases). @default true */
    checksums: z.boolean().default(true),
    compress: z.number().int().min(0).max(9).optional(),
    /** When backups run (cron, calendar or every, as a runbook's schedule). Absent: only when started. */
    schedule: planSchedule.optional(),
    /** A backup that runs longer is stopped and reported. @default 2h */
    timeout: duration.default('2h'),
    /** Retention after each backup (pg:backup:prune); the seeds' numbers by default. */
    retention: z
      .object({
        keepAllDays: z.number().min(0).max(3650).default(7),
        keepDailyDays: z.number().min(0).max(3650).default(30),
        keepLast: z.number().int().min(1).max(1000).default(1),
        incompleteAfterHours: z.number().min(1).max(720).default(24),
      })
      .strict()
      .prefault({}),
    /** A notify target told when a backup or a verification fails or misses an objective. */
    notify: z.string().min(1).optional(),
    /**
     * What the RPO available now is read from: the age of the newest backup, or (with WAL
     * archived continuously) the seconds since the last archived WAL segment. @default backups
     */
    rpoFrom: z.enum(['backups', 'wal-archive']).default('backups'),
    /** Restore verification: the newest backup and a random sample of older ones, into scratch databases. */
    verify: z
      .object({
        schedule: planSchedule.optional(),
        /** The configured database whose server receives the scratch restores. @default the plan's database */
        on: name.optional(),
        /** How many older backups to restore besides the newest, chosen at random. @default 1 */
        olderSample: z.number().int().min(0).max(10).default(1),
        /** Queries every scratch copy must answer (each READ ONLY, with a statement timeout). */
        smoke: z.array(smokeQuery).max(20).default([]),
        /** pg_restore -j. @default 2 */
        jobs: z.number().int().min(1).max(16).default(2),
        /** One restore that runs longer is stopped and reported. @default 2h */
        timeout: duration.default('2h'),
        /** The scratch databases' names start with this. @default verify */
        scratchPrefix: pgName.default('verify'),
      })
      .strict()
      .prefault({}),
  })
  .strict();
export type BackupPlanConfig = z.infer<typeof backupPlanConfig>;

export const backupPlansSection = z.record(name, backupPlanConfig);
export type BackupPlansConfig = z.infer<typeof backupPlansSection>;
