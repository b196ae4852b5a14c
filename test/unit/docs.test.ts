/**
 * The hand-written docs stay true (STYLE.md 14): every ```yaml block in README.md and docs/*.md
 * goes through the code it documents (runbooks and steps through the runbook loader,
 * configuration through the config loader, experiment files through the experiment loader), blocks that show an error are rejected with the very
 * text the doc prints after them, and every action id docs/seed-coverage.md names exists in the
 * catalog or is marked planned. No server, no build: a doc edit that breaks an example fails here
 * with the doc's file and line.
 *
 * Markers (an HTML comment on the line before the fence; see docs/runbooks.md "Examples in these docs"):
 *   <!-- yaml: error [file] -->        the block must not load; a fenced block right after it (only
 *                                       prose between, no heading) is the loader's message, word for
 *                                       word, for a file of that name (default runbook.yaml/config.yaml)
 *   <!-- yaml: not-a-runbook <kind> --> not for our loaders; parsed as YAML and given a shape check.
 *                                       Kinds: docker-compose, kubernetes, prometheus-rules,
 *                                       alertmanager, other
 * Unmarked blocks are classified by content: a runbook (has id and steps), an experiment (id and
 * method), a step or a list of
 * steps, a runbook fragment (only runbook keys), a configuration file or fragment (only keys of
 * the configuration file). Anything else fails until it is marked.
 *
 * Action ids: a backticked `<system>:<entity>:<verb>` that the catalog lacks must stand on a line
 * carrying the text (planned) outside backticks; a line carrying it must name such an id.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { parseAllDocuments, parseDocument } from 'yaml';
import { catalogEntry } from '../../src/catalog';
import { ConfigError, loadConfig } from '../../src/config/load';
import { ExperimentLoadError, loadExperiment } from '../../src/experiments/load';
import { configFile } from '../../src/config/schema';
import { RunbookLoadError } from '../../src/runbooks/errors';
import { loadRunbookText } from '../../src/runbooks/load';
import { runbookFile, STEP_KIND_KEYS } from '../../src/runbooks/schema';

const ROOT = join(__dirname, '../..');
const DOC_FILES = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

const RUNBOOK_KEYS = new Set(Object.keys(runbookFile.shape));
const CONFIG_KEYS = new Set(Object.keys(configFile.shape));
const NOT_A_RUNBOOK_KINDS = ['docker-compose', 'kubernetes', 'prometheus-rules', 'alertmanager', 'other'] as const;
type OtherKind = (typeof NOT_A_RUNBOOK_KINDS)[number];

interface Marker {
  error?: { file?: string };
  notARunbook?: OtherKind;
}

interface Block {
  doc: string;
  /** 1-based line of the opening fence; the block's first line is fenceLine + 1. */
  fenceLine: number;
  /** Spaces before the fence (a block inside a list item): stripped from every line, added back to columns. */
  indent: number;
  text: string;
  marker: Marker;
  /** For error blocks: the fenced block printed right after it, if any. */
  expectedError?: { text: string; line: number };
}

