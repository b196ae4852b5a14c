/**
 * `failoverPlans:` in the configuration file: how a database fails over to its standby, in the
 * seeds' four phases (assessment; failover: traffic, promotion, deploy; validation: smoke tests
 * and data integrity; communication). The pluggable parts (switching traffic, fencing,
 * deploying to the standby site) are runbooks of the library, started as child runs; the plan
 * is the target of the `dr-failover` workflow kind.
 */
import { z } from 'zod';
import { parseDuration } from '../shared/duration';
import { storePrefix, TIERS } from './backup-plans-schema';

const name = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,39}$/, 'lower-case letters, digits and dashes, starting with a letter');
const duration = z.string().refine((d) => parseDuration(d) !== undefined, 'a duration such as 90s, 15m, 4h or 7d');
const runbookRef = z
  .object({
    runbook: z.string().regex(/^[a-z][a-z0-9-]*$/, 'a runbook id'),
    params: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({}),
  })
  .strict();
const query = z
  .object({
    name: z.string().regex(/^[a-z][a-z0-9-]{0,39}$/, 'lower-case letters, digits and dashes'),
    sql: z.string().min(1).max(10_000),
  })
  .strict();

export const failoverPlanConfig = z
  .object({
    /** The primary (a name under `databases:`), read in the assessment when it answers. */
    primary: name,
    /** The standby promoted (a name under `databases:`). */
    standby: name,
    /** The tier whose RTO and RPO the report compares with. @default tier1 */
    tier: z.enum(TIERS).default('tier1'),
    /** Who may approve the irreversible part (identities, `group:<name>`). @default any approver */
    approvers: z.array(z.string().min(1)).min(1).optional(),
    /** No decision in this time: the failover stops before anything changed. @default 30m */
    approvalTimeout: duration.default('30m'),
    /**
     * How the standby replicates: `sync` (the primary's `synchronous_standby_names` names it, so
     * every acknowledged commit is on it) lets the report count a promotion as losing nothing
     * when the primary is gone; `async` bounds the loss by the standby's replay delay. @default async
     */
    replication: z.enum(['async', 'sync']).default('async'),
    /** How long promotion may take. @default 60s */
    promoteWait: duration.default('60s'),
    /** The runbook that moves traffic to the standby (DNS, a load balancer's API, a service patch), and the one that moves it back. */
    traffic: runbookRef.extend({ undo: runbookRef.optional() }).strict().optional(),
    /** Runbooks that deploy to the standby site once it is promoted (Kubernetes actions), in order. */
    deploy: z.array(runbookRef).max(10).default([]),
    /** Queries the promoted standby must answer (the application's smoke test). */
    smoke: z
      .array(
        query.extend({
          expectRows: z
            .object({ min: z.number().int().min(0).optional(), max: z.number().int().min(0).optional() })
            .strict()
            .optional(),
        }),
      )
      .max(20)
      .default([]),
    /**
     * Data integrity: queries answering one number (`SELECT count(*) FROM orders`), read on the
     * primary in the assessment when it answers and on the promoted standby after: the difference
     * is the rows lost.
     */
    integrity: z.array(query).max(20).default([]),
    /** Where the phases are announced (a notify target: Slack, email, a status page). */
    notify: z.string().min(1).optional(),
    /**
     * Restore from a backup instead of promoting a standby, for a site without a streaming
     * standby, one of two ways. `backupPlan`: the newest logical backup of that plan is restored
     * onto `standby` (a database entry whose `database` is the name it gets, replaced if there).
     * `pitr`: the primary's base backup and archived WAL are recovered to the last safe point
     * (the end of the archive, or the time a failover is started with) into a new cluster on the
     * worker's host, serving on the port of `standby`'s entry (docs/dr-failover.md).
     */
    restore: z
      .object({
        backupPlan: name.optional(),
        pitr: z
          .object({
            /** The backup store the primary's WAL is archived into (`backupStores.<name>`). */
            store: name,
            /** Where in the store. @default pitr/<primary>/ */
            prefix: storePrefix.optional(),
            /** The new cluster's name, its folder under `postgres.workDir`/pitr/. @default dr-<plan> */
            cluster: name.optional(),
            /** The address it listens on (the worker host's, for the application to reach). @default 127.0.0.1 */
            listen: z.ipv4().default('127.0.0.1'),
          })
          .strict()
          .optional(),
        /** pg_restore -j (logical restores). @default 4 */
        jobs: z.number().int().min(1).max(16).default(4),
        /** A restore that runs longer is stopped. @default 4h */
        timeout: duration.default('4h'),
      })
      .strict()
      .refine((r) => (r.backupPlan === undefined) !== (r.pitr === undefined), {
        message: 'exactly one of backupPlan (a logical backup) or pitr (base backup and WAL archive)',
      })
      .optional(),
    /**
     * Drill mode: the same procedure against a standby environment (its own primary, standby,
     * traffic and deploy runbooks), then `reset` runbooks that restore its starting state; each
     * drill's report is kept in `archive.store` and compared with the ones before.
     */
    drill: z
      .object({
        primary: name,
        standby: name,
        traffic: runbookRef.extend({ undo: runbookRef.optional() }).strict().optional(),
        deploy: z.array(runbookRef).max(10).default([]),
        reset: z.array(runbookRef).min(1).max(10),
        archive: z.object({ store: name }).strict().optional(),
      })
      .strict()
      .optional(),
  })
  .strict();
export type FailoverPlanConfig = z.infer<typeof failoverPlanConfig>;

export const failoverPlansSection = z.record(name, failoverPlanConfig);
