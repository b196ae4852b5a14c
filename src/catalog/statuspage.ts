/**
 * `notify:statuspage:incident`: open or update an incident on an Atlassian Statuspage-compatible
 * page (REST v1) through a `kind: statuspage` target. One incident per key (the run's, by
 * default), found again through its metadata, so a retried or repeated step never opens a second.
 */
import { z } from 'zod';
import { NOTIFY_NON_RETRYABLE } from './notify';
import type { CatalogEntry } from './types';

/** The realtime statuses (the status templates are written for these four). */
export const STATUSPAGE_STATUSES = ['investigating', 'identified', 'monitoring', 'resolved'] as const;
export type StatuspageStatus = (typeof STATUSPAGE_STATUSES)[number];

export const STATUSPAGE_COMPONENT_STATUSES = [
  'operational',
  'under_maintenance',
  'degraded_performance',
  'partial_outage',
  'major_outage',
] as const;
export type StatuspageComponentStatus = (typeof STATUSPAGE_COMPONENT_STATUSES)[number];

export const notifyStatuspageIncidentInput = z
  .object({
    target: z.string().min(1).describe('A `kind: statuspage` target named in configuration (notify.targets).'),
    key: z
      .string()
      .min(1)
      .max(255)
      .optional()
      .describe(
        "Which incident: the one whose metadata carries this key. Default: the run's workflow id, so one run is one incident.",
      ),
    name: z.string().min(1).max(255).optional().describe("The incident's title; required to create one."),
    status: z.enum(STATUSPAGE_STATUSES).default('investigating'),
    body: z
      .string()
      .min(1)
      .max(25_000)
      .optional()
      .describe("The update's text. Default: the status template (notify.templates.status.<status>)."),
    issue: z.string().optional().describe('`${{ issue }}` in the status templates (investigating).'),
    rootCause: z.string().optional().describe('`${{ rootCause }}` in the status templates (identified).'),
    impact: z.enum(['none', 'minor', 'major', 'critical']).optional().describe("Statuspage's impact_override."),
    components: z
      .record(z.string().min(1), z.enum(STATUSPAGE_COMPONENT_STATUSES))
      .optional()
      .describe("Component names (the target's components) or ids, each with its status."),
    deliverNotifications: z.boolean().default(true).describe("Whether Statuspage tells the page's subscribers."),
  })
  .strict();
export type NotifyStatuspageIncidentInput = z.infer<typeof notifyStatuspageIncidentInput>;

export const notifyStatuspageIncidentOutput = z.object({
  target: z.string(),
  incidentId: z.string(),
  status: z.enum(STATUSPAGE_STATUSES),
  /** A new incident was opened (else the key's unresolved incident was found). */
  created: z.boolean(),
  /** A request changed the page (false: it already showed what was asked). */
  changed: z.boolean(),
  delivered: z.boolean(),
});
export type NotifyStatuspageIncidentResult = z.infer<typeof notifyStatuspageIncidentOutput>;

export const notifyStatuspageIncident: CatalogEntry<
  typeof notifyStatuspageIncidentInput,
  typeof notifyStatuspageIncidentOutput,
  'notify:statuspage:incident'
> = {
  id: 'notify:statuspage:incident',
  description:
    'Open or update an incident on a status page (Atlassian Statuspage REST v1) through a configured statuspage target: ' +
    "status, update text (the status template by default) and component statuses. The incident is the key's (the run's " +
    'by default), found again among the unresolved ones, so repeating a step adds nothing; the API key is a named secret ' +
    "bound to the target's host.",
  input: notifyStatuspageIncidentInput,
  output: notifyStatuspageIncidentOutput,
  // As notify:webhook:post: the status page is communication, no system we manage changes; but a
  // dry run tells no customer.
  mutating: false,
  skipInDryRun: true,
  nonRetryable: [...NOTIFY_NON_RETRYABLE],
  describe: (i) =>
    `status page ${i.target}: ${i.status} ${i.key ?? '(the run)'}${i.name ? `: ${i.name}` : ''}` +
    (i.components
      ? ` (${Object.entries(i.components)
          .map(([c, s]) => `${c} ${s}`)
          .join(', ')})`
      : ''),
  example: {
    with: {
      target: 'status-page',
      name: 'Checkout errors',
      status: 'investigating',
      issue: 'errors at checkout',
      impact: 'major',
      components: { checkout: 'partial_outage' },
    },
    note: 'later steps with `status: identified`, `monitoring` and `resolved` update the same incident: the key defaults to the run',
  },
};
