/** The `runbook` command tree. Usage errors throw (exitOverride) so main decides the exit code. */
import { Command, Option } from 'commander';
import { registerAlertCommands } from './commands/alerts';
import { registerAuditCommands } from './commands/audit';
import { registerScheduleCommands } from './commands/schedules';
import { registerApprovalCommands, registerStepDecisionCommands } from './commands/approvals';
import { registerFreezeCommands } from './commands/freezes';
import { registerRecoveryCommands } from './commands/recovery';
import { registerOncallCommands } from './commands/oncall';
import { registerRunbookCommands } from './commands/runbooks';
import { registerRunCommands } from './commands/runs';
import { registerTaskCommands } from './commands/tasks';
import { registerIncidentCommands } from './commands/incidents';
import { registerPostmortemCommands } from './commands/postmortems';
import { contextFactory } from './context';
import type { Io } from './io';

export const DEFAULT_API = 'http://127.0.0.1:8080';

export function buildProgram(io: Io, fetchImpl?: typeof fetch): Command {
  const program = new Command('runbook')
    .description('Run and follow durable runbooks through the durable-runbooks HTTP API.')
    .addOption(new Option('--api <url>', 'API base URL').env('RUNBOOK_API').default(DEFAULT_API))
    .addOption(
      new Option('--token <token>', 'API bearer token (config/dev.yaml lists dev tokens)').env('RUNBOOK_TOKEN'),
    )
    .option('--json', 'print the raw JSON answer instead of text')
    // Set before adding commands: subcommands inherit these settings.
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.replace(/\n$/, '')), writeErr: (s) => io.err(s.replace(/\n$/, '')) })
    .showHelpAfterError('(run `runbook --help` for usage)')
    .showSuggestionAfterError(true);
  const context = contextFactory(io, fetchImpl);
  registerRunbookCommands(program, context);
  registerAuditCommands(program, context);
  registerRunCommands(program, context);
  registerApprovalCommands(program, context);
  registerStepDecisionCommands(program, context);
  registerTaskCommands(program, context);
  registerFreezeCommands(program, context);
  registerRecoveryCommands(program, context);
  registerOncallCommands(program, context);
  registerIncidentCommands(program, context);
  registerPostmortemCommands(program, context);
  registerScheduleCommands(program, context);
  registerAlertCommands(program, context);
  program.addHelpText(
    'after',
    '\nExit codes: 0 success; 1 the run failed, was rejected or cancelled (start --wait), or the API failed or was unreachable;\n2 bad input: usage errors and every 4xx answer from the API.',
  );
  return program;
}
