import type { ParamValue, RunbookDefinition } from '../shared/model';
import { render, toText } from '../shared/template';

/** The service a run is about, from the runbook's `service` template and the params. */
export function renderServiceName(
  runbook: Pick<RunbookDefinition, 'service'>,
  params: Record<string, ParamValue>,
): string {
  if (!runbook.service) return '';
  const text = toText(render(runbook.service, { params }));
  return text.startsWith('<') ? '' : text;
}
