/**
 * The pure parts of email over SMTP: the Message-ID from the step, the `smtp(s)://` origin its
 * secrets and the egress policy see, each nodemailer error as a failure of the vocabulary (the
 * credentials cut out), the policy's `checkHost` for SMTP destinations, and the dev inbox
 * stand-in. The wire itself, against a real Mailpit: test/integration/notify-email.test.ts.
 */
import { ApplicationFailure } from '@temporalio/common';
import { createEgressGuard, type ResolveHost } from '../../src/activities/egress';
import { createEmailActivities, emailMessageId, smtpFailure, smtpUrl } from '../../src/activities/notify/email';
import { createSecretResolver, originMatches, originOf } from '../../src/activities/secrets';
import type { EgressConfig } from '../../src/config/load';
import { messageTemplatesOf } from '../../src/config/notify-templates';
import { FAILURE } from '../../src/shared/failures';
import type { StepContext } from '../../src/shared/activity-types';
import { startReceiver, type Receiver } from '../support/http-receiver';

describe('the Message-ID is the step’s', () => {
  test.each([
    ['service-down-20260101T120000-1a2b3c4d/page', '<service-down-20260101T120000-1a2b3c4d/page@durable-runbooks>'],
    // Dots, spaces, `=`, `@`, `<>` and anything past ASCII are written as their UTF-8 bytes.
    ['run.1/step 2', '<run=2E1/step=202@durable-runbooks>'],
    ['a=b@c<d>', '<a=3Db=40c=3Cd=3E@durable-runbooks>'],
    ['wf/ré', '<wf/r=C3=A9@durable-runbooks>'],
  ])('%s -> %s', (idempotencyKey, id) => {
    expect(emailMessageId({ idempotencyKey })).toBe(id);
  });

  test('the same key gives the same ID; different keys never share one', () => {
    expect(emailMessageId({ idempotencyKey: 'a/b' })).toBe(emailMessageId({ idempotencyKey: 'a/b' }));
    expect(emailMessageId({ idempotencyKey: 'a.b' })).not.toBe(emailMessageId({ idempotencyKey: 'a=2Eb' }));
  });

  test('a key past 200 characters becomes its SHA-256, on one short line', () => {
    const id = emailMessageId({ idempotencyKey: `${'w'.repeat(300)}/step` });
    expect(id).toMatch(/^<sha256=[0-9a-f]{64}@durable-runbooks>$/);
  });
});

describe('the smtp(s) origin: where the target’s secrets go and what the egress policy checks', () => {
  test.each([
    [{ host: 'smtp.example.com', port: 587, secure: false }, 'smtp://smtp.example.com:587'],
    [{ host: 'smtp.example.com', port: 465, secure: true }, 'smtps://smtp.example.com:465'],
    [{ host: '::1', port: 1025, secure: false }, 'smtp://[::1]:1025'],
  ])('%j -> %s', (target, url) => {
    expect(smtpUrl(target)).toBe(url);
    expect(originOf(url)).toBe(url);
  });

  test.each([
    // The host of a scheme the URL parser does not know is read as http's would be.
    ['smtp://Mail.Example.COM:587', 'smtp://mail.example.com:587'],
    ['smtp://0xa9fea9fe:25', 'smtp://169.254.169.254:25'],
    ['smtp://mail.example.com', 'smtp://mail.example.com:25'],
    ['smtps://mail.example.com', 'smtps://mail.example.com:465'],
    ['smtp://user@mail.example.com:587/ignored', 'smtp://mail.example.com:587'],
  ])('originOf(%s) is %s', (url, origin) => {
    expect(originOf(url)).toBe(origin);
  });

  test('http(s) origins are as before; other schemes have none', () => {
    expect(originOf('https://Hooks.Example.com/x')).toBe('https://hooks.example.com:443');
    expect(originOf('http://127.0.0.1/')).toBe('http://127.0.0.1:80');
    expect(originOf('ftp://example.com/')).toBeUndefined();
    expect(originOf('smtp:///nohost')).toBeUndefined();
  });

  test('patterns match by scheme, host and port, wildcards too', () => {
    expect(originMatches('smtp://mail.example.com:587', 'smtp://mail.example.com:587')).toBe(true);
    expect(originMatches('smtp://mail.example.com:587', 'smtps://mail.example.com:587')).toBe(false);
    expect(originMatches('https://mail.example.com:587', 'smtp://mail.example.com:587')).toBe(false);
    expect(originMatches('smtp://*.example.com:587', 'smtp://mx1.example.com:587')).toBe(true);
  });

  test('a secret bound to the SMTP origin resolves for it, and for nothing else', async () => {
    const secrets = createSecretResolver({
      env: { RUNBOOK_SECRET_SMTP_PASSWORD: 'pa55-w0rd' },
      bindings: { 'smtp-password': ['smtp://mail.example.com:587'] },
    });
    await expect(secrets.resolveFor('smtp-password', 'smtp://mail.example.com:587')).resolves.toBe('pa55-w0rd');
    for (const url of ['smtps://mail.example.com:587', 'smtp://mail.example.com:25', 'https://mail.example.com:587'])
      await expect(secrets.resolveFor('smtp-password', url)).rejects.toMatchObject({ type: FAILURE.SecretNotAllowed });
  });
});

