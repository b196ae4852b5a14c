/**
 * Listing workflows of one type by their search attributes, the one way runs, incidents and
 * postmortems are listed: each filter value checked (visibility queries are text, so only plain
 * values go in), the query built, pages read until the limit, and each execution's common facts
 * with the attributes asked for.
 */
import type { Client } from '@temporalio/client';
import type { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { runUrl, type AppConfig } from '../config/load';
import { RunError } from './errors';

const SAFE_VALUE = /^[A-Za-z0-9_.:@\-/]+$/;

/** A Keyword attribute's key (the SDK exports how to make one, not its type). */
type Key = ReturnType<typeof defineSearchAttributeKey<typeof SearchAttributeType.KEYWORD>>;

/** What every listed execution says, whatever its type. */
export interface ListedExecution {
  workflowId: string;
  runId: string;
  status: string;
  startTime: string;
  closeTime?: string;
  url: string;
}

/** `WorkflowType = '<type>' AND <attribute> = '<value>' ...`; a value that is not plain is a 400 naming its field. */
export function visibilityQuery(
  workflowType: string,
  filters: ReadonlyArray<readonly [field: string, key: Key, value: string | undefined]>,
  extra: string[] = [],
): string {
  const clauses = [`WorkflowType = '${workflowType}'`];
  for (const [field, key, v] of filters) {
    if (v === undefined) continue;
    if (!SAFE_VALUE.test(v)) throw new RunError('invalid', `${field} may hold letters, digits and _.:@-/ only`, field);
    clauses.push(`${key.name} = '${v}'`);
  }
  return [...clauses, ...extra].join(' AND ');
}

/** The executions a query finds, newest first, at most `limit`, each with the attributes named (those set). */
export async function listExecutions<A extends string>(
  client: Client,
  config: Pick<AppConfig, 'uiUrl' | 'namespace'>,
  query: string,
  limit: number,
  attributes: Readonly<Record<A, Key>>,
): Promise<Array<ListedExecution & Partial<Record<A, string>>>> {
  const out: Array<ListedExecution & Partial<Record<A, string>>> = [];
  for await (const wf of client.workflow.list({ query, pageSize: Math.min(limit, 100) })) {
    const sa = wf.typedSearchAttributes;
    const facts: Partial<Record<A, string>> = {};
    for (const [name, key] of Object.entries(attributes) as Array<[A, Key]>) {
      const v = sa.get(key);
      if (typeof v === 'string') facts[name] = v;
    }
    out.push({
      workflowId: wf.workflowId,
      runId: wf.runId,
      ...facts,
      status: wf.status.name,
      startTime: wf.startTime.toISOString(),
      ...(wf.closeTime ? { closeTime: wf.closeTime.toISOString() } : {}),
      url: runUrl(config, wf.workflowId),
    });
    if (out.length >= limit) break;
  }
  return out;
}
