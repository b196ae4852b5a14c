/**
 * The incident record: a bounded timeline (oldest dropped, counted), the accounting of seed 004
 * (MTTD, MTTA, MTTR, time to first automated action, approval waits, remediated without a human),
 * and the exports the postmortem starts from (Markdown timeline; seed 002's blameless sections).
 */
import {
  accounting,
  postmortemMarkdown,
  record,
  timelineMarkdown,
  TIMELINE_MAX,
  type IncidentRecord,
} from '../../src/shared/incident';

function incident(): IncidentRecord {
  return {
    id: 'inc-42',
    title: 'Checkout | errors',
    service: 'checkout',
    severity: 'sev1',
    state: 'open',
    detectedAt: '2026-12-01T09:57:00.000Z',
    openedAt: '2026-12-01T10:00:00.000Z',
    roles: {},
    approvalWaitMs: 0,
    timeline: [],
    dropped: 0,
  };
}

test('accounting from the record: detect, acknowledge, resolve, first automated action, no human', () => {
  const r = incident();
  record(r, { at: r.openedAt, kind: 'opened', by: 'system', text: 'from alert HighErrorRate', human: false });
  record(r, {
    at: '2026-12-01T10:00:05.000Z',
    kind: 'runbook',
    by: 'system',
    text: 'high-error-rate started',
    human: false,
  });
  r.firstAutomatedAt = '2026-12-01T10:00:05.000Z';
  r.resolvedAt = '2026-12-01T10:12:00.000Z';
  expect(accounting(r)).toEqual({
    mttdMs: 180_000,
    mttrMs: 720_000,
    firstAutomatedMs: 5_000,
    approvalWaitMs: 0,
    remediatedWithoutHuman: true,
  });
  record(r, { at: '2026-12-01T10:03:00.000Z', kind: 'acknowledged', by: 'bob', text: 'on it', human: true });
  r.acknowledgedAt = '2026-12-01T10:03:00.000Z';
  expect(accounting(r)).toMatchObject({ mttaMs: 180_000, remediatedWithoutHuman: false });
  // Unresolved: nothing claimed about the resolution.
  const open = incident();
  expect(accounting(open)).toEqual({ mttdMs: 180_000, approvalWaitMs: 0, remediatedWithoutHuman: false });
});

test('the timeline is bounded: the oldest entries go, counted, and long texts are cut', () => {
  const r = incident();
  for (let i = 0; i < TIMELINE_MAX + 5; i++)
    record(r, { at: r.openedAt, kind: 'note', by: 'bob', text: `note ${i}`, human: true });
  expect(r.timeline).toHaveLength(TIMELINE_MAX);
  expect(r.dropped).toBe(5);
  expect(r.timeline[0]?.text).toBe('note 5');
  record(r, { at: r.openedAt, kind: 'note', by: 'bob', text: 'x'.repeat(2000), human: true });
  expect(r.timeline.at(-1)?.text).toHaveLength(500);
});

test('Markdown exports: the timeline table (cells escaped) and the blameless postmortem draft', () => {
  const r = incident();
  record(r, { at: r.openedAt, kind: 'opened', by: 'system', text: 'error rate | 12%\nover 5%', human: false });
  record(r, { at: '2026-12-01T10:03:00.000Z', kind: 'acknowledged', by: 'bob', text: 'on it', human: true });
  r.acknowledgedAt = '2026-12-01T10:03:00.000Z';
  r.roles.commander = 'bob';
  expect(timelineMarkdown(r)).toBe(
    [
      '# Checkout \\| errors (inc-42)',
      '',
      '- **Severity:** sev1',
      '- **Service:** checkout',
      '- **Opened:** 2026-12-01T10:00:00.000Z',
      '- **Acknowledged:** 2026-12-01T10:03:00.000Z',
      '- **Incident commander:** bob',
      '',
      '## Timeline',
      '',
      '| when (UTC) | what | who | |',
      '|---|---|---|---|',
      '| 2026-12-01T10:00:00.000Z | opened | system | error rate \\| 12% over 5% |',
      '| 2026-12-01T10:03:00.000Z | acknowledged | bob | on it |',
      '',
    ].join('\n'),
  );
  const pm = postmortemMarkdown(r, '2026-12-03T10:12:00.000Z');
  expect(pm.split('\n').filter((l) => l.startsWith('## '))).toEqual([
    '## Summary',
    '## Impact',
    '## Timeline',
    '## Root causes',
    '## What went well',
    '## What to improve',
    '## Action items',
  ]);
  expect(pm).toContain('Due 2026-12-03T10:12:00.000Z.');
  expect(pm).toContain('Time to detect 3 min, to acknowledge 3 min, to resolve n/a.');
  expect(pm).toContain('| 2026-12-01T10:03:00.000Z | acknowledged | bob | on it |');
});
