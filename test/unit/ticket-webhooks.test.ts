/**
 * Tracker webhooks: GitHub's `X-Hub-Signature-256` and Jira's `X-Hub-Signature` (sha256) over
 * the raw body, checked against GitHub's documented vector and refused when tampered, missing or
 * of the wrong length; and the few fields read from `issues` and Jira issue events, with hostile
 * bodies answered undefined.
 */
import {
  hubSignature,
  MAX_TICKET_EVENT_BYTES,
  parseGithubIssueEvent,
  parseJiraIssueEvent,
  verifyGithubSignature,
  verifyJiraSignature,
} from '../../src/api/ticket-webhooks';

// GitHub's own example (docs: validating webhook deliveries).
const SECRET = Buffer.from("It's a Secret to Everybody");
const BODY = 'Hello, World!';
const SIGNATURE = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';

describe.each([
  ['GitHub (X-Hub-Signature-256)', verifyGithubSignature],
  ['Jira (X-Hub-Signature)', verifyJiraSignature],
])('%s', (_name, verify) => {
  test("GitHub's documented vector verifies", () => {
    expect(hubSignature(SECRET, BODY)).toBe(SIGNATURE);
    expect(verify(SECRET, SIGNATURE, BODY)).toBe(true);
    // Hex in capitals is the same signature.
    expect(verify(SECRET, `sha256=${SIGNATURE.slice(7).toUpperCase()}`, BODY)).toBe(true);
  });

  test('a tampered body, signature or secret does not', () => {
    expect(verify(SECRET, SIGNATURE, 'Hello, World?')).toBe(false);
    expect(verify(SECRET, SIGNATURE, `${BODY} `)).toBe(false);
    const flipped = `${SIGNATURE.slice(0, -1)}${SIGNATURE.endsWith('7') ? '8' : '7'}`;
    expect(verify(SECRET, flipped, BODY)).toBe(false);
    expect(verify(Buffer.from("It's a Secret to Everybody!"), SIGNATURE, BODY)).toBe(false);
  });

  test('missing, empty, of the wrong length or scheme: refused (no throw)', () => {
    expect(verify(SECRET, undefined, BODY)).toBe(false);
    expect(verify(SECRET, '', BODY)).toBe(false);
    expect(verify(SECRET, SIGNATURE.slice(0, -2), BODY)).toBe(false);
    expect(verify(SECRET, `${SIGNATURE}00`, BODY)).toBe(false);
    expect(verify(SECRET, SIGNATURE.slice(7), BODY)).toBe(false);
    expect(verify(SECRET, `sha1=${SIGNATURE.slice(7)}`, BODY)).toBe(false);
    expect(verify(SECRET, 'sha256=é'.padEnd(SIGNATURE.length, 'x'), BODY)).toBe(false);
  });

  test('an empty secret verifies nothing, not even its own signature', () => {
    expect(verify(Buffer.alloc(0), hubSignature(Buffer.alloc(0), BODY), BODY)).toBe(false);
  });
});

const githubClosed = {
  action: 'closed',
  issue: {
    number: 41,
    state: 'closed',
    state_reason: 'completed',
    body: 'Timeline.\n\n<!-- durable-runbooks:key=postmortem-inc-7/open-issue -->',
    closed_at: '2026-12-01T12:00:00Z',
  },
  repository: { full_name: 'acme/checkout', id: 1 },
  sender: { login: 'octocat' },
};

describe('GitHub issues events', () => {
  test('closed: the issue, its state and reason, the repository, the body', () => {
    expect(parseGithubIssueEvent(JSON.stringify(githubClosed))).toEqual({
      action: 'closed',
      number: 41,
      state: 'closed',
      stateReason: 'completed',
      repo: 'acme/checkout',
      body: githubClosed.issue.body,
    });
  });

  test('reopened, with state_reason null and no body: those left out', () => {
    const e = {
      ...githubClosed,
      action: 'reopened',
      issue: { number: 41, state: 'open', state_reason: null, body: null },
    };
    expect(parseGithubIssueEvent(JSON.stringify(e))).toEqual({
      action: 'reopened',
      number: 41,
      state: 'open',
      repo: 'acme/checkout',
    });
  });

  test.each([
    ['not JSON', 'action=closed'],
    ['an array', '[]'],
    ['null', 'null'],
    ['no issue', JSON.stringify({ action: 'closed', repository: { full_name: 'a/b' } })],
    ['a number as text', JSON.stringify({ ...githubClosed, issue: { ...githubClosed.issue, number: '41' } })],
    ['a fractional number', JSON.stringify({ ...githubClosed, issue: { ...githubClosed.issue, number: 4.1 } })],
    ['an unknown state', JSON.stringify({ ...githubClosed, issue: { ...githubClosed.issue, state: 'merged' } })],
    ['no repository', JSON.stringify({ ...githubClosed, repository: undefined })],
    ['a repository not owner/name', JSON.stringify({ ...githubClosed, repository: { full_name: 'acme' } })],
    ['a repository path', JSON.stringify({ ...githubClosed, repository: { full_name: 'acme/../x' } })],
    ['a dot-dot repository', JSON.stringify({ ...githubClosed, repository: { full_name: '../x' } })],
    ['an action that is not a word', JSON.stringify({ ...githubClosed, action: 'closed; rm -rf' })],
    ['an object as action', JSON.stringify({ ...githubClosed, action: { toString: 'closed' } })],
  ])('%s: undefined', (_what, raw) => {
    expect(parseGithubIssueEvent(raw)).toBeUndefined();
  });

  test('a body past the bound is not parsed; __proto__ keys change nothing', () => {
    const big = JSON.stringify({ ...githubClosed, padding: 'x'.repeat(MAX_TICKET_EVENT_BYTES) });
    expect(parseGithubIssueEvent(big)).toBeUndefined();
    const proto = `{"__proto__":{"polluted":true},${JSON.stringify(githubClosed).slice(1)}`;
    expect(parseGithubIssueEvent(proto)?.number).toBe(41);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('Jira issue events', () => {
  const updated = {
    timestamp: 1764590400000,
    webhookEvent: 'jira:issue_updated',
    issue_event_type_name: 'issue_generic',
    issue: { id: '10007', key: 'OPS-7', fields: { status: { name: 'Done', statusCategory: { key: 'done' } } } },
  };

  test('updated to Done: the key and the status category', () => {
    expect(parseJiraIssueEvent(JSON.stringify(updated))).toEqual({
      webhookEvent: 'jira:issue_updated',
      key: 'OPS-7',
      statusCategory: 'done',
    });
  });

  test('without fields: the key only', () => {
    expect(
      parseJiraIssueEvent(JSON.stringify({ webhookEvent: 'jira:issue_deleted', issue: { key: 'OPS-7' } })),
    ).toEqual({ webhookEvent: 'jira:issue_deleted', key: 'OPS-7' });
  });

  test.each([
    ['not JSON', '{'],
    ['no issue', JSON.stringify({ webhookEvent: 'jira:issue_updated' })],
    ['a key not a Jira key', JSON.stringify({ ...updated, issue: { key: 'ops-7' } })],
    ['a key of another type', JSON.stringify({ ...updated, issue: { key: 7 } })],
    ['no event name', JSON.stringify({ issue: updated.issue })],
    ['too large', JSON.stringify({ ...updated, padding: 'x'.repeat(MAX_TICKET_EVENT_BYTES) })],
  ])('%s: undefined', (_what, raw) => {
    expect(parseJiraIssueEvent(raw)).toBeUndefined();
  });
});
