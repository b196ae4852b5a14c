/**
 * Runs that use the worker's secrets, through a real worker and server: what they keep (step
 * outputs, failures, the status query, the result) never holds a secret value. Their histories
 * stay on the shared server, where the end-of-suite scan (test/suite-end) looks again.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { RUNBOOK_WORKFLOW } from '../../src/shared/constants';
import { statusQuery } from '../../src/shared/messages';
import type { RunResult } from '../../src/shared/status';
import { startReceiver, type Receiver } from '../support/http-receiver';
import { createTestWorker, libraryOf, runbookFromYaml } from '../support/runbook-worker';
import { signed } from '../support/signing';
import { CLOSED_HOOK, SUITE_SECRETS } from '../support/suite-secrets';
import { connectTestEnv } from '../support/temporal';

let env: TestWorkflowEnvironment;
let target: Receiver;
let elsewhere: Receiver;

beforeAll(async () => {
  env = await connectTestEnv();
  target = await startReceiver();
  elsewhere = await startReceiver();
  // Answers that give the secret back: as a body, and inside a failure's text.
  target.on('/echo', (r) => ({
    status: 200,
    body: { youSent: r.headers.authorization, token: r.headers['x-argocd'] },
  }));
  target.on('/echo-fail', (r) => ({ status: 400, body: `bad token ${String(r.headers.authorization)}` }));
  target.on('/away', () => ({ status: 302, headers: { location: `${elsewhere.url}/steal` }, body: '' }));
  elsewhere.on('/steal', () => ({ status: 200, body: 'thanks' }));
});
afterAll(async () => {
  await target?.close();
  await elsewhere?.close();
  await env?.teardown();
});

const secretive = () =>
  runbookFromYaml(`
id: secretive
title: Uses the worker's secrets
steps:
  - id: echo
    action: http:request:send
    with:
      method: POST
      url: "${target.url}/echo"
      secretHeaders:
        Authorization: { secret: api-token, prefix: "Bearer " }
        X-ArgoCD: { secret: argocd-token }
  - id: echo-fail
    action: http:request:send
    retry: { maxAttempts: 1 }
    onFailure: continue
    with:
      url: "${target.url}/echo-fail"
      secretHeaders: { Authorization: { secret: api-token, prefix: "Bearer " } }
  - id: away
    action: http:request:send
    retry: { maxAttempts: 1 }
    onFailure: continue
    with:
      url: "${target.url}/away"
      secretHeaders: { Authorization: { secret: api-token, prefix: "Bearer " } }
  - id: unbound
    action: http:request:send
    retry: { maxAttempts: 1 }
    onFailure: continue
    with:
      url: "${elsewhere.url}/steal"
      secretHeaders: { Authorization: { secret: argocd-token } }
  - id: hook
    action: notify:webhook:post
    retry: { maxAttempts: 1 }
    onFailure: continue
    with: { target: credentialed, message: "run finished" }
`);

test('a run using secrets keeps none of them: outputs, failures, status and result', async () => {
  const rb = secretive();
  const { worker, taskQueue } = await createTestWorker(env, {
    library: libraryOf(rb),
    secretBindings: {
      'api-token': [target.url],
      'argocd-token': [target.url],
      'hook-url': [CLOSED_HOOK],
    },
    webhookTargets: { credentialed: { urlSecret: 'hook-url' } },
  });
  const { result, status } = await worker.runUntil(async () => {
    const workflowId = `secrets-${taskQueue}`;
    const handle = await env.client.workflow.start(RUNBOOK_WORKFLOW, {
      taskQueue,
      workflowId,
      args: [signed({ runbook: rb, params: {}, trigger: { source: 'api', requestedBy: 'alice' } }, workflowId)],
      workflowExecutionTimeout: '1m',
    });
    const result = (await handle.result()) as RunResult;
    return { result, status: await handle.query(statusQuery) };
  });

  // The secrets did go where they are bound, and only there.
  const echo = target.received.find((r) => r.path === '/echo');
  expect(echo?.headers.authorization).toBe(`Bearer ${SUITE_SECRETS['api-token']}`);
  expect(elsewhere.received).toEqual([]);

  const step = (id: string) => status.steps.find((st) => st.id === id);
  expect(step('echo')).toMatchObject({
    state: 'succeeded',
    output: { body: { youSent: 'Bearer [secret api-token]', token: '[secret argocd-token]' } },
  });
  expect(step('echo-fail')?.state).toBe('failed');
  expect(step('away')?.error).toMatchObject({ type: 'SecretNotAllowed' });
  expect(step('unbound')?.error).toMatchObject({ type: 'SecretNotAllowed' });
  expect(step('hook')?.state).toBe('failed');

  const kept = JSON.stringify({ result, status });
  for (const value of [...Object.values(SUITE_SECRETS), 'suite-secret-hookpass-91c4', 'suite-secret-hookpath-0b7e'])
    expect(kept).not.toContain(value);
});
