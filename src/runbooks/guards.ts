/** What an approval covers: by default the mutating steps after it, up to the next approval. */
import type { Step } from '../shared/model';
import { flattenSteps } from '../shared/steps';

/**
 * Default guards: the mutating steps after an approval, up to the next approval. Explicit guards
 * must name mutating steps that come after it.
 */
export function assignGuards(steps: Step[], report: (path: PropertyKey[], message: string) => void): void {
  const flat = flattenSteps(steps);
  flat.forEach((step, i) => {
    if (step.kind !== 'approval') return;
    const later = flat.slice(i + 1);
    if (step.guards.length === 0) {
      const next = later.findIndex((s) => s.kind === 'approval');
      step.guards = (next < 0 ? later : later.slice(0, next))
        .filter((s) => 'mutating' in s && s.mutating)
        .map((s) => s.id);
      return;
    }
    for (const id of step.guards) {
      const target = later.find((s) => s.id === id);
      if (!target || !('mutating' in target) || !target.mutating) {
        report(['steps'], `approval '${step.id}' guards '${id}', which is not a mutating step after it`);
      }
    }
  });
  // What cannot be taken back goes ahead only once someone approved it (FLUSHDB, a restore that
  // replaces a database): checked here, at load, so such a runbook never starts without one.
  // An approval whose deadline lets the run go on without a decision guards nothing of this kind.
  const guarded = new Set(flat.flatMap((s) => (s.kind === 'approval' && s.onTimeout !== 'continue' ? s.guards : [])));
  for (const s of flat) {
    if ('requiresApproval' in s && s.requiresApproval && !guarded.has(s.id))
      report(
        ['steps'],
        `step '${s.id}' (${s.action}) cannot be undone and needs an approval: put an approval step before it (or list it in one's guards; not one with onTimeout: continue)`,
      );
    // Undos run in a rollback, where nobody is asked.
    if (s.kind === 'action' && s.undo?.requiresApproval)
      report(
        ['steps'],
        `step '${s.id}': its undo (${s.undo.action}) cannot be undone and cannot run without an approval`,
      );
  }
}
