/**
 * Who is on call at a moment: rotations (seed 002: primary and secondary, one-week round-robin,
 * follow-the-sun shifts 00-08, 08-16, 16-24 UTC, a daily handoff at each shift change) and
 * overrides with a start and an end. Pure and deterministic, so an incident workflow resolves
 * the on-call at each page from its own clock, and the API and CLI answer the same.
 */

/** A rotation as the configuration gives it, times in UTC. */
export interface Rotation {
  /** e.g. `us`, `eu`, `apac` (one per follow-the-sun shift), or `primary` for one 24/7 rotation. */
  name: string;
  /** The shift's hours of each day, minutes from 00:00 UTC: `[start, end)`; end 1440 is midnight. @default the whole day */
  hours: { from: number; to: number };
  /** When the first person's turn began (ms since the epoch). */
  epochMs: number;
  /** How long each turn lasts. @default one week */
  turnMs: number;
  /** Round-robin order of the primaries. */
  primary: string[];
  /** Round-robin order of the secondaries. @default the primary list, one turn ahead (the next primary backs up) */
  secondary?: string[];
}

/** Someone else takes a role for a while (a swap, a holiday). */
export interface Override {
  /** The rotation it applies to. @default every rotation */
  rotation?: string;
  role: 'primary' | 'secondary';
  who: string;
  startMs: number;
  endMs: number;
}

export interface OnCallConfig {
  rotations: Rotation[];
  overrides: Override[];
}

/** Who holds each role of the shift in force at a moment, and until when nothing changes. */
export interface OnCallNow {
  at: string;
  /** The rotation whose hours cover the moment; undefined when none does (a gap in the configuration). */
  rotation?: string;
  primary?: string;
  secondary?: string;
  /** Roles held by an override now. */
  overridden: Array<'primary' | 'secondary'>;
  /** The next handoff, turn change or override start or end (ISO), when there is one within a turn. */
  until?: string;
}

const DAY_MS = 86_400_000;

/** Floor modulo: negative turns (a moment before the epoch) still land on a member. */
const mod = (n: number, m: number): number => ((n % m) + m) % m;

/** Whether a shift's hours include a minute of the day (a shift may run past midnight: 22:00-06:00). */
export function coversMinute(hours: { from: number; to: number }, minute: number): boolean {
  const { from, to } = hours;
  return from < to ? minute >= from && minute < to : minute >= from || minute < to;
}

function covers(r: Rotation, atMs: number): boolean {
  return coversMinute(r.hours, Math.floor(mod(atMs, DAY_MS) / 60_000));
}

/** The turn number at a moment: which member is on. */
function turn(r: Rotation, atMs: number): number {
  return Math.floor((atMs - r.epochMs) / r.turnMs);
}

function holders(r: Rotation, atMs: number): { primary?: string; secondary?: string } {
  const n = turn(r, atMs);
  const primary = r.primary.length ? r.primary[mod(n, r.primary.length)] : undefined;
  const list = r.secondary ?? r.primary;
  const secondary = list.length ? list[mod(r.secondary ? n : n + 1, list.length)] : undefined;
  return {
    ...(primary !== undefined ? { primary } : {}),
    // Nobody backs themselves up: a one-person primary list has no default secondary.
    ...(secondary !== undefined && (r.secondary || secondary !== primary) ? { secondary } : {}),
  };
}

/** When the rotation's hours next begin or end after `atMs`. */
function nextShiftEdge(r: Rotation, atMs: number): number | undefined {
  if (r.hours.from === 0 && r.hours.to === 1440) return undefined;
  const dayStart = atMs - mod(atMs, DAY_MS);
  const edges = [r.hours.from, r.hours.to % 1440].flatMap((m) => [
    dayStart + m * 60_000,
    dayStart + DAY_MS + m * 60_000,
  ]);
  return Math.min(...edges.filter((e) => e > atMs));
}

/** Who is on call at `atMs`: the first rotation whose hours cover it, with the overrides in force. */
export function onCallAt(config: OnCallConfig, atMs: number): OnCallNow {
  const at = new Date(atMs).toISOString();
  const r = config.rotations.find((x) => covers(x, atMs));
  if (!r) return { at, overridden: [] };
  const now: OnCallNow = { at, rotation: r.name, ...holders(r, atMs), overridden: [] };
  // The last override listed wins where two overlap.
  for (const o of config.overrides) {
    if ((o.rotation !== undefined && o.rotation !== r.name) || atMs < o.startMs || atMs >= o.endMs) continue;
    now[o.role] = o.who;
    if (!now.overridden.includes(o.role)) now.overridden.push(o.role);
  }
  const changes = [
    nextShiftEdge(r, atMs),
    r.epochMs + (turn(r, atMs) + 1) * r.turnMs,
    ...config.overrides.flatMap((o) => [o.startMs, o.endMs]).filter((t) => t > atMs),
  ].filter((t): t is number => t !== undefined);
  if (changes.length) now.until = new Date(Math.min(...changes)).toISOString();
  return now;
}

/** `HH:MM-HH:MM` (UTC) as minutes; `24:00` is midnight at the end. Undefined when malformed. */
export function parseHours(text: string): { from: number; to: number } | undefined {
  const m = /^([01]\d|2[0-4]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$/.exec(text.trim());
  if (!m) return undefined;
  const from = Number(m[1]) * 60 + Number(m[2]);
  const to = Number(m[3]) * 60 + Number(m[4]);
  if (from >= 1440 || to > 1440 || from === to) return undefined;
  return { from, to: to === 0 ? 1440 : to };
}
