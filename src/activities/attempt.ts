/** The running activity's attempt (1 outside an activity, as in unit tests calling it directly). */
import { Context } from '@temporalio/activity';

export function attempt(): number {
  try {
    return Context.current().info.attempt;
  } catch {
    return 1;
  }
}