describe('nodemailer errors as failures', () => {
  const err = (code: string | undefined, o: Record<string, unknown> = {}) =>
    Object.assign(new Error(o.message ? String(o.message) : `${code} happened`), { code, ...o });

  test.each([
    ['a 5xx reply', err('EENVELOPE', { responseCode: 550, command: 'RCPT TO' }), FAILURE.SmtpRejected, true],
    ['failed authentication', err('EAUTH', { responseCode: 535, command: 'AUTH PLAIN' }), FAILURE.SmtpRejected, true],
    ['no credentials where the server wants them', err('ENOAUTH'), FAILURE.SmtpRejected, true],
    ['no recipients', err('EENVELOPE'), FAILURE.SmtpRejected, true],
    ['no STARTTLS where required', err('ETLS', { responseCode: 502, command: 'STARTTLS' }), FAILURE.SmtpRejected, true],
    ['a failed TLS handshake', err('ETLS', { command: 'CONN' }), FAILURE.SmtpRejected, true],
    ['a bad configuration', err('ECONFIG'), FAILURE.InvalidInput, true],
    ['a 4xx reply', err('EENVELOPE', { responseCode: 452, command: 'RCPT TO' }), 'EENVELOPE', false],
    ['a temporary auth failure (454)', err('EAUTH', { responseCode: 454 }), 'EAUTH', false],
    ['503, a session in the wrong state', err('EPROTOCOL', { responseCode: 503 }), 'EPROTOCOL', false],
    ['421, the server closing', err('EMESSAGE', { responseCode: 421 }), 'EMESSAGE', false],
    ['a refused port', err('ESOCKET', { originalCode: 'ECONNREFUSED', command: 'CONN' }), 'ECONNREFUSED', false],
    ['the connection dropped', err('ECONNECTION'), 'ECONNECTION', false],
    ['a timeout', err('ETIMEDOUT', { timeoutType: 'GREETING_TIMEOUT' }), FAILURE.Timeout, false],
    ['a bad reply', err('EPROTOCOL'), 'EPROTOCOL', false],
    ['not an error at all', 'boom', 'Error', false],
  ])('%s', (_what, e, type, nonRetryable) => {
    const f = smtpFailure('ops', e);
    expect(f).toBeInstanceOf(ApplicationFailure);
    expect({ type: f.type, nonRetryable: f.nonRetryable }).toEqual({ type, nonRetryable });
    expect(f.message.startsWith("email target 'ops': ")).toBe(true);
  });

  test('the message names the code and command; the credentials are cut out of what the server said', () => {
    const f = smtpFailure(
      'ops',
      err('EAUTH', {
        message: 'Invalid login: 535 5.7.8 user runbook-mailer, password pa55-w0rd refused',
        responseCode: 535,
        command: 'AUTH PLAIN',
      }),
      ['pa55-w0rd', 'runbook-mailer'],
    );
    expect(f.message).toBe(
      "email target 'ops': Invalid login: 535 5.7.8 user [redacted], password [redacted] refused (EAUTH AUTH PLAIN)",
    );
  });
});

