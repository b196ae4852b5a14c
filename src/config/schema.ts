/** The configuration file (YAML), validated at start. Secrets are referenced, never inlined. */
import { z } from 'zod';

export const ROLES = ['viewer', 'operator', 'approver', 'admin'] as const;
export type Role = (typeof ROLES)[number];

const tokenSource = z
  .object({
    identity: z.string().min(1),
    roles: z.array(z.enum(ROLES)).min(1),
    /** Plain token: for local development only (config/dev.yaml). */
    token: z.string().min(8).optional(),
    /** Environment variable holding the token. */
    tokenEnv: z.string().optional(),
    /** File holding the token (a mounted secret). */
    tokenFile: z.string().optional(),
    /** Hex SHA-256 of the token, so the file itself holds no credential. */
    tokenSha256: z.string().regex(/^[0-9a-f]{64}$/).optional(),
  })
  .strict()
  .refine((t) => [t.token, t.tokenEnv, t.tokenFile, t.tokenSha256].filter((x) => x !== undefined).length === 1, {
    message: 'give exactly one of token, tokenEnv, tokenFile, tokenSha256',
  });

const webhookTarget = z
  .object({
    /** Development only: deliver to the API's own inbox (needs api.devInbox). */
    devInbox: z.literal(true).optional(),
    url: z.url().optional(),
    urlSecret: z.string().optional(),
    headers: z.record(z.string(), z.string()).optional(),
    secretHeaders: z.record(z.string(), z.object({ secret: z.string(), prefix: z.string().optional() }).strict()).optional(),
  })
  .strict()
  .refine((t) => [t.url, t.urlSecret, t.devInbox].filter((x) => x !== undefined).length === 1, {
    message: 'give exactly one of url, urlSecret, devInbox',
  });

export const configFile = z
  .object({
    temporal: z
      .object({
        address: z.string().optional(),
        namespace: z.string().optional(),
        taskQueue: z.string().optional(),
        uiUrl: z.url().optional(),
      })
      .strict()
      .optional(),
    api: z
      .object({
        host: z.string().optional(),
        port: z.number().int().min(0).max(65535).optional(),
        publicUrl: z.url().optional(),
        /** Development only: keep notifications sent to /v1/dev/inbox/<target> for reading. */
        devInbox: z.boolean().optional(),
      })
      .strict()
      .optional(),
    worker: z.object({ metricsPort: z.number().int().min(0).max(65535).optional() }).strict().optional(),
    runbooksDir: z.string().optional(),
    secretsDir: z.string().optional(),
    auth: z.object({ tokens: z.array(tokenSource).default([]) }).strict().optional(),
    /** Who is in each approver group a runbook names as `group:<name>`. */
    approverGroups: z.record(z.string(), z.array(z.string().min(1))).optional(),
    notify: z.object({ webhooks: z.record(z.string(), webhookTarget).default({}) }).strict().optional(),
  })
  .strict();
export type ConfigFile = z.infer<typeof configFile>;
