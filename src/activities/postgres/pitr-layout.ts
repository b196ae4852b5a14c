/**
 * The pure parts of point-in-time recovery: where things live in a backup store, WAL segment
 * names from LSNs, what pg_basebackup's backup_label and backup_manifest say, and the target time.
 *
 * PITR keeps its own root, `pitr/<database>/` (`wal/` for the archive, `base/<id>/` for base
 * backups), apart from the logical backups' `postgres/<database>/`: seven days of WAL are
 * thousands of objects, and the logical backups' listing must never page through them.
 */

export const pitrPrefixOf = (database: string, prefix?: string): string => prefix ?? `pitr/${database}/`;
export const walPrefixOf = (root: string): string => `${root}wal/`;
export const basePrefixOf = (root: string): string => `${root}base/`;

/** What archive_command may be handed: segments, .partial, .backup and timeline .history files. */
const WAL_FILE = /^([0-9A-F]{24}(\.partial|\.[0-9A-F]{8}\.backup)?|[0-9A-F]{8}\.history)$/;
export const isWalFileName = (name: string): boolean => WAL_FILE.test(name);

/** An LSN (`16/B374D848`) as a bigint. */
export function parseLsn(lsn: string): bigint {
  const m = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(lsn.trim());
  if (!m) throw new Error(`not an LSN: '${lsn}'`);
  return (BigInt(`0x${m[1]}`) << 32n) | BigInt(`0x${m[2]}`);
}

const hex8 = (n: bigint | number): string => n.toString(16).toUpperCase().padStart(8, '0');

/** The segment file holding an LSN (PostgreSQL's XLogFileName). */
export function segmentName(timeline: number, lsn: bigint, segSize: number): string {
  const perId = 0x1_0000_0000n / BigInt(segSize);
  const segNo = lsn / BigInt(segSize);
  return `${hex8(timeline)}${hex8(segNo / perId)}${hex8(segNo % perId)}`;
}

/**
 * Every segment from the one holding `start` to the one holding `end` (inclusive): what a base
 * backup taken with `-X none` needs from the archive to become consistent.
 */
export function segmentsBetween(timeline: number, start: bigint, end: bigint, segSize: number): string[] {
  const out: string[] = [];
  const size = BigInt(segSize);
  // The end LSN points just past the last record: when it sits on a boundary, that segment holds nothing.
  const last = end > start && end % size === 0n ? end - 1n : end;
  for (let seg = start / size; seg <= last / size; seg++) out.push(segmentName(timeline, seg * size, segSize));
  return out;
}

/** The segment after `name` on the same timeline (for telling a gap from the archive's end). */
export function nextSegment(name: string, segSize: number): string {
  const tl = parseInt(name.slice(0, 8), 16);
  const perId = 0x1_0000_0000n / BigInt(segSize);
  const segNo = BigInt(`0x${name.slice(8, 16)}`) * perId + BigInt(`0x${name.slice(16, 24)}`);
  return segmentName(tl, (segNo + 1n) * BigInt(segSize), segSize);
}

export interface BackupLabel {
  startLsn: string;
  startWal: string;
  checkpointLsn: string;
  startTime: string;
  timeline: number;
  label: string;
}

/** backup_label, written by the server into the base backup (`START WAL LOCATION: 0/2000028 (file ...)`). */
export function parseBackupLabel(text: string): BackupLabel {
  const field = (name: string): string => {
    const m = new RegExp(`^${name}: (.*)$`, 'm').exec(text);
    if (!m?.[1]) throw new Error(`backup_label has no ${name}`);
    return m[1].trim();
  };
  const start = /^(\S+) \(file ([0-9A-F]{24})\)$/.exec(field('START WAL LOCATION'));
  if (!start?.[1] || !start[2]) throw new Error('backup_label: START WAL LOCATION unreadable');
  const when = Date.parse(
    field('START TIME').replace(/ ([A-Z]{3,4})$/, (_, tz: string) => (tz === 'UTC' ? 'Z' : ` ${tz}`)),
  );
  return {
    startLsn: start[1],
    startWal: start[2],
    checkpointLsn: field('CHECKPOINT LOCATION'),
    startTime: Number.isNaN(when) ? field('START TIME') : new Date(when).toISOString(),
    timeline: Number(field('START TIMELINE')),
    label: field('LABEL'),
  };
}

/** backup_manifest's WAL range (PostgreSQL 13+): the timeline and LSNs the backup needs replayed. */
export function parseWalRange(manifest: string): { timeline: number; startLsn: string; endLsn: string } {
  const m = JSON.parse(manifest) as { 'WAL-Ranges'?: Array<Record<string, unknown>> };
  const ranges = m['WAL-Ranges'] ?? [];
  // More than one range: the backup was taken from a standby that changed timeline under it.
  const last = ranges[ranges.length - 1];
  const first = ranges[0];
  if (!first || !last) throw new Error('backup_manifest has no WAL-Ranges');
  return { timeline: Number(last.Timeline), startLsn: String(first['Start-LSN']), endLsn: String(last['End-LSN']) };
}

/** The target as PostgreSQL's recovery_target_time wants it, or undefined for 'latest'. */
export function targetOf(target: string): Date | undefined {
  if (target === 'latest') return undefined;
  const t = new Date(target);
  if (Number.isNaN(t.getTime())) throw new Error(`not a time: ${target}`);
  return t;
}

/**
 * The base backup to restore from: the newest whose consistent point is at or before the target
 * (for 'latest', the newest). Restoring from an older one works too, but replays more WAL.
 */
export function pickBase<B extends { consistentAt: string }>(
  backups: readonly B[],
  target: Date | undefined,
): B | undefined {
  return [...backups]
    .filter((b) => !target || Date.parse(b.consistentAt) <= target.getTime())
    .sort((a, b) => Date.parse(b.consistentAt) - Date.parse(a.consistentAt))[0];
}

/** A value for postgresql.conf: single-quoted, quotes doubled. */
export const confValue = (v: string): string => `'${v.replace(/'/g, "''")}'`;

/** Paths we put into a shell command line (restore_command) and Unix socket paths. */
export const SAFE_PATH = /^\/[A-Za-z0-9_./-]*$/;
/** sockaddr_un's sun_path is 108 bytes with its NUL. */
export const MAX_SOCKET_PATH = 107;

/**
 * An ISO 8601 time (`2026-12-01T06:30:25.976765Z`, `...+02:00`) as recovery_target_time takes
 * it: PostgreSQL's check of that setting refuses the `T` and `Z` forms that timestamptz input
 * accepts elsewhere. The digits are kept as given (microseconds are not rounded to milliseconds).
 */
export function recoveryTargetTime(iso: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)\s*(Z|[+-]\d{2}(?::?\d{2})?)$/i.exec(iso.trim());
  if (!m) throw new Error(`not an ISO 8601 time with its offset: ${iso}`);
  const offset = m[3]!.toUpperCase() === 'Z' ? '+00' : m[3]!;
  return `${m[1]} ${m[2]}${offset}`;
}
