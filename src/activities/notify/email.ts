/**
 * Email over SMTP (nodemailer), one connection per send. The connection goes to an address the
 * egress policy checked, never to the name (looked up once, in the check: an answer that changes
 * afterwards changes nothing), while TLS still verifies the name. Credentials are secrets bound
 * to `smtp://host:port` (`smtps://` with TLS from connect). The Message-ID is the step's, so a
 * retried step sends the same message again and mail clients show it once.
 */
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { ApplicationFailure } from '@temporalio/common';
import { createTransport } from 'nodemailer';
import { FAILURE } from '../../shared/failures';
import type { StepContext } from '../../shared/activity-types';
import type { NotifyEmailSendInput, NotifyEmailSendResult } from '../../catalog/email';
import type { EmailTarget } from '../../config/load';
import { permanent } from '../errors';
import { notThatKind, targetNamed, toldSent, type NotifyDeps } from './targets';
import { createWebhookSender } from './webhook';

/** Short next to nodemailer's defaults (2 min, 30 s, 10 min): the step's retries do the waiting. */
const TIMEOUTS = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000, dnsTimeout: 10_000 };
/** The right-hand side of every Message-ID this product sends. */
const MESSAGE_ID_DOMAIN = 'durable-runbooks';
/** A longer key is hashed: Message-IDs live on one header line (998 characters at most). */
const MAX_ID_KEY = 200;

/** One message: the target's sender, its recipients unless `to` says otherwise. */
export interface EmailMail {
  subject: string;
  text: string;
  html?: string | undefined;
  to?: string[] | undefined;
}

export interface EmailSent {
  /** As the header has it: `<...@durable-runbooks>`. */
  messageId: string;
  accepted: string[];
  rejected: string[];
}

/**
 * `<key@durable-runbooks>` from the step's idempotency key, the same on every retry. Characters
 * outside letters, digits and `_ + / -` are written `=XX` (their UTF-8 bytes; `=` itself too),
 * so two keys never share an ID; a key past 200 characters becomes its SHA-256.
 */
export function emailMessageId(ctx: Pick<StepContext, 'idempotencyKey'>): string {
  const local = ctx.idempotencyKey.replace(/[^A-Za-z0-9_+/-]/gu, (c) =>
    [...Buffer.from(c, 'utf8')].map((b) => `=${b.toString(16).toUpperCase().padStart(2, '0')}`).join(''),
  );
  const id =
    local.length <= MAX_ID_KEY ? local : `sha256=${createHash('sha256').update(ctx.idempotencyKey).digest('hex')}`;
  return `<${id}@${MESSAGE_ID_DOMAIN}>`;
}

/** Where the target's secrets are sent and what the egress policy checks: `smtp(s)://host:port`. */
export function smtpUrl(target: Pick<EmailTarget, 'host' | 'port' | 'secure'>): string {
  const host = isIP(target.host) === 6 ? `[${target.host}]` : target.host;
  return `${target.secure ? 'smtps' : 'smtp'}://${host}:${target.port}`;
}

/** What nodemailer attaches to its errors (duck-typed: errors cross realms under jest). */
interface SmtpError {
  message?: unknown;
  code?: unknown;
  originalCode?: unknown;
  command?: unknown;
  responseCode?: unknown;
}

/** Codes that fail the same way when tried again, whatever the server said. */
const PERMANENT_CODES = new Set(['EAUTH', 'ENOAUTH', 'EENVELOPE', 'ETLS', 'EREQUIRETLS']);

/**
 * A nodemailer error as a failure of the vocabulary. Permanent (SmtpRejected): a 5xx reply (but
 * 503, a session in the wrong state), failed or missing authentication, no recipient accepted, no
 * TLS where required. Retried: 4xx replies, 503, timeouts (Timeout), and the connection failing
 * (typed with Node's code where nodemailer kept it, `ECONNREFUSED`, else its own, `ESOCKET`).
 * `hide` (the credentials) is cut out of the message, which quotes the server's reply.
 */
export function smtpFailure(name: string, err: unknown, hide: readonly string[] = []): ApplicationFailure {
  const e: SmtpError = typeof err === 'object' && err !== null ? (err as SmtpError) : { message: String(err) };
  const code = typeof e.code === 'string' ? e.code : undefined;
  const reply = typeof e.responseCode === 'number' ? e.responseCode : undefined;
  const where = [code, typeof e.command === 'string' ? e.command : undefined].filter(Boolean).join(' ');
  let message = `email target '${name}': ${typeof e.message === 'string' ? e.message : 'the send failed'}`;
  message = `${message.slice(0, 600)}${where ? ` (${where})` : ''}`;
  for (const value of hide) if (value.length > 0) message = message.split(value).join('[redacted]');

  if (code === 'ECONFIG') return permanent(message, FAILURE.InvalidInput);
  if (reply !== undefined) {
    // RFC 5321: 5yz is a permanent refusal, 4yz a transient one; 503 is a bad command sequence.
    if (reply >= 500 && reply < 600 && reply !== 503) return permanent(message, FAILURE.SmtpRejected);
    if (reply >= 400) return transient(message, code ?? 'SMTP');
  }
  if (code !== undefined && PERMANENT_CODES.has(code)) return permanent(message, FAILURE.SmtpRejected);
  if (code === 'ETIMEDOUT') return ApplicationFailure.retryable(message, FAILURE.Timeout);
  return transient(message, typeof e.originalCode === 'string' ? e.originalCode : (code ?? 'Error'));
}

