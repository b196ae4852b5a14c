/**
 * A failed notification never fails a remediation unless the runbook marks it `required`:
 * notify steps and notify:* action steps compile to onFailure continue by default, `required:
 * true` makes them fail the run, and `required` anywhere else (or beside onFailure) is refused.
 */
import { loadRunbookText } from '../../src/runbooks/load';

const runbook = (steps: string) => `id: tell\ntitle: Tell\nsteps:\n${steps}`;

test('notifications go on after a failure by default; required: true fails the run', () => {
  const rb = loadRunbookText(
    runbook(`  - id: plain
    notify: { message: hello }
  - id: page
    action: notify:pagerduty:event
    with: { target: pagerduty, summary: down }
  - id: must
    required: true
    notify: { message: this one must arrive }
  - id: chosen
    onFailure: pause
    notify: { message: an operator decides }
  - id: probe
    action: http:endpoint:check
    with: { url: "http://127.0.0.1:9/health" }
`),
    'tell.yaml',
  );
  expect(rb.steps.map((s) => [s.id, s.onFailure])).toEqual([
    ['plain', 'continue'],
    ['page', 'continue'],
    ['must', 'fail'],
    ['chosen', 'pause'],
    ['probe', 'fail'],
  ]);
});

test('required on a step that is not a notification, or beside onFailure, is refused with its place', () => {
  expect(() =>
    loadRunbookText(
      runbook(`  - id: probe
    required: true
    action: http:endpoint:check
    with: { url: "http://127.0.0.1:9/health" }
`),
      'tell.yaml',
    ),
  ).toThrow(
    'tell.yaml:5:15: steps[0].required: required is for notifications (notify steps and notify:* actions) only',
  );
  expect(() =>
    loadRunbookText(
      runbook(`  - id: both
    required: true
    onFailure: continue
    notify: { message: hi }
`),
      'tell.yaml',
    ),
  ).toThrow(/steps\[0\]\.required: give required or onFailure, not both/);
});