describe('the egress policy for SMTP destinations (checkHost)', () => {
  const names: Record<string, string[]> = {
    'mail.example.test': ['10.1.2.3', '10.1.2.4'],
    'rebind.example.test': ['10.1.2.3', '169.254.169.254'],
  };
  const resolve: ResolveHost = async (host) => {
    const found = names[host];
    if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return found;
  };
  const guard = (policy: EgressConfig) => createEgressGuard({ policy, resolve });
  const open: EgressConfig = { allowLinkLocal: false };

  test('answers every address the name resolves to, or the literal itself', async () => {
    await expect(guard(open).checkHost('smtp://mail.example.test:587')).resolves.toEqual(['10.1.2.3', '10.1.2.4']);
    await expect(guard(open).checkHost('smtps://[::1]:465')).resolves.toEqual(['::1']);
  });

  test.each([
    ['smtp://169.254.169.254:25', '169.254.169.254 is a link-local address'],
    ['smtp://0xa9fea9fe:25', '169.254.169.254 is a link-local address'],
    ['smtp://rebind.example.test:587', 'rebind.example.test resolves to 169.254.169.254'],
    ['smtp://metadata.google.internal:25', 'metadata.google.internal is a cloud metadata service'],
    ['https://mail.example.test/', 'only smtp and smtps destinations are allowed'],
  ])('%s is refused: %s', async (url, why) => {
    const f = await guard(open)
      .checkHost(url)
      .catch((e: unknown) => e as ApplicationFailure);
    expect(f).toBeInstanceOf(ApplicationFailure);
    expect({ type: (f as ApplicationFailure).type, nonRetryable: (f as ApplicationFailure).nonRetryable }).toEqual({
      type: FAILURE.EgressRefused,
      nonRetryable: true,
    });
    expect((f as ApplicationFailure).message).toContain(why);
  });

  test('check (fetch) still takes only http(s)', async () => {
    await expect(guard(open).check('smtp://mail.example.test:587')).rejects.toMatchObject({
      type: FAILURE.EgressRefused,
      message: expect.stringContaining('only http and https destinations are allowed'),
    });
  });

  test('egress.allow opens an SMTP server by its smtp origin or an IP range; an https origin does not', async () => {
    await expect(
      guard({ allowLinkLocal: false, allow: ['smtp://mail.example.test:587'] }).checkHost(
        'smtp://mail.example.test:587',
      ),
    ).resolves.toEqual(['10.1.2.3', '10.1.2.4']);
    await expect(
      guard({ allowLinkLocal: false, allow: ['10.0.0.0/8'] }).checkHost('smtp://mail.example.test:25'),
    ).resolves.toEqual(['10.1.2.3', '10.1.2.4']);
    for (const allow of [
      ['https://mail.example.test:587'],
      ['smtp://mail.example.test:25'],
      ['smtps://mail.example.test:587'],
    ])
      await expect(
        guard({ allowLinkLocal: false, allow }).checkHost('smtp://mail.example.test:587'),
      ).rejects.toMatchObject({
        type: FAILURE.EgressRefused,
      });
  });
});

describe('in development, an email target posts the message to the dev inbox', () => {
  let inbox: Receiver;
  beforeAll(async () => {
    inbox = await startReceiver();
    inbox.on('/v1/dev/inbox/mail', () => ({ status: 202, body: { stored: true } }));
  });
  afterAll(() => inbox.close());

  test('the message as it would be sent, with its Message-ID; nobody is told it was sent', async () => {
    const told: unknown[] = [];
    const step: StepContext = {
      workflowId: 'wf-1',
      runId: 'r-1',
      stepId: 'mail',
      runbookId: 'rb',
      idempotencyKey: 'wf-1/mail',
      dryRun: false,
    };
    const acts = createEmailActivities({
      fetch: globalThis.fetch,
      secrets: createSecretResolver({ env: {} }),
      egress: createEgressGuard({ policy: { allowLinkLocal: false } }),
      targets: {
        mail: { kind: 'webhook', url: `${inbox.url}/v1/dev/inbox/mail`, inboxFor: 'email', devInbox: true },
      },
      templates: messageTemplatesOf(undefined),
      runUrl: (id) => `http://ui/wf/${id}`,
      onSent: (s) => told.push(s),
    });
    const out = await acts.notifyEmailSend({ target: 'mail', subject: 'checkout is down', text: 'failing over' }, step);
    expect(out).toEqual({
      target: 'mail',
      messageId: '<wf-1/mail@durable-runbooks>',
      accepted: [],
      rejected: [],
      delivered: true,
    });
    expect(JSON.parse(inbox.received.at(-1)!.body)).toEqual({
      messageId: '<wf-1/mail@durable-runbooks>',
      subject: 'checkout is down',
      text: 'failing over',
      to: [],
      runbook: 'rb',
    });
    expect(inbox.received.at(-1)!.headers['idempotency-key']).toBe('wf-1/mail');
    expect(told).toEqual([]);
  });
});
