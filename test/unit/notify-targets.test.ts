/**
 * `notify.targets`: a target per name with its kind, secrets by name, the older `notify.webhooks`
 * still read as kind webhook, and any kind turned into a dev inbox target in development.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load';

const dir = mkdtempSync(join(tmpdir(), 'cfg-notify-'));
const load = (text: string) => {
  const path = join(dir, 'c.yaml');
  writeFileSync(path, text);
  return {
    path,
    config: () => loadConfig({ RUNBOOKS_CONFIG: path, RUNBOOKS_API_PORT: '18081' }, dir, { tokens: false }),
  };
};

test('every kind is read with its fields; notify.webhooks as kind webhook', () => {
  const { config } = load(
    [
      'notify:',
      '  webhooks:',
      '    legacy: { url: https://hooks.example.com/legacy }',
      '  targets:',
      '    hook: { kind: webhook, urlSecret: hook-url }',
      '    pager: { kind: pagerduty, routingKeySecret: pd-key }',
      '    eu-pager: { kind: pagerduty, routingKeySecret: pd-key, baseUrl: "https://events.eu.pagerduty.com/", source: api }',
      '    chat: { kind: slack, tokenSecret: slack-bot, channel: C0123456789 }',
      '    hooked-chat: { kind: slack-webhook, urlSecret: slack-url }',
      '    mail: { kind: email, host: smtp.example.com, from: runbooks@example.com, to: [ops@example.com] }',
      '    status: { kind: statuspage, pageId: abc123, tokenSecret: sp-token }',
      '    events: { kind: redis }',
      '',
    ].join('\n'),
  );
  const c = config();
  expect(c.notifyTargets).toEqual({
    legacy: { kind: 'webhook', url: 'https://hooks.example.com/legacy' },
    hook: { kind: 'webhook', urlSecret: 'hook-url' },
    pager: { kind: 'pagerduty', routingKeySecret: 'pd-key', baseUrl: 'https://events.pagerduty.com' },
    'eu-pager': {
      kind: 'pagerduty',
      routingKeySecret: 'pd-key',
      baseUrl: 'https://events.eu.pagerduty.com',
      source: 'api',
    },
    chat: { kind: 'slack', tokenSecret: 'slack-bot', channel: 'C0123456789', baseUrl: 'https://slack.com/api' },
    'hooked-chat': { kind: 'slack-webhook', urlSecret: 'slack-url' },
    // Not on loopback: STARTTLS or no send.
    mail: {
      kind: 'email',
      host: 'smtp.example.com',
      port: 587,
      secure: false,
      requireTLS: true,
      from: 'runbooks@example.com',
      to: ['ops@example.com'],
    },
    status: {
      kind: 'statuspage',
      pageId: 'abc123',
      tokenSecret: 'sp-token',
      baseUrl: 'https://api.statuspage.io',
      components: {},
    },
    events: { kind: 'redis' },
  });
  // Code written before kinds sees the webhook ones only.
  expect(c.webhookTargets).toEqual({
    legacy: { url: 'https://hooks.example.com/legacy' },
    hook: { urlSecret: 'hook-url' },
  });
});

test.each([
  [
    '    p: { kind: pager }',
    'notify.targets.p.kind: one of webhook, pagerduty, slack, slack-webhook, email, statuspage, redis (every target says its kind)',
  ],
  [
    '    p: { url: https://x.example.com }',
    'notify.targets.p.kind: one of webhook, pagerduty, slack, slack-webhook, email, statuspage, redis (every target says its kind)',
  ],
  ['    p: { kind: pagerduty }', 'notify.targets.p: give routingKeySecret, or devInbox: true'],
  [
    '    p: { kind: pagerduty, routingKeySecret: pd-key, url: https://x.example.com }',
    'notify.targets.p: Unrecognized key: "url"',
  ],
  [
    '    p: { kind: webhook, url: https://x.example.com, urlSecret: u }',
    'notify.targets.p: give exactly one of url, urlSecret, devInbox',
  ],
  [
    '    p: { kind: slack, tokenSecret: slack-bot }',
    'notify.targets.p: give tokenSecret and channel, or devInbox: true',
  ],
  [
    '    p: { kind: email, host: h, from: nobody, to: [a@example.com] }',
    'notify.targets.p.from: Invalid email address',
  ],
])('refused at load with its line: %s', (line, message) => {
  const { path, config } = load(`notify:\n  targets:\n${line}\n`);
  expect(config).toThrow(new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3:\\d+: `));
  expect(config).toThrow(message);
});

test('a name in both notify.targets and notify.webhooks is refused', () => {
  const { config } = load(
    'notify:\n  webhooks:\n    oncall: { url: https://a.example.com }\n  targets:\n    oncall: { kind: pagerduty, routingKeySecret: k }\n',
  );
  expect(config).toThrow(
    'notify.targets.oncall: also named in notify.webhooks (the older spelling): name each target once',
  );
});

test('in development a target of any kind may post to the dev inbox, remembering its kind', () => {
  const { config } = load(
    'api: { devInbox: true }\nnotify:\n  targets:\n    pager: { kind: pagerduty, devInbox: true }\n    chat: { kind: slack, devInbox: true }\n    hook: { kind: webhook, devInbox: true }\n',
  );
  const c = config();
  expect(c.notifyTargets).toEqual({
    pager: {
      kind: 'webhook',
      url: 'http://127.0.0.1:18081/v1/dev/inbox/pager',
      headers: expect.any(Object),
      devInbox: true,
      inboxFor: 'pagerduty',
    },
    chat: {
      kind: 'webhook',
      url: 'http://127.0.0.1:18081/v1/dev/inbox/chat',
      headers: expect.any(Object),
      devInbox: true,
      inboxFor: 'slack',
    },
    hook: {
      kind: 'webhook',
      url: 'http://127.0.0.1:18081/v1/dev/inbox/hook',
      headers: expect.any(Object),
      devInbox: true,
    },
  });
  expect(Object.keys(c.webhookTargets)).toEqual(['pager', 'chat', 'hook']);
  const { path, config: refused } = load('notify:\n  targets:\n    pager: { kind: pagerduty, devInbox: true }\n');
  expect(refused).toThrow(
    `${path}:3:41: notify.targets.pager.devInbox: a devInbox target needs api.devInbox: true (the inbox it posts to)`,
  );
});
