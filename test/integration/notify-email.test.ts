/**
 * `notify:email:send` against a real Mailpit: the exact message that arrived (envelope, headers,
 * bodies), the step's Message-ID on every retry, SMTP auth with credentials from bound secrets,
 * and what fails how: an unbound secret and a refused destination before any connection,
 * requireTLS against a server without TLS (permanent), a port nobody listens on (retried).
 */
import { createServer, type Server, type Socket } from 'node:net';
import { ApplicationFailure } from '@temporalio/common';
import { createEgressGuard, type ResolveHost } from '../../src/activities/egress';
import { createEmailActivities } from '../../src/activities/notify/email';
import type { NotifyDeps, NotificationSent } from '../../src/activities/notify/targets';
import { createSecretResolver, envVarFor } from '../../src/activities/secrets';
import { notifyEmailSend, notifyEmailSendInput } from '../../src/catalog/email';
import type { EgressConfig, EmailTarget, NotifyTarget } from '../../src/config/load';
import { messageTemplatesOf } from '../../src/config/notify-templates';
import { freePort } from '../../src/platform/ports';
import { FAILURE } from '../../src/shared/failures';
import type { StepContext } from '../../src/shared/activity-types';
import { startMailpit, type Mailpit } from '../support/mailpit';

const USER = 'runbook-mailer';
const PASSWORD = 'pa55-w0rd-for-smtp';
const step: StepContext = {
  workflowId: 'service-down-20260101T120000-1a2b3c4d',
  runId: 'r-1',
  stepId: 'tell-stakeholders',
  runbookId: 'service-down',
  idempotencyKey: 'service-down-20260101T120000-1a2b3c4d/tell-stakeholders',
  dryRun: false,
};
const MESSAGE_ID = '<service-down-20260101T120000-1a2b3c4d/tell-stakeholders@durable-runbooks>';

let plain: Mailpit;
let authed: Mailpit;
/** Counts connections: a destination that must never be reached. */
let tripwire: { server: Server; port: number; connections: number };

