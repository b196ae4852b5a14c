/**
 * The pure parts of point-in-time recovery (src/activities/postgres/pitr-layout.ts): WAL segment
 * names from LSNs as PostgreSQL names them, backup_label and backup_manifest read, the target as
 * recovery_target_time takes it, and the base backup chosen for a target.
 */
import {
  isWalFileName,
  nextSegment,
  parseBackupLabel,
  parseLsn,
  parseWalRange,
  pickBase,
  recoveryTargetTime,
  segmentName,
  segmentsBetween,
} from '../../src/activities/postgres/pitr-layout';
import { parseArgs } from '../../src/worker/wal-archive';

const MB16 = 16 * 1024 * 1024;

test('segment names follow XLogFileName, for 16 MB and 1 GB segments', () => {
  expect(segmentName(1, parseLsn('0/2000028'), MB16)).toBe('000000010000000000000002');
  expect(segmentName(2, parseLsn('16/B374D848'), MB16)).toBe('0000000200000016000000B3');
  expect(segmentName(1, parseLsn('1/40000000'), 1024 ** 3)).toBe('000000010000000100000001');
  expect(nextSegment('0000000100000000000000FF', MB16)).toBe('000000010000000100000000');
});

test('the segments a base backup needs, an end on a boundary not counting the next', () => {
  expect(segmentsBetween(1, parseLsn('0/2000028'), parseLsn('0/3000100'), MB16)).toEqual([
    '000000010000000000000002',
    '000000010000000000000003',
  ]);
  expect(segmentsBetween(1, parseLsn('0/2000028'), parseLsn('0/3000000'), MB16)).toEqual(['000000010000000000000002']);
  expect(() => parseLsn('nope')).toThrow(/not an LSN/);
});

test('what archive_command may be handed', () => {
  for (const ok of ['000000010000000000000002', '00000002.history', '000000010000000000000002.00000028.backup'])
    expect(isWalFileName(ok)).toBe(true);
  expect(isWalFileName('000000010000000000000002.partial')).toBe(true);
  for (const bad of ['../x', 'RECOVERYXLOG', '00000001000000000000000g']) expect(isWalFileName(bad)).toBe(false);
});

test('backup_label and backup_manifest', () => {
  const label = parseBackupLabel(
    [
      'START WAL LOCATION: 0/2000028 (file 000000010000000000000002)',
      'CHECKPOINT LOCATION: 0/2000060',
      'BACKUP METHOD: streamed',
      'BACKUP FROM: primary',
      'START TIME: 2026-12-01 06:30:25 UTC',
      'LABEL: base1',
      'START TIMELINE: 1',
      '',
    ].join('\n'),
  );
  expect(label).toEqual({
    startLsn: '0/2000028',
    startWal: '000000010000000000000002',
    checkpointLsn: '0/2000060',
    startTime: '2026-12-01T06:30:25.000Z',
    timeline: 1,
    label: 'base1',
  });
  expect(
    parseWalRange(
      JSON.stringify({ 'WAL-Ranges': [{ Timeline: 1, 'Start-LSN': '0/2000028', 'End-LSN': '0/2000100' }] }),
    ),
  ).toEqual({ timeline: 1, startLsn: '0/2000028', endLsn: '0/2000100' });
  expect(() => parseBackupLabel('LABEL: x')).toThrow(/START WAL LOCATION/);
});

test('the target as recovery_target_time takes it, digits kept', () => {
  expect(recoveryTargetTime('2026-12-01T06:30:25.976765Z')).toBe('2026-12-01 06:30:25.976765+00');
  expect(recoveryTargetTime('2026-12-01T08:30:25+02:00')).toBe('2026-12-01 08:30:25+02:00');
  expect(() => recoveryTargetTime('2026-12-01T06:30:25')).toThrow(/offset/);
});

test('the newest base backup consistent at or before the target; latest takes the newest', () => {
  const b = (id: string, consistentAt: string) => ({ id, consistentAt });
  const all = [b('a', '2026-12-01T00:00:00Z'), b('c', '2026-12-03T00:00:00Z'), b('b', '2026-12-02T00:00:00Z')];
  expect(pickBase(all, new Date('2026-12-02T12:00:00Z'))?.id).toBe('b');
  expect(pickBase(all, new Date('2026-12-02T00:00:00Z'))?.id).toBe('b');
  expect(pickBase(all, undefined)?.id).toBe('c');
  expect(pickBase(all, new Date('2026-11-30T00:00:00Z'))).toBeUndefined();
});

test('wal-archive takes the store and database by name and refuses anything that is not a WAL file', () => {
  expect(
    parseArgs([
      '--config',
      'c.yaml',
      '--store',
      's',
      '--database',
      'orders',
      'pg_wal/000000010000000000000002',
      '000000010000000000000002',
    ]),
  ).toEqual({
    config: 'c.yaml',
    store: 's',
    database: 'orders',
    path: 'pg_wal/000000010000000000000002',
    file: '000000010000000000000002',
  });
  expect(() => parseArgs(['--config', 'c.yaml', '--store', 's', 'p', 'f'])).toThrow(/usage/);
  expect(() => parseArgs(['--config', 'c', '--store', 's', '--database', 'd', 'p', '../etc'])).toThrow(/not a WAL/);
});
