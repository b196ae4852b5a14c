/**
 * `tickets:` in the configuration file: where postmortems and their action items are tracked.
 * GitHub Issues (REST, a token by secret name) and Jira Cloud (REST v3, an email and an API
 * token by secret name); each target's secrets bound to its host by `secrets.<name>.sendTo`.
 */
import { z } from 'zod';

const secretName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'a secret name: letters, digits, . _ -');

const github = z
  .object({
    kind: z.literal('github'),
    /** `owner/name`. */
    repo: z.string().regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, 'owner/name'),
    /** The secret holding a token with issues write access. */
    tokenSecret: secretName,
    /** @default https://api.github.com (GitHub Enterprise: https://<host>/api/v3) */
    baseUrl: z.url().optional(),
    /** Labels every issue gets. @default [postmortem] */
    labels: z.array(z.string().min(1)).optional(),
  })
  .strict();

const jira = z
  .object({
    kind: z.literal('jira'),
    /** e.g. https://example.atlassian.net */
    baseUrl: z.url(),
    /** The project key, e.g. OPS. */
    project: z.string().regex(/^[A-Z][A-Z0-9_]+$/, 'a Jira project key such as OPS'),
    /** @default Task */
    issueType: z.string().min(1).optional(),
    /** The secret holding the account's email (Basic auth is email:token). */
    emailSecret: secretName,
    tokenSecret: secretName,
    /** The transition to close an item by name. @default Done */
    doneTransition: z.string().min(1).optional(),
  })
  .strict();

export const ticketTarget = z.discriminatedUnion('kind', [github, jira], {
  error: (iss) =>
    iss.code === 'invalid_union' ? 'one of github, jira (every ticket target says its kind)' : undefined,
});
export type TicketTargetConfig = z.infer<typeof ticketTarget>;

export const ticketsSection = z
  .object({
    targets: z.record(z.string(), ticketTarget).default({}),
    /** Inbound webhooks that close action items: the secrets their senders sign with. */
    webhooks: z
      .object({
        /** GitHub `issues` events, `X-Hub-Signature-256`. */
        github: z
          .object({ secretEnv: z.string().min(1) })
          .strict()
          .optional(),
        /** Jira admin webhooks, `X-Hub-Signature` (sha256). */
        jira: z
          .object({ secretEnv: z.string().min(1) })
          .strict()
          .optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

/** A ticket target as the worker uses it, defaults applied. */
export type TicketTarget =
  | { kind: 'github'; repo: string; tokenSecret: string; baseUrl: string; labels: string[] }
  | {
      kind: 'jira';
      baseUrl: string;
      project: string;
      issueType: string;
      emailSecret: string;
      tokenSecret: string;
      doneTransition: string;
    };

export function ticketTargetsOf(s: z.infer<typeof ticketsSection> | undefined): Record<string, TicketTarget> {
  const trim = (u: string) => u.replace(/\/+$/, '');
  return Object.fromEntries(
    Object.entries(s?.targets ?? {}).map(([name, t]): [string, TicketTarget] => [
      name,
      t.kind === 'github'
        ? {
            kind: 'github',
            repo: t.repo,
            tokenSecret: t.tokenSecret,
            baseUrl: trim(t.baseUrl ?? 'https://api.github.com'),
            labels: t.labels ?? ['postmortem'],
          }
        : {
            kind: 'jira',
            baseUrl: trim(t.baseUrl),
            project: t.project,
            issueType: t.issueType ?? 'Task',
            emailSecret: t.emailSecret,
            tokenSecret: t.tokenSecret,
            doneTransition: t.doneTransition ?? 'Done',
          },
    ]),
  );
}
