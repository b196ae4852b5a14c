/** What a person sees of the alert behind a run: the Web UI's current details and `runbook status`. */
import { renderDetail } from '../../src/cli/render-run';
import type { RunStatus } from '../../src/shared/status';
import { renderDetails } from '../../src/shared/run-summary';

const status: RunStatus = {
  runbook: { id: 'service-down', title: 'Service down', version: 'abc' },
  params: { service: 'checkout' },
  trigger: {
    source: 'alert',
    requestedBy: 'alertmanager',
    reason: 'alertmanager alert ServiceDown (route service-down)',
  },
  dryRun: false,
  phase: 'auto_resolved',
  startedAt: '2026-11-23T10:00:00.000Z',
  steps: [
    {
      id: 'restart',
      kind: 'action',
      action: 'http:request:send',
      mutating: true,
      state: 'skipped',
      attempts: 0,
      note: 'not run: the alert resolved',
    },
  ],
  pendingApprovals: [],
  decisions: [],
  pendingStepDecisions: [],
  stepDecisions: [],
  gates: [],
  emergency: false,
  locks: [],
  alert: {
    source: 'alertmanager',
    route: 'service-down',
    status: 'resolved',
    fingerprint: 'f00d',
    startsAt: '2026-11-23T09:58:00.000Z',
    endsAt: '2026-11-23T10:05:00.000Z',
    labels: { alertname: 'ServiceDown', service: 'checkout' },
    annotations: { summary: 'checkout | is down' },
    links: [{ name: 'source', url: 'http://prometheus:9090/graph' }],
    notifications: 4,
    firstSeenAt: '2026-11-23T10:00:00.000Z',
    lastSeenAt: '2026-11-23T10:05:01.000Z',
    resolvedAt: '2026-11-23T10:05:00.000Z',
  },
};

test('the Web UI details name the alert, its state, labels and links', () => {
  const md = renderDetails(status);
  expect(md).toContain(
    '**Alert** ServiceDown from alertmanager (route service-down): **resolved** at 2026-11-23T10:05:00.000Z; 4 notification(s)',
  );
  expect(md).toContain('> checkout \\| is down');
  expect(md).toContain('`alertname=ServiceDown` `service=checkout`');
  expect(md).toContain('Links: [source](http://prometheus:9090/graph)');
});

test('runbook status shows an ALERT block', () => {
  const text = renderDetail({
    workflowId: 'alert-x',
    runId: 'r',
    status: 'COMPLETED',
    startTime: status.startedAt,
    url: 'http://ui/x',
    run: status,
  });
  expect(text).toMatch(/ALERT\n.*alert\s+ServiceDown from alertmanager \(route service-down\)/s);
  expect(text).toMatch(/status\s+resolved at 2026-11-23T10:05:00.000Z/);
  expect(text).toMatch(/seen\s+4 notification\(s\)/);
  expect(text).toMatch(/source\s+http:\/\/prometheus:9090\/graph/);
});
