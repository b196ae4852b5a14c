/**
 * What the kit needs of a workflow's own record, and no more: a way to show a wait in the phase,
 * and a way to say the status changed. The runbook interpreter's RunState implements it; a
 * hand-written workflow can implement it in a few lines (test/workflows/kit-workflow.ts).
 */
import type { WaitKind } from './phase';

export interface Recorder {
  /** A wait begins (the phase shows it while it is in force); the returned function ends it. */
  wait(kind: WaitKind): () => void;
  /** Something the status shows changed: refresh what the Web UI shows. */
  publish(): void;
}
