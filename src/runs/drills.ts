/**
 * Chaos drills for people (the API, the CLI): the experiments loaded, a drill of one started by
 * the caller (through the run service, so it is signed like any start), and a drill's report
 * read from the run itself (its `drillReport` query), as JSON, Markdown or its timeline picture.
 */
import type { Client } from '@temporalio/client';
import { CHAOS_DRILL_WORKFLOW } from '../shared/constants';
import { drillReportQuery, type DrillReport } from '../shared/drill';
import { drillMarkdown } from '../shared/drill-report';
import { drillSvg } from '../shared/drill-svg';
import type { ExperimentDefinition } from '../shared/experiment';
import { RunError } from './errors';
import type { RunService, StartedRun } from './service';

export interface DrillRunReport {
  workflowId: string;
  status: string;
  /** Null when no worker answered the query. */
  report: DrillReport | null;
  markdown?: string;
  svg?: string;
}

export function createDrillService(deps: {
  runs: RunService;
  client: Client;
  experiments: () => ReadonlyMap<string, ExperimentDefinition>;
  /** Where each experiment came from, and the files that did not load. */
  files?: () => ReadonlyMap<string, string>;
}) {
  const { runs, client } = deps;

  function experiments() {
    return [...deps.experiments().values()].map((x) => ({
      id: x.id,
      title: x.title,
      version: x.version,
      namespace: x.budget.namespace,
      tags: x.tags,
      approval: x.approval.required,
      faults: x.method.map((m) => ({ name: m.name, kind: m.kind, action: m.action })),
      probes: x.probes.map((p) => ({ name: p.name, kind: p.kind })),
      ...(deps.files?.().get(x.id) ? { file: deps.files().get(x.id) } : {}),
    }));
  }

  function start(id: string, who: { actor: string; via: 'api' | 'cli'; reason?: string }): Promise<StartedRun> {
    return runs.start({
      kind: 'chaos-drill',
      target: id,
      params: {},
      ...(who.reason ? { reason: who.reason } : {}),
      trigger: { source: who.via, requestedBy: who.actor },
    });
  }

  async function report(workflowId: string): Promise<DrillRunReport> {
    return runs.call(async () => {
      const h = client.workflow.getHandle(workflowId);
      const d = await h.describe();
      if (d.type !== CHAOS_DRILL_WORKFLOW) throw new RunError('not_found', `no chaos drill '${workflowId}'`);
      let r: DrillReport | null = null;
      try {
        r = await client.connection.withDeadline(Date.now() + 5000, () => h.query(drillReportQuery));
      } catch {
        r = null;
      }
      return {
        workflowId,
        status: d.status.name,
        report: r,
        ...(r ? { markdown: drillMarkdown(r), svg: drillSvg(r) } : {}),
      };
    }, `no run '${workflowId}'`);
  }

  return { experiments, start, report };
}

export type DrillService = ReturnType<typeof createDrillService>;
