/** Body and query validation that answers 400 with a JSON error naming the field. */
import type { FastifyReply } from 'fastify';
import type { z } from 'zod';
import { formatPath } from '../files/problems';

export interface ErrorBody {
  error: string;
  field?: string;
}

/** Parses with a zod schema; on failure sends 400 and returns undefined. */
export async function parseOr400<S extends z.ZodType>(
  schema: S,
  value: unknown,
  reply: FastifyReply,
  base = 'body',
): Promise<z.infer<S> | undefined> {
  const r = schema.safeParse(value ?? {});
  if (r.success) return r.data;
  const issue = r.error.issues[0] as z.core.$ZodIssue;
  const field = issue.path.length ? `${formatPath(issue.path)}` : base;
  await reply.code(400).send({ error: `${field}: ${issue.message}`, field } satisfies ErrorBody);
  return undefined;
}