/** Retried, typed with the client's own code (not one of the vocabulary's). */
function transient(message: string, type: string): ApplicationFailure {
  return ApplicationFailure.create({ message, type, nonRetryable: false });
}

/** Header values on one line: a step or workflow id never starts a header of its own. */
const oneLine = (s: string): string => s.replace(/[\r\n]+/g, ' ');

export function createEmailSender(deps: Omit<NotifyDeps, 'targets'>) {
  /** Sends one message; answers its Message-ID and the recipients the server accepted and refused. */
  async function send(name: string, target: EmailTarget, mail: EmailMail, ctx: StepContext): Promise<EmailSent> {
    const url = smtpUrl(target);
    // Checked against secrets.<name>.sendTo before any connection: credentials go to this server only.
    const auth =
      target.usernameSecret && target.passwordSecret
        ? {
            user: await deps.secrets.resolveFor(target.usernameSecret, url),
            pass: await deps.secrets.resolveFor(target.passwordSecret, url),
          }
        : undefined;
    const addresses = await deps.egress.checkHost(url);
    const messageId = emailMessageId(ctx);
    const hide = auth ? [auth.pass, auth.user] : [];
    for (const [i, address] of addresses.entries()) {
      const transport = createTransport({
        host: address,
        port: target.port,
        secure: target.secure,
        requireTLS: target.requireTLS,
        ...(auth ? { auth } : {}),
        ...TIMEOUTS,
        // The certificate must name the host configured, not the address connected to.
        tls: { minVersion: 'TLSv1.2', ...(isIP(target.host) ? {} : { servername: target.host }) },
        // A message is text we write: nothing in it is a file to read or a URL to fetch.
        disableFileAccess: true,
        disableUrlAccess: true,
        logger: false,
      });
      try {
        const info = await transport.sendMail({
          from: target.from,
          to: mail.to ?? target.to,
          subject: mail.subject,
          text: mail.text,
          ...(mail.html !== undefined ? { html: mail.html } : {}),
          messageId,
          headers: { 'X-Runbook-Run': oneLine(ctx.workflowId), 'X-Runbook-Step': oneLine(ctx.stepId) },
        });
        return { messageId, accepted: info.accepted.map(String), rejected: info.rejected.map(String) };
      } catch (err) {
        // Not connected at all (nothing was sent): the next checked address, if the name has one.
        const unreached = (err as SmtpError | null)?.command === 'CONN';
        if (!unreached || i === addresses.length - 1) throw smtpFailure(name, err, hide);
      } finally {
        transport.close();
      }
    }
    // checkHost answers at least one address, or refuses.
    throw permanent(`email target '${name}': no address to connect to`, FAILURE.EgressRefused);
  }
  return { send };
}

export function createEmailActivities(deps: NotifyDeps) {
  const email = createEmailSender(deps);
  const webhook = createWebhookSender(deps);

  async function notifyEmailSend(input: NotifyEmailSendInput, ctx: StepContext): Promise<NotifyEmailSendResult> {
    const target = targetNamed(deps.targets, input.target);
    const mail: EmailMail = { subject: input.subject, text: input.text, html: input.html, to: input.to };
    if (target.kind === 'email') {
      const sent = await email.send(input.target, target, mail, ctx);
      toldSent(deps, 'email', input.target, input.subject, ctx.workflowId);
      return { target: input.target, ...sent, delivered: sent.accepted.length > 0 };
    }
    // Development: the message as it would be sent lands in the dev inbox.
    if (target.kind === 'webhook' && target.inboxFor === 'email') {
      const messageId = emailMessageId(ctx);
      const to = input.to ?? [];
      await webhook.postJson(input.target, target, { messageId, ...mail, to, runbook: ctx.runbookId }, ctx);
      return { target: input.target, messageId, accepted: to, rejected: [], delivered: true };
    }
    const kind = target.kind === 'webhook' ? (target.inboxFor ?? 'webhook') : target.kind;
    return notThatKind(input.target, kind, 'notify:email:send', 'email');
  }

  return { notifyEmailSend };
}
