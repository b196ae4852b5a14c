/** `dr:report:archive`: a failover drill's report kept in a backup store, and the earlier ones read back to compare. */
import { z } from 'zod';
import { FAILURE } from '../shared/failures';
import type { CatalogEntry } from './types';

const archiveInput = z
  .object({
    store: z
      .string()
      .regex(/^[a-z][a-z0-9-]*$/, 'a backup store name from configuration (backupStores.<name>)')
      .describe('The backup store the drill reports are kept in.'),
    plan: z.string().regex(/^[a-z][a-z0-9-]{0,39}$/, 'a failover plan name'),
    report: z.record(z.string(), z.unknown()).describe('The report as JSON (the failover workflow’s).'),
    markdown: z.string().max(200_000),
    svg: z.string().max(500_000),
    previous: z.number().int().min(0).max(50).default(10).describe('How many earlier drills to read back.'),
  })
  .strict();
const summary = z.object({
  key: z.string(),
  startedAt: z.string(),
  outcome: z.string(),
  rtoSeconds: z.number().nullable(),
  rpoSeconds: z.number().nullable(),
  rpoRows: z.number().nullable(),
});
const archiveOutput = z.object({
  changed: z.boolean().describe('false when this drill’s report was already kept (a retry).'),
  key: z.string().describe('Its folder in the store: drills/<plan>/<started>-<workflow id>/.'),
  previous: z.array(summary).describe('The earlier drills of the plan, newest first.'),
});
export type DrReportArchiveInput = z.infer<typeof archiveInput>;
export type DrReportArchiveResult = z.infer<typeof archiveOutput>;
export type DrillSummary = z.infer<typeof summary>;

export const drReportArchive: CatalogEntry<typeof archiveInput, typeof archiveOutput, 'dr:report:archive'> = {
  id: 'dr:report:archive',
  description:
    'Keep a failover drill’s report (JSON, Markdown, the SVG timeline) in a backup store under ' +
    '`drills/<plan>/<started>-<workflow id>/`, each object with its sha256, and read the earlier drills’ reports ' +
    'back (their RTO, RPO and outcome, newest first) so each drill is compared with the ones before. A retry ' +
    'finds its own report (changed: false).',
  input: archiveInput,
  output: archiveOutput,
  mutating: true,
  nonRetryable: [FAILURE.InvalidInput, FAILURE.UnknownTarget, FAILURE.IntegrityFailed],
  describe: (i) => `keep the ${i.plan} drill report in store ${i.store}`,
  example: {
    with: { store: 'backups', plan: 'orders', report: { outcome: 'succeeded' }, markdown: '# drill', svg: '<svg/>' },
    note: 'The failover workflow calls it at the end of a drill; a runbook rarely needs it.',
  },
};
