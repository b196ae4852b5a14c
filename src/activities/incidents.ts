/**
 * What an incident asks the worker: who is on call at the moment of a page, from the
 * configuration loaded now (an override added mid-incident counts), so the workflow's history
 * records the answer and replays it. Not a catalog action: no runbook names it.
 */
import { onCallAt, type OnCallConfig } from '../shared/oncall';

export interface OnCallInput {
  role: 'primary' | 'secondary';
  /** The page's moment (workflow time). */
  atMs: number;
}

export interface OnCallResult {
  who?: string;
  rotation?: string;
}

export function createIncidentActivities(deps: { oncall?: () => OnCallConfig }) {
  async function incidentOnCall(input: OnCallInput): Promise<OnCallResult> {
    const now = onCallAt(deps.oncall?.() ?? { rotations: [], overrides: [] }, input.atMs);
    const who = now[input.role];
    return { ...(who ? { who } : {}), ...(now.rotation ? { rotation: now.rotation } : {}) };
  }
  return { incidentOnCall };
}
