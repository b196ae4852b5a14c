/** The operational events wire format: key order, timestamp, names, and what a consumer refuses. */
import {
  ALERT_CHANNELS,
  EVENT_TYPES,
  decodeEvent,
  encodeEvent,
  stampEvent,
  type EventInput,
} from '../../src/events/contract';

const at = new Date(Date.UTC(2026, 11, 1, 13, 37, 0, 5));
const run = { workflowId: 'runbook-x-1', runbook: 'x' };

test('an event is { event_type, timestamp, payload } in that order, stamped in UTC with milliseconds', () => {
  const input: EventInput = { event_type: 'run_started', payload: { ...run, trigger: 'schedule' } };
  const text = encodeEvent(stampEvent(input, at));
  expect(text).toBe(
    '{"event_type":"run_started","timestamp":"2026-12-01T13:37:00.005Z","payload":{"workflowId":"runbook-x-1","runbook":"x","trigger":"schedule"}}',
  );
  expect(Object.keys(JSON.parse(text) as object)).toEqual(['event_type', 'timestamp', 'payload']);
  expect(decodeEvent(text)).toEqual({ ok: true, event: JSON.parse(text) });
});

test('a timestamp given by the caller is kept (the moment of the change, not of the send)', () => {
  const e = stampEvent(
    {
      event_type: 'freeze_changed',
      payload: { frozen: false, freezeId: 'f-1', scope: { kind: 'all' }, reason: 'done', changedBy: 'ops' },
      timestamp: '2026-01-02T03:04:05.006Z',
    },
    at,
  );
  expect(e.timestamp).toBe('2026-01-02T03:04:05.006Z');
});

test('type names are snake_case like the seed, alert_sent keeps its name, and channels include the seed three', () => {
  expect(Object.values(EVENT_TYPES)).toEqual([
    'alert_sent',
    'run_started',
    'run_finished',
    'approval_requested',
    'approval_decided',
    'step_paused',
    'freeze_changed',
    'runbook_event',
  ]);
  expect(ALERT_CHANNELS).toEqual(['webhook', 'slack', 'smtp', 'pagerduty']);
});

const ONE_OF_EACH: EventInput[] = [
  { event_type: 'alert_sent', payload: { channel: 'smtp', target: 'stakeholders', reason: 'run finished' } },
  { event_type: 'run_started', payload: { ...run, trigger: 'alert' } },
  { event_type: 'run_finished', payload: { ...run, trigger: 'alert', outcome: 'cancelled' } },
  { event_type: 'approval_requested', payload: { ...run, stepId: 'gate', approvers: [], required: 1 } },
  { event_type: 'approval_decided', payload: { ...run, stepId: 'gate', outcome: 'timeout', decidedBy: [] } },
  { event_type: 'step_paused', payload: { ...run, stepId: 'restart', reason: 'rollout timed out' } },
  {
    event_type: 'freeze_changed',
    payload: { frozen: false, freezeId: 'f-2', scope: { kind: 'runbook', value: 'x' }, reason: 'ok', changedBy: 'ops' },
  },
  {
    event_type: 'runbook_event',
    payload: { ...run, step: 'announce', name: 'deploy_verified', data: { version: '1.4.2' } },
  },
];

test('one event of each type goes through encode and decode unchanged', () => {
  expect(new Set(ONE_OF_EACH.map((e) => e.event_type))).toEqual(new Set(Object.values(EVENT_TYPES)));
  for (const input of ONE_OF_EACH) {
    const event = stampEvent(input, at);
    expect(decodeEvent(encodeEvent(event))).toEqual({ ok: true, event });
  }
});

test.each([
  ['not JSON', '{', /not JSON/],
  [
    'an unknown type',
    '{"event_type":"run_exploded","timestamp":"2026-12-01T13:37:00.000Z","payload":{}}',
    /event_type/,
  ],
  [
    'a local-time timestamp',
    '{"event_type":"freeze_changed","timestamp":"2026-12-01T14:37:00+01:00","payload":{"frozen":true,"freezeId":"f","scope":{"kind":"all"},"reason":"r","changedBy":"c"}}',
    /timestamp/,
  ],
  [
    'an extra top-level key',
    '{"event_type":"freeze_changed","timestamp":"2026-12-01T13:37:00.000Z","payload":{"frozen":true,"freezeId":"f","scope":{"kind":"all"},"reason":"r","changedBy":"c"},"id":1}',
    /id/,
  ],
  [
    'an alert channel outside the list',
    '{"event_type":"alert_sent","timestamp":"2026-12-01T13:37:00.000Z","payload":{"channel":"sms","target":"t","reason":"r"}}',
    /alert_sent payload[\s\S]*channel/,
  ],
  [
    'a payload field nobody declared',
    '{"event_type":"run_finished","timestamp":"2026-12-01T13:37:00.000Z","payload":{"workflowId":"w","runbook":"r","trigger":"api","outcome":"succeeded","x":1}}',
    /run_finished payload[\s\S]*x/,
  ],
  [
    'a freeze of everything that names a value',
    '{"event_type":"freeze_changed","timestamp":"2026-12-01T13:37:00.000Z","payload":{"frozen":true,"freezeId":"f","scope":{"kind":"all","value":"x"},"reason":"r","changedBy":"c"}}',
    /freeze_changed payload[\s\S]*scope/,
  ],
])('a consumer refuses %s', (_what, text, error) => {
  const r = decodeEvent(text);
  expect(r.ok).toBe(false);
  expect(r.ok ? '' : r.error).toMatch(error);
});
