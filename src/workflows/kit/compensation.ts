/**
 * Rollback as explicit data (the saga pattern): after each change, push its undo; when the
 * workflow fails, aborts or is cancelled, the undos run newest first, in a scope cancellation
 * cannot interrupt. One undo failing does not stop the others (each records its own outcome).
 */
import { CancellationScope } from '@temporalio/workflow';

export class Compensations {
  private readonly stack: Array<{ label: string; undo: () => Promise<void> }> = [];

  /** `rollingBack` is told once a rollback begins (the runbook shows phase rolling_back). */
  constructor(private readonly rollingBack: () => void = () => undefined) {}

  push(label: string, undo: () => Promise<void>): void {
    this.stack.push({ label, undo });
  }

  /** Forget the undos: the changes are final. */
  clear(): void {
    this.stack.length = 0;
  }

  get size(): number {
    return this.stack.length;
  }

  /** Runs every pending undo, newest first; returns the labels of those that threw. */
  async rollback(): Promise<string[]> {
    if (this.stack.length === 0) return [];
    this.rollingBack();
    const failed: string[] = [];
    await CancellationScope.nonCancellable(async () => {
      while (this.stack.length > 0) {
        const { label, undo } = this.stack.pop() as { label: string; undo: () => Promise<void> };
        try {
          await undo();
        } catch {
          failed.push(label);
        }
      }
    });
    return failed;
  }
}
