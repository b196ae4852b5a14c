/** What every notify sender shares: its dependencies, the target by name, and answers it cannot send. */
import { FAILURE } from '../../shared/failures';
import type { NotifyTarget } from '../../config/load';
import type { EgressGuard } from '../egress';
import { permanent } from '../errors';
import type { SecretResolver } from '../secrets';

export interface NotifyDeps {
  fetch: typeof globalThis.fetch;
  secrets: SecretResolver;
  egress: EgressGuard;
  targets: Readonly<Record<string, NotifyTarget>>;
  /** Link to the run in the Web UI, for the message. */
  runUrl: (workflowId: string) => string;
}

/** The target configured under `name`, or a permanent failure listing the known ones. */
export function targetNamed(targets: Readonly<Record<string, NotifyTarget>>, name: string): NotifyTarget {
  const t = Object.prototype.hasOwnProperty.call(targets, name) ? targets[name] : undefined;
  if (!t)
    throw permanent(
      `no notify target '${name}' in configuration (known: ${Object.keys(targets).join(', ') || 'none'})`,
      FAILURE.UnknownTarget,
    );
  return t;
}

/** Kinds the configuration accepts before their senders exist: said plainly, never retried. */
export function notYetSupported(name: string, kind: string): never {
  throw permanent(
    `notify target '${name}' is of kind ${kind}, which cannot send yet (not yet supported); ` +
      'in development give it devInbox: true, or use a webhook or pagerduty target',
    FAILURE.TargetKindUnsupported,
  );
}

/** A channel action names a target of another kind. */
export function notThatKind(name: string, kind: string, action: string, wanted: string): never {
  throw permanent(
    `notify target '${name}' is of kind ${kind}: ${action} sends to kind ${wanted} only (notify:webhook:post sends to any kind)`,
    FAILURE.TargetKindUnsupported,
  );
}
