/**
 * Secrets the suite's workers hold (as RUNBOOK_SECRET_* variables). The end-of-suite scan
 * (test/suite-end/history-secrets.test.ts) looks for each of these, and every other credential
 * the suite uses, in every workflow history the suite left on the shared Temporal server.
 * Values are fixed (not per run) so the scan, in another jest worker, knows them.
 */
import { envVarFor } from '../../src/activities/secrets';

/** Port 9 (discard) on loopback: nothing listens, so a call to it fails with its URL in hand. */
export const CLOSED_HOOK = 'http://127.0.0.1:9';

export const SUITE_SECRETS = {
  'api-token': 'suite-secret-api-token-4f1d9a7c',
  'argocd-token': 'suite-secret-argocd-e83b02d6',
  // A webhook URL that is itself the credential (Slack style), with user:password too.
  'hook-url': `http://hookuser:suite-secret-hookpass-91c4@127.0.0.1:9/services/T0/suite-secret-hookpath-0b7e`,
  // Tokens the incident tests send to their Slack and GitHub stand-ins (test/integration/incident-e2e.test.ts).
  'slack-bot-token': 'xoxb-suite-secret-slack-bot-c5a80f44',
  'github-issues-token': 'suite-secret-github-issues-7d3e19a2',
} as const;

/** The environment a test worker resolves secrets from. */
export const SUITE_SECRET_ENV: Record<string, string> = Object.fromEntries(
  Object.entries(SUITE_SECRETS).map(([name, value]) => [envVarFor(name), value]),
);