beforeAll(async () => {
  [plain, authed] = await Promise.all([startMailpit(), startMailpit({ acceptAnyAuth: true })]);
  const server = createServer((s: Socket) => {
    tripwire.connections++;
    s.destroy();
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  tripwire = { server, port, connections: 0 };
});
afterAll(async () => {
  await Promise.all([plain?.dispose(), authed?.dispose()]);
  await new Promise((resolve) => tripwire?.server.close(resolve));
});
beforeEach(async () => {
  await Promise.all([plain.clear(), authed.clear()]);
  tripwire.connections = 0;
});

const email = (over: Partial<EmailTarget> = {}): EmailTarget => ({
  kind: 'email',
  host: '127.0.0.1',
  port: plain.smtpPort,
  secure: false,
  requireTLS: false,
  from: 'runbooks@example.com',
  to: ['ops@example.com', 'oncall@example.com'],
  ...over,
});

/** The names the egress guard resolves here (never the system resolver). */
const names: Record<string, string[]> = {
  'mail.example.test': ['127.0.0.1'],
  'rebind.example.test': ['127.0.0.1', '169.254.169.254'],
};
const resolve: ResolveHost = async (host) => {
  const found = names[host];
  if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
  return found;
};

function activities(
  o: { targets?: Record<string, NotifyTarget>; egress?: EgressConfig; sent?: NotificationSent[] } = {},
) {
  const authedUrl = `smtp://127.0.0.1:${authed.smtpPort}`;
  const deps: NotifyDeps = {
    fetch: globalThis.fetch,
    secrets: createSecretResolver({
      env: { [envVarFor('smtp-user')]: USER, [envVarFor('smtp-password')]: PASSWORD },
      bindings: {
        'smtp-user': [authedUrl],
        'smtp-password': [authedUrl],
        'elsewhere-password': ['smtp://smtp.example.com:587'],
      },
    }),
    egress: createEgressGuard({ policy: o.egress ?? { allowLinkLocal: false }, resolve }),
    targets: o.targets ?? {
      ops: email(),
      // The catalog's example names this target.
      stakeholders: email({ to: ['stakeholders@example.com'] }),
    },
    templates: messageTemplatesOf(undefined),
    runUrl: (id) => `http://ui.test/wf/${id}`,
    ...(o.sent ? { onSent: (s) => o.sent?.push(s) } : {}),
  };
  return createEmailActivities(deps);
}

async function failure(p: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApplicationFailure);
  return err as ApplicationFailure;
}

test('the exact message arrives: envelope, headers, text body; the run is told it was sent', async () => {
  const sent: NotificationSent[] = [];
  const out = await activities({ sent }).notifyEmailSend(
    {
      target: 'ops',
      subject: 'checkout is down',
      text: 'Failing over to the standby region.\nNext update in 30 minutes.',
    },
    step,
  );
  expect(out).toEqual({
    target: 'ops',
    messageId: MESSAGE_ID,
    accepted: ['ops@example.com', 'oncall@example.com'],
    rejected: [],
    delivered: true,
  });
  expect(sent).toEqual([{ channel: 'smtp', target: 'ops', reason: 'checkout is down', workflowId: step.workflowId }]);

  const [summary] = await plain.waitForMessages(1);
  expect(summary).toMatchObject({
    MessageID: MESSAGE_ID.slice(1, -1),
    From: { Name: '', Address: 'runbooks@example.com' },
    To: [
      { Name: '', Address: 'ops@example.com' },
      { Name: '', Address: 'oncall@example.com' },
    ],
    Subject: 'checkout is down',
    Username: '',
  });
  const headers = await plain.headers(summary!.ID);
  expect({
    from: headers.From,
    to: headers.To,
    subject: headers.Subject,
    messageId: headers['Message-Id'],
    run: headers['X-Runbook-Run'],
    step: headers['X-Runbook-Step'],
    contentType: headers['Content-Type'],
  }).toEqual({
    from: ['runbooks@example.com'],
    to: ['ops@example.com, oncall@example.com'],
    subject: ['checkout is down'],
    messageId: [MESSAGE_ID],
    run: [step.workflowId],
    step: ['tell-stakeholders'],
    contentType: ['text/plain; charset=utf-8'],
  });
  const message = await plain.message(summary!.ID);
  // As on the wire: SMTP lines end in CRLF, and the body's last line is ended too.
  expect({ text: message.Text, html: message.HTML, returnPath: message.ReturnPath }).toEqual({
    text: 'Failing over to the standby region.\r\nNext update in 30 minutes.\r\n',
    html: '',
    returnPath: 'runbooks@example.com',
  });
});

test('an HTML body goes beside the text, and `to` replaces the target recipients', async () => {
  await activities().notifyEmailSend(
    {
      target: 'ops',
      subject: 'résumé: checkout recovered',
      text: 'Recovered at 12:40.',
      html: '<p>Recovered at <b>12:40</b>.</p>',
      to: ['cto@example.com'],
    },
    step,
  );
  const [summary] = await plain.waitForMessages(1);
  expect({ to: summary!.To, subject: summary!.Subject }).toEqual({
    to: [{ Name: '', Address: 'cto@example.com' }],
    subject: 'résumé: checkout recovered',
  });
  const message = await plain.message(summary!.ID);
  expect({ text: message.Text, html: message.HTML }).toEqual({
    text: 'Recovered at 12:40.',
    html: '<p>Recovered at <b>12:40</b>.</p>',
  });
});

test('a retried step sends the same Message-ID, so mail clients show the message once', async () => {
  const acts = activities();
  const input = { target: 'ops', subject: 'checkout is down', text: 'first try' };
  const first = await acts.notifyEmailSend(input, step);
  const again = await acts.notifyEmailSend({ ...input, text: 'the retry' }, step);
  const other = await acts.notifyEmailSend(input, {
    ...step,
    stepId: 'later',
    idempotencyKey: `${step.workflowId}/later`,
  });
  expect([first.messageId, again.messageId, other.messageId]).toEqual([
    MESSAGE_ID,
    MESSAGE_ID,
    `<${step.workflowId}/later@durable-runbooks>`,
  ]);
  const all = await plain.waitForMessages(3);
  const ids = await Promise.all(all.map(async (m) => (await plain.headers(m.ID))['Message-Id']));
  expect(ids.map((v) => v?.[0]).sort()).toEqual(
    [MESSAGE_ID, MESSAGE_ID, `<${step.workflowId}/later@durable-runbooks>`].sort(),
  );
});

test('SMTP auth with the bound secrets: the server sees the username; neither value is in the output', async () => {
  const acts = activities({
    targets: {
      authed: email({ port: authed.smtpPort, usernameSecret: 'smtp-user', passwordSecret: 'smtp-password' }),
    },
  });
  const out = await acts.notifyEmailSend({ target: 'authed', subject: 'with auth', text: 'hello' }, step);
  const [summary] = await authed.waitForMessages(1);
  expect({ username: summary!.Username, subject: summary!.Subject }).toEqual({ username: USER, subject: 'with auth' });
  expect(JSON.stringify(out)).not.toContain(USER);
  expect(JSON.stringify(out)).not.toContain(PASSWORD);
});

test('a secret not bound to the server is refused before any connection (SecretNotAllowed)', async () => {
  const acts = activities({
    targets: {
      leaky: email({ port: tripwire.port, usernameSecret: 'smtp-user', passwordSecret: 'elsewhere-password' }),
    },
  });
  const f = await failure(acts.notifyEmailSend({ target: 'leaky', subject: 's', text: 't' }, step));
  expect({ type: f.type, nonRetryable: f.nonRetryable }).toEqual({
    type: FAILURE.SecretNotAllowed,
    nonRetryable: true,
  });
  expect(f.message).toContain(`smtp://127.0.0.1:${tripwire.port}`);
  expect(f.message).not.toContain(PASSWORD);
  expect(tripwire.connections).toBe(0);
});

test('requireTLS against a server without STARTTLS is a permanent failure (SmtpRejected), nothing delivered', async () => {
  const acts = activities({
    targets: {
      tls: email({
        requireTLS: true,
        usernameSecret: 'smtp-user',
        passwordSecret: 'smtp-password',
        port: authed.smtpPort,
      }),
    },
  });
  const f = await failure(acts.notifyEmailSend({ target: 'tls', subject: 's', text: 't' }, step));
  expect({ type: f.type, nonRetryable: f.nonRetryable }).toEqual({ type: FAILURE.SmtpRejected, nonRetryable: true });
  expect(f.message).toMatch(/^email target 'tls': .*\(ETLS STARTTLS\)$/);
  expect(f.message).not.toContain(USER);
  expect(f.message).not.toContain(PASSWORD);
  expect(await authed.messages()).toEqual([]);
});

test('a port nobody listens on is retried (typed ECONNREFUSED)', async () => {
  const closed = await freePort();
  const acts = activities({ targets: { gone: email({ port: closed }) } });
  const f = await failure(acts.notifyEmailSend({ target: 'gone', subject: 's', text: 't' }, step));
  expect({ type: f.type, nonRetryable: f.nonRetryable }).toEqual({ type: 'ECONNREFUSED', nonRetryable: false });
  expect(f.message).toContain(`email target 'gone'`);
});

describe('the egress policy, before any connection', () => {
  test.each([
    ['169.254.169.254', '169.254.169.254 is a link-local address'],
    ['rebind.example.test', 'rebind.example.test resolves to 169.254.169.254'],
  ])('%s is refused (EgressRefused)', async (host, why) => {
    const acts = activities({ targets: { meta: email({ host, port: tripwire.port }) } });
    const f = await failure(acts.notifyEmailSend({ target: 'meta', subject: 's', text: 't' }, step));
    expect({ type: f.type, nonRetryable: f.nonRetryable }).toEqual({ type: FAILURE.EgressRefused, nonRetryable: true });
    expect(f.message).toContain(why);
    expect(tripwire.connections).toBe(0);
  });

  test('with egress.allow, an smtp origin not listed is refused; a listed one is reached', async () => {
    const targets = { ops: email() };
    const listed = `smtp://127.0.0.1:${plain.smtpPort}`;
    const f = await failure(
      activities({ targets, egress: { allowLinkLocal: false, allow: ['https://hooks.example.com'] } }).notifyEmailSend(
        { target: 'ops', subject: 's', text: 't' },
        step,
      ),
    );
    expect({ type: f.type, message: f.message }).toEqual({
      type: FAILURE.EgressRefused,
      message: `egress to ${listed} refused: not in egress.allow (https://hooks.example.com); no request was made`,
    });
    await activities({ targets, egress: { allowLinkLocal: false, allow: [listed] } }).notifyEmailSend(
      { target: 'ops', subject: 'allowed', text: 't' },
      step,
    );
    expect((await plain.waitForMessages(1)).map((m) => m.Subject)).toEqual(['allowed']);
  });

  test('the connection goes to the checked address, not to the name (looked up once, by the policy)', async () => {
    // mail.example.test exists only in this test's resolver: reaching Mailpit shows nodemailer
    // connected to the address the check answered and never looked the name up itself.
    const acts = activities({ targets: { named: email({ host: 'mail.example.test' }) } });
    await acts.notifyEmailSend({ target: 'named', subject: 'by address', text: 't' }, step);
    expect((await plain.waitForMessages(1)).map((m) => m.Subject)).toEqual(['by address']);
  });
});

test('a target of another kind is refused (TargetKindUnsupported), an unknown one too (UnknownTarget)', async () => {
  const acts = activities({
    targets: { pager: { kind: 'pagerduty', routingKeySecret: 'k', baseUrl: 'http://127.0.0.1:9' } },
  });
  const other = await failure(acts.notifyEmailSend({ target: 'pager', subject: 's', text: 't' }, step));
  expect({ type: other.type, nonRetryable: other.nonRetryable }).toEqual({
    type: FAILURE.TargetKindUnsupported,
    nonRetryable: true,
  });
  const unknown = await failure(acts.notifyEmailSend({ target: 'nope', subject: 's', text: 't' }, step));
  expect(unknown.type).toBe(FAILURE.UnknownTarget);
});

test('the catalog example runs and its output fits the schema', async () => {
  const input = notifyEmailSendInput.parse(notifyEmailSend.example.with);
  const out = await activities().notifyEmailSend(input, step);
  expect(notifyEmailSend.output.safeParse(out).success).toBe(true);
  const [summary] = await plain.waitForMessages(1);
  expect({ to: summary!.To.map((t) => t.Address), subject: summary!.Subject }).toEqual({
    to: ['stakeholders@example.com'],
    subject: notifyEmailSend.example.with.subject,
  });
});