const FENCE = /^(\s*)(`{3,}|~{3,})(.*)$/;
const MARKER = /^<!--\s*yaml:\s*(.*?)\s*-->$/;

const KIND_LIST = NOT_A_RUNBOOK_KINDS.join('|');

function parseMarker(doc: string, line: number, body: string): Marker {
  const [word, ...rest] = body.split(/\s+/);
  if (word === 'error' && rest.length <= 1) return { error: rest[0] ? { file: rest[0] } : {} };
  if (word === 'not-a-runbook' && rest.length === 1 && (NOT_A_RUNBOOK_KINDS as readonly string[]).includes(rest[0]!))
    return { notARunbook: rest[0] as OtherKind };
  // A typo in a marker would otherwise silently turn it into an unmarked block.
  throw new Error(
    `${doc}:${line}: unknown marker '<!-- yaml: ${body} -->' (use 'error [file]' or 'not-a-runbook <${KIND_LIST}>')`,
  );
}

interface Fence {
  /** The info string's first word, lower case (`yaml`, `text`, `''`). */
  info: string;
  fenceLine: number;
  /** 1-based line of the closing fence. */
  endLine: number;
  indent: number;
  text: string;
}

/** Every fenced block of a Markdown file, in order. */
function fences(doc: string, lines: string[]): Fence[] {
  const out: Fence[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]!);
    if (!open) continue;
    const [, spaces, fence, info] = open as unknown as [string, string, string, string];
    const indent = spaces.length;
    let end = i + 1;
    // A closing fence: the same character, at least as long, nothing after it.
    while (end < lines.length && !new RegExp(`^\\s*${fence[0]}{${fence.length},}\\s*$`).test(lines[end]!)) end++;
    if (end >= lines.length) throw new Error(`${doc}:${i + 1}: fence never closed`);
    const body = lines.slice(i + 1, end).map((l) => l.replace(new RegExp(`^ {0,${indent}}`), ''));
    out.push({
      info: info.trim().split(/\s+/)[0]!.toLowerCase(),
      fenceLine: i + 1,
      endLine: end + 1,
      indent,
      text: body.join('\n'),
    });
    i = end;
  }
  return out;
}

function blocksOf(doc: string): Block[] {
  const lines = readFileSync(join(ROOT, doc), 'utf8').split('\n');
  const all = fences(doc, lines);
  const blocks: Block[] = [];
  all.forEach((f, n) => {
    if (f.info !== 'yaml' && f.info !== 'yml') return;
    let before = f.fenceLine - 2;
    while (before >= 0 && lines[before]!.trim() === '') before--;
    const m = before >= 0 ? MARKER.exec(lines[before]!.trim()) : null;
    const marker = m ? parseMarker(doc, before + 1, m[1]!) : {};
    const block: Block = { doc, fenceLine: f.fenceLine, indent: f.indent, text: f.text, marker };
    const next = all[n + 1];
    if (marker.error && next && next.info !== 'yaml' && next.info !== 'yml') {
      // "Right after": only prose between the two fences, no heading (which would start another topic).
      const between = lines.slice(f.endLine, next.fenceLine - 1);
      if (!between.some((l) => /^#{1,6}\s/.test(l))) block.expectedError = { text: next.text, line: next.fenceLine };
    }
    blocks.push(block);
  });
  return blocks;
}

const BLOCKS = DOC_FILES.flatMap(blocksOf);

/** A doc example wrapped into something a loader takes, and where the example sits in it. */
interface Wrapped {
  text: string;
  /** Line of the wrapped text that holds the block's first line. */
  firstLine: number;
  /** Columns the wrapper added before each of the block's lines. */
  columnShift: number;
  blockLines: number;
}

type Kind = 'runbook' | 'steps' | 'step' | 'runbook-fragment' | 'config' | 'experiment';

function classify(block: Block, value: unknown): Kind {
  if (Array.isArray(value)) {
    if (value.length > 0 && value.every((s) => s !== null && typeof s === 'object' && !Array.isArray(s)))
      return 'steps';
  } else if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value);
    if (keys.includes('id') && keys.includes('steps')) return 'runbook';
    if (keys.includes('id') && keys.includes('method')) return 'experiment';
    if (keys.includes('id') && STEP_KIND_KEYS.some((k) => keys.includes(k))) return 'step';
    if (keys.length > 0 && keys.every((k) => RUNBOOK_KEYS.has(k))) return 'runbook-fragment';
    if (keys.length > 0 && keys.every((k) => CONFIG_KEYS.has(k))) return 'config';
  }
  throw new Error(
    `${block.doc}:${block.fenceLine}: this YAML block is neither a runbook, a step, a runbook fragment nor ` +
      `configuration; mark it with <!-- yaml: not-a-runbook <${KIND_LIST}> --> on the line before the fence`,
  );
}

/** Step ids a block defines (parallel children included). */
function definedSteps(value: unknown): Set<string> {
  const ids = new Set<string>();
  const walk = (steps: unknown): void => {
    if (!Array.isArray(steps)) return;
    for (const s of steps as Array<Record<string, unknown>>) {
      if (typeof s?.id === 'string') ids.add(s.id);
      walk(s?.parallel);
    }
  };
  walk(Array.isArray(value) ? value : [value]);
  return ids;
}

/** Mutating steps an approval's `guards` name, which must come after it in the runbook. */
function guardedSteps(value: unknown): string[] {
  const out: string[] = [];
  const walk = (steps: unknown): void => {
    if (!Array.isArray(steps)) return;
    for (const s of steps as Array<Record<string, unknown>>) {
      const guards = (s?.approval as { guards?: unknown } | undefined)?.guards;
      if (Array.isArray(guards)) out.push(...guards.filter((g): g is string => typeof g === 'string'));
      walk(s?.parallel);
    }
  };
  walk(Array.isArray(value) ? value : [value]);
  return out;
}

const STUB_URL = 'http://127.0.0.1:9/';

/**
 * A minimal runbook around steps: what the example reads but does not define (params, earlier
 * steps, the mutating steps its approval guards) is declared around it, one line each, and the
 * example itself follows `steps:` verbatim, so its lines and columns map back to the doc.
 */
function wrapSteps(block: Block, value: unknown, single: boolean): Wrapped {
  const defined = definedSteps(value);
  const params = [...new Set([...block.text.matchAll(/params\.([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]!))];
  const earlier = [...new Set([...block.text.matchAll(/steps\.([a-z][a-z0-9-]*)/g)].map((m) => m[1]!))].filter(
    (id) => !defined.has(id),
  );
  const later = [...new Set(guardedSteps(value))].filter((id) => !defined.has(id));
  const lines = block.text.split('\n');
  const pad = single ? '' : (/^\s*/.exec(lines.find((l) => l.trim() !== '') ?? '')?.[0] ?? '');
  const item = (stub: object): string => `${pad}- ${JSON.stringify(stub)}`;
  const head = [
    '# docs.test.ts: a runbook around a doc example, which starts after `steps:` and the stubs.',
    'id: doc-example',
    'title: Doc example',
    `params: ${JSON.stringify(Object.fromEntries(params.map((p) => [p, { type: 'string', default: 'example' }])))}`,
    'steps:',
    ...earlier.map((id) => item({ id, action: 'http:endpoint:check', with: { url: STUB_URL } })),
  ];
  const body = single ? lines.map((l, i) => (i === 0 ? `- ${l}` : `  ${l}`)) : lines;
  const tail = later.map((id) => item({ id, action: 'http:request:send', with: { method: 'POST', url: STUB_URL } }));
  return {
    text: [...head, ...body, ...tail].join('\n'),
    firstLine: head.length + 1,
    columnShift: single ? 2 : 0,
    blockLines: lines.length,
  };
}

/** Runbook keys alone (`params:`, `target:`, `alertResolved:`): the missing required keys are added. */
function wrapFragment(block: Block, value: Record<string, unknown>): Wrapped {
  const head = ['# docs.test.ts: a runbook around a doc fragment.'];
  if (!('id' in value)) head.push('id: doc-example');
  if (!('title' in value)) head.push('title: Doc example');
  const params = [...new Set([...block.text.matchAll(/params\.([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]!))];
  const tail: string[] = [];
  if (!('params' in value))
    tail.push(
      `params: ${JSON.stringify(Object.fromEntries(params.map((p) => [p, { type: 'string', default: 'example' }])))}`,
    );
  if (!('steps' in value))
    tail.push(`steps: [${JSON.stringify({ id: 'doc-step', action: 'http:endpoint:check', with: { url: STUB_URL } })}]`);
  const lines = block.text.split('\n');
  return {
    text: [...head, ...lines, ...tail].join('\n'),
    firstLine: head.length + 1,
    columnShift: 0,
    blockLines: lines.length,
  };
}

/** A wrapped position as the doc's `file:line:column`, or as a wrapper line when outside the example. */
function docPosition(block: Block, w: Wrapped, line: number, column: number): string {
  const offset = line - w.firstLine;
  if (offset < 0 || offset >= w.blockLines) return `${block.doc}:${block.fenceLine} (wrapper line ${line})`;
  return `${block.doc}:${block.fenceLine + 1 + offset}:${column - w.columnShift + block.indent}`;
}

/** Where a YAML syntax error sits in the doc. */
function yamlError(
  block: Block,
  e: { message: string; linePos?: [{ line: number; col: number }, ...unknown[]] },
): Error {
  const at = e.linePos?.[0];
  const where = at ? `${block.fenceLine + at.line}:${at.col + block.indent}` : `${block.fenceLine}`;
  return new Error(`${block.doc}:${where}: not valid YAML: ${e.message.split('\n')[0]}`);
}

/** Error examples promise the reader the loader's words: compare them exactly, and say where they are. */
function checkShownError(block: Block, actual: string): void {
  const shown = block.expectedError;
  if (!shown || actual === shown.text.trim()) return;
  throw new Error(
    `${block.doc}:${shown.line}: the error shown is not what the loader says for the example at line ` +
      `${block.fenceLine}.\nshown:\n${shown.text.trim()}\nloader:\n${actual}`,
  );
}

function numbered(text: string): string {
  return text
    .split('\n')
    .map((l, i) => `${String(i + 1).padStart(4)} | ${l}`)
    .join('\n');
}

/** Loads an experiment file's text; returns the loader's message (or undefined when it loads). */
function tryExperiment(text: string, file: string): string | undefined {
  try {
    loadExperiment(text, file);
    return undefined;
  } catch (err) {
    if (err instanceof ExperimentLoadError) return err.message;
    throw err;
  }
}

/** Loads runbook text; returns the load error (or undefined when it loads). */
function tryRunbook(text: string, file: string): RunbookLoadError | undefined {
  try {
    loadRunbookText(text, file);
    return undefined;
  } catch (err) {
    if (err instanceof RunbookLoadError) return err;
    throw err;
  }
}

function runbookFailure(block: Block, w: Wrapped, err: RunbookLoadError, kind: Kind): Error {
  const where = err.problems.map((p) => `  ${docPosition(block, w, p.line, p.column)}: ${p.field}: ${p.message}`);
  const wrapper = w.text === block.text ? '' : `\nloaded as:\n${numbered(w.text)}`;
  return new Error(
    `${block.doc}:${block.fenceLine}: this ${kind} example does not load:\n${where.join('\n')}${wrapper}`,
  );
}

/** Names of env vars and files a configuration block reads secrets from. */
function secretSources(value: unknown): { env: string[]; files: string[] } {
  const env: string[] = [];
  const files: string[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v !== null && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if ((k === 'tokenEnv' || k === 'secretEnv') && typeof x === 'string') env.push(x);
        else if ((k === 'tokenFile' || k === 'secretFile') && typeof x === 'string') files.push(x);
        else walk(x);
      }
    }
  };
  walk(value);
  return { env, files };
}

/**
 * Through the real loader: the block is the file RUNBOOKS_CONFIG names, every variable it names
 * is set, and every relative secret file it names is created beside it. An absolute secret file
 * (`/run/secrets/...`) cannot exist here, so then the loader runs without resolving secrets
 * (`tokens: false`, as the worker does), which still validates the whole file.
 */
function tryConfig(block: Block, fileName: string): string | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'docs-config-'));
  try {
    const path = join(dir, fileName);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, block.text);
    const { env, files } = secretSources(parseDocument(block.text).toJS());
    const vars: Record<string, string> = { RUNBOOKS_CONFIG: path };
    for (const name of env) vars[name] = `doc-example-${name.toLowerCase()}`;
    let resolvedSecrets = true;
    for (const f of files) {
      if (isAbsolute(f)) resolvedSecrets &&= existsSync(f);
      else {
        mkdirSync(dirname(join(dir, f)), { recursive: true });
        writeFileSync(join(dir, f), 'doc-example-secret\n');
      }
    }
    try {
      loadConfig(vars, dir, resolvedSecrets ? {} : { tokens: false });
      return undefined;
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      // The loader names the file it read: give the name the doc uses.
      return err.message.split(path).join(fileName);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function configFailure(block: Block, message: string, fileName: string): Error {
  const mapped = message.replace(
    new RegExp(`${fileName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?::(\\d+):(\\d+))?`, 'g'),
    (_, line?: string, col?: string) =>
      line
        ? `${block.doc}:${block.fenceLine + Number(line)}:${Number(col) + block.indent}`
        : `${block.doc}:${block.fenceLine}`,
  );
  return new Error(`${block.doc}:${block.fenceLine}: this configuration example does not load:\n${mapped}`);
}

/** A light shape check, so a block marked as one kind is not some other thing by mistake. */
const SHAPES: Record<OtherKind, (doc: Record<string, unknown>) => boolean> = {
  'docker-compose': (d) => 'services' in d,
  kubernetes: (d) => typeof d.apiVersion === 'string' && typeof d.kind === 'string',
  'prometheus-rules': (d) => Array.isArray(d.groups),
  alertmanager: (d) => 'route' in d || 'receivers' in d,
  other: () => true,
};

function checkOther(block: Block, kind: OtherKind): void {
  const docs = parseAllDocuments(block.text);
  const list = Array.isArray(docs) ? docs : [docs];
  for (const d of list) {
    const [e] = d.errors;
    if (e) throw yamlError(block, e);
    const value: unknown = d.toJS();
    if (value === null || typeof value !== 'object' || !SHAPES[kind](value as Record<string, unknown>))
      throw new Error(`${block.doc}:${block.fenceLine}: marked not-a-runbook ${kind}, but it does not look like one`);
  }
}

function checkBlock(block: Block): void {
  if (block.marker.notARunbook) {
    expect(block.marker.error).toBeUndefined();
    checkOther(block, block.marker.notARunbook);
    return;
  }
  const parsed = parseDocument(block.text);
  const [syntax] = parsed.errors;
  // An error example may be broken YAML on purpose: the loader then reports it.
  if (syntax && !block.marker.error) throw yamlError(block, syntax);
  const value: unknown = parsed.toJS();
  const kind = classify(block, value);
  const error = block.marker.error;

  if (kind === 'experiment') {
    const fileName = error?.file ?? 'experiment.yaml';
    const message = tryExperiment(block.text, fileName);
    if (!error) {
      if (message !== undefined)
        throw new Error(`${block.doc}:${block.fenceLine}: the experiment example does not load:\n${message}`);
      return;
    }
    if (message === undefined)
      throw new Error(`${block.doc}:${block.fenceLine}: marked error, but the experiment loader accepts it`);
    checkShownError(block, message);
    return;
  }

  if (kind === 'config') {
    const fileName = error?.file ?? 'config.yaml';
    const message = tryConfig(block, fileName);
    if (!error) {
      if (message !== undefined) throw configFailure(block, message, fileName);
      return;
    }
    if (message === undefined)
      throw new Error(`${block.doc}:${block.fenceLine}: marked error, but the config loader accepts it`);
    checkShownError(block, message);
    return;
  }

  const w: Wrapped =
    kind === 'runbook'
      ? { text: block.text, firstLine: 1, columnShift: 0, blockLines: block.text.split('\n').length }
      : kind === 'runbook-fragment'
        ? wrapFragment(block, value as Record<string, unknown>)
        : wrapSteps(block, value, kind === 'step');
  const err = tryRunbook(w.text, error?.file ?? 'runbook.yaml');
  if (!error) {
    if (err) throw runbookFailure(block, w, err, kind);
    return;
  }
  if (!err) throw new Error(`${block.doc}:${block.fenceLine}: marked error, but the runbook loader accepts it`);
  if (block.expectedError) {
    // Word for word only means something for a file the reader could write: the block itself.
    if (kind !== 'runbook')
      throw new Error(`${block.doc}:${block.fenceLine}: an error example with its message must be a whole runbook`);
    checkShownError(block, err.message);
  }
}

describe('YAML examples in the docs load through the real loaders', () => {
  test('the examples are found (README and the generated action reference included)', () => {
    const docs = new Set(BLOCKS.map((b) => b.doc));
    expect(docs).toContain('README.md');
    expect(docs).toContain('docs/actions.md');
    expect(docs).toContain('docs/runbooks.md');
    // An error example must show what it is an example of.
    expect(BLOCKS.filter((b) => b.marker.error && b.expectedError).length).toBeGreaterThan(0);
  });

  test.each(BLOCKS.map((b) => [`${b.doc}:${b.fenceLine}`, b] as const))('%s', (_, block) => {
    checkBlock(block);
  });
});

/** `system:entity:verb` ids in backticks. */
const ACTION_ID = /`([a-z][a-z0-9]*:[a-z][a-z0-9-]*:[a-z][a-z0-9-]*)`/g;
/** The planned marker, outside backticks (the line that defines it quotes it in backticks). */
const PLANNED = /(?<!`)\(planned\)(?!`)/;

function actionIdsByLine(doc: string): Array<{ line: number; text: string; ids: string[] }> {
  return readFileSync(join(ROOT, doc), 'utf8')
    .split('\n')
    .map((text, i) => ({ line: i + 1, text, ids: [...text.matchAll(ACTION_ID)].map((m) => m[1]!) }));
}

describe('action ids in the docs exist, or are marked planned', () => {
  // The generated reference is the catalog itself; seed-coverage.md names the most ids by far.
  const docs = DOC_FILES.filter((d) => d !== 'docs/actions.md');

  test('docs/seed-coverage.md names action ids (the check below has something to check)', () => {
    const ids = actionIdsByLine('docs/seed-coverage.md').flatMap((l) => l.ids);
    expect(ids.filter((id) => catalogEntry(id)).length).toBeGreaterThan(5);
    expect(ids.filter((id) => !catalogEntry(id)).length).toBeGreaterThan(5);
  });

  test.each(docs)('%s', (doc) => {
    const problems: string[] = [];
    for (const { line, text, ids } of actionIdsByLine(doc)) {
      const planned = PLANNED.test(text);
      for (const id of ids.filter((x) => !catalogEntry(x) && !planned))
        problems.push(`${doc}:${line}: \`${id}\` is not in the catalog; write (planned) after it, or use the real id`);
      // A marker on a line whose ids all exist is stale: those actions shipped.
      if (planned && !ids.some((x) => !catalogEntry(x)))
        problems.push(
          `${doc}:${line}: marked (planned), but every action id on the line exists: ${ids.join(', ') || 'none'}`,
        );
    }
    expect(problems).toEqual([]);
  });
});
