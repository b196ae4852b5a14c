/**
 * Emergency starts need their own permission, per runbook: an emergency skips approvals until
 * after the change, so the operator role alone is not enough. The runbook names who may
 * (`emergency.requesters`: identities and groups); a runbook that names nobody cannot be started
 * as an emergency. The workflow trusts the signed `emergency` flag, so this is where it is decided.
 */
import type { AppConfig } from '../config/load';
import { emergencyRequestersFor } from '../runbooks/approvers';
import { checkIdentity } from '../shared/identity';
import type { RunbookDefinition } from '../shared/model';
import { RunError } from './errors';

/** Throws RunError `forbidden` (field `emergency`) unless `requestedBy` may start the runbook as an emergency. */
export function checkEmergencyStart(
  runbook: Pick<RunbookDefinition, 'id' | 'emergency'>,
  config: Pick<AppConfig, 'approverGroups'>,
  requestedBy: string,
): void {
  let allowed: string[] | undefined;
  try {
    allowed = emergencyRequestersFor(runbook, config.approverGroups);
  } catch (err) {
    throw new RunError('invalid', (err as Error).message, 'emergency');
  }
  if (!allowed)
    throw new RunError(
      'forbidden',
      `runbook '${runbook.id}' cannot be started as an emergency: it declares no emergency.requesters`,
      'emergency',
    );
  // Compared in canonical form: the token's identity is, and so are the runbook's and the groups'.
  const who = checkIdentity(requestedBy);
  if ('error' in who || !allowed.includes(who.identity))
    throw new RunError(
      'forbidden',
      `${requestedBy} may not start '${runbook.id}' as an emergency (emergency.requesters: ${(runbook.emergency?.requesters ?? []).join(', ')})`,
      'emergency',
    );
}
