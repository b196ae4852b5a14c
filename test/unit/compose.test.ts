/**
 * The compose deployment, checked without a Docker engine: docker-compose.yml against the Compose
 * specification's JSON schema (as vendored by the dclint package), then what the schema cannot
 * know — images pinned, ports, each service's environment, dependencies, the Dockerfile's outputs —
 * and config/compose.yaml through the real config loader with the environment compose passes.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import Ajv from 'ajv';
import { parseDocument } from 'yaml';
import { loadConfig } from '../../src/config/load';
import { SEARCH_ATTRIBUTE_REGISTRATIONS } from '../../src/shared/constants';

const root = join(__dirname, '../..');
const read = (path: string): string => readFileSync(join(root, path), 'utf8');

type Env = Record<string, string>;
type PortSpec =
  string | number | { target: number | string; published?: number | string; host_ip?: string; protocol?: string };
interface Service {
  image?: string;
  build?: string | { context?: string; dockerfile?: string };
  command?: string | string[];
  environment?: Record<string, string | number | boolean | null> | string[];
  ports?: PortSpec[];
  expose?: Array<string | number>;
  depends_on?: string[] | Record<string, { condition: string }>;
  healthcheck?: { test?: string | string[]; disable?: boolean };
  volumes?: Array<string | { type: string; source?: string; target: string }>;
  secrets?: Array<string | { source: string; target?: string }>;
  container_name?: string;
  restart?: string;
  profiles?: string[];
  deploy?: { replicas?: number };
}
interface ComposeFile {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

// ---- Compose semantics the checks need -------------------------------------------------------

/** Compose's interpolation: $$, $VAR, ${VAR}, ${VAR:-d}, ${VAR-d}, ${VAR:?e}, ${VAR?e}, ${VAR:+a}, ${VAR+a}. */
function interpolate(value: unknown, env: Env): unknown {
  if (typeof value === 'string') {
    return value.replace(
      /\$(?:(\$)|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))/g,
      (_m, dollar, name, op, arg, bare) => {
        if (dollar) return '$';
        const v = env[(name ?? bare) as string];
        const set = v !== undefined;
        const nonEmpty = set && v !== '';
        switch (op as string | undefined) {
          case ':-':
            return nonEmpty ? v : arg;
          case '-':
            return set ? v : arg;
          case ':?':
            if (nonEmpty) return v;
            throw new Error(`required variable ${name}: ${arg}`);
          case '?':
            if (set) return v;
            throw new Error(`required variable ${name}: ${arg}`);
          case ':+':
            return nonEmpty ? arg : '';
          case '+':
            return set ? arg : '';
          default:
            return v ?? '';
        }
      },
    );
  }
  if (Array.isArray(value)) return value.map((v) => interpolate(v, env));
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolate(v, env)]));
  return value;
}

/** Variables compose refuses to start without (`${VAR:?...}` / `${VAR?...}`). */
function requiredVariables(text: string): string[] {
  return [...new Set([...text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*):?\?/g)].map((m) => m[1] as string))].sort();
}

function environmentOf(svc: Service): Env {
  const e = svc.environment ?? {};
  if (Array.isArray(e))
    return Object.fromEntries(e.map((kv) => [kv.split('=')[0] as string, kv.slice(kv.indexOf('=') + 1)]));
  return Object.fromEntries(Object.entries(e).map(([k, v]) => [k, v === null ? '' : String(v)]));
}

function dependencies(svc: Service): Record<string, string> {
  const d = svc.depends_on ?? {};
  return Array.isArray(d)
    ? Object.fromEntries(d.map((n) => [n, 'service_started']))
    : Object.fromEntries(Object.entries(d).map(([n, v]) => [n, v.condition]));
}

interface Published {
  service: string;
  hostIp: string;
  hostPort: string;
  containerPort: string;
  protocol: string;
}

function publishedPorts(name: string, svc: Service): Published[] {
  return (svc.ports ?? []).flatMap((p): Published[] => {
    if (typeof p === 'object') {
      if (p.published === undefined) return [];
      return [
        {
          service: name,
          hostIp: p.host_ip ?? '',
          hostPort: String(p.published),
          containerPort: String(p.target),
          protocol: p.protocol ?? 'tcp',
        },
      ];
    }
    const [spec, protocol = 'tcp'] = String(p).split('/') as [string, string?];
    const parts = spec.split(':');
    if (parts.length < 2) return []; // container port only: the host picks a free one
    const containerPort = parts.pop() as string;
    const hostPort = parts.pop() as string;
    return [{ service: name, hostIp: parts.join(':'), hostPort, containerPort, protocol }];
  });
}

/** Bind mounts as container path -> host path (relative to the compose file). */
function bindMounts(svc: Service): Map<string, string> {
  const out = new Map<string, string>();
  for (const v of svc.volumes ?? []) {
    const [source, target] =
      typeof v === 'string'
        ? (v.split(':') as [string, string?])
        : [v.type === 'bind' ? v.source : undefined, v.target];
    if (source && target && /^[./]/.test(source)) out.set(target, source);
  }
  return out;
}

/** Host path of a path inside a container, through the bind mounts; undefined when not mounted. */
function hostPathOf(svc: Service, containerPath: string): string | undefined {
  for (const [target, source] of bindMounts(svc)) {
    if (containerPath === target || containerPath.startsWith(`${target}/`))
      return join(root, source, posix.relative(target, containerPath));
  }
  return undefined;
}

// ---- What the checks read ------------------------------------------------------------------

const composeText = read('docker-compose.yml');
const composeDoc = parseDocument(composeText, { merge: true });
const required = requiredVariables(composeText);
/** Stand-ins for .env, as `docker compose up` would see them once it is filled in. */
const dotEnv: Env = Object.fromEntries(required.map((n) => [n, `test-${n.toLowerCase().replace(/_/g, '-')}`]));
const compose = interpolate(composeDoc.toJS(), dotEnv) as ComposeFile;
const services = compose.services;
const service = (name: string): Service => {
  const s = services[name];
  if (!s) throw new Error(`docker-compose.yml has no service '${name}'`);
  return s;
};
const byImage = (repo: string): [string, Service][] =>
  Object.entries(services).filter(([, s]) => s.image?.startsWith(`${repo}:`));
const built = Object.entries(services).filter(([, s]) => s.build !== undefined);
const app = ['worker', 'api'] as const;

/** An exact version tag (major.minor at least, optional variant suffix, optional digest); never latest. */
const PINNED =
  /^(?:[a-z0-9.-]+(?::\d+)?\/)?[a-z0-9._/-]+:v?\d+\.\d+(?:\.\d+)?(?:-[A-Za-z0-9._-]+)?(?:@sha256:[a-f0-9]{64})?$/;

function composeSpecSchema(): Record<string, unknown> {
  let pkg: string;
  try {
    pkg = require.resolve('dclint/package.json');
  } catch {
    throw new Error(
      'devDependency dclint (it vendors the Compose specification JSON schema) is not installed: run `npm ci`',
    );
  }
  const schema = JSON.parse(readFileSync(join(dirname(pkg), 'schemas/compose.schema.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  // It declares draft-07 under an https URL that Ajv does not know by that name; draft-07 is Ajv's default.
  delete schema.$schema;
  return schema;
}

// ---- Dockerfile ----------------------------------------------------------------------------

interface Instruction {
  op: string;
  args: string;
}
const dockerfile: Instruction[] = read('Dockerfile')
  .replace(/\\\r?\n/g, ' ')
  .split(/\r?\n/)
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith('#'))
  .map((l) => {
    const m = /^(\S+)\s+(.*)$/.exec(l);
    return { op: (m?.[1] ?? l).toUpperCase(), args: m?.[2] ?? '' };
  });
const stages: Instruction[][] = [];
for (const i of dockerfile) {
  if (i.op === 'FROM') stages.push([i]);
  else stages[stages.length - 1]?.push(i);
}
const finalStage = stages[stages.length - 1] ?? [];

/** `node <file>` from an exec-form command; the file the build must produce. */
function nodeEntry(command: string | string[] | undefined): string {
  const argv =
    typeof command === 'string'
      ? command.trim().startsWith('[')
        ? (JSON.parse(command) as string[])
        : command.split(/\s+/)
      : (command ?? []);
  expect(argv[0]).toBe('node');
  return argv[1] as string;
}

/** The TypeScript source `npm run build` compiles into a dist path (tsconfig rootDir/outDir). */
function sourceOf(distFile: string): string {
  const ts = JSON.parse(read('tsconfig.json')) as { compilerOptions: { rootDir: string; outDir: string } };
  const build = JSON.parse(read('tsconfig.build.json')) as { include: string[] };
  const rel = posix.relative(ts.compilerOptions.outDir, posix.normalize(distFile));
  expect(rel.startsWith('..')).toBe(false);
  const src = posix.join(ts.compilerOptions.rootDir, rel.replace(/\.js$/, '.ts'));
  expect(build.include.some((dir) => src === dir || src.startsWith(`${dir}/`))).toBe(true);
  return src;
}

// ---- The checks ----------------------------------------------------------------------------

describe('docker-compose.yml', () => {
  it('parses as YAML (merge keys resolved) and validates against the Compose specification schema', () => {
    expect(composeDoc.errors.map(String)).toEqual([]);
    expect(composeDoc.warnings.map(String)).toEqual([]);
    const validate = new Ajv({ allErrors: true, strict: false, allowUnionTypes: true }).compile(composeSpecSchema());
    const ok = validate(compose);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it("pins every image to an exact version tag, or builds it from this repository's Dockerfile", () => {
    for (const [name, svc] of Object.entries(services)) {
      if (svc.build !== undefined) {
        const b = typeof svc.build === 'string' ? { context: svc.build } : svc.build;
        expect({ name, context: b.context ?? '.' }).toEqual({ name, context: '.' });
        expect(existsSync(join(root, b.dockerfile ?? 'Dockerfile'))).toBe(true);
      }
      if (svc.image !== undefined || svc.build === undefined)
        expect({ name, image: svc.image }).toEqual({ name, image: expect.stringMatching(PINNED) });
    }
    // Worker and API are one image with two commands, so one build serves both.
    expect(built.map(([n]) => n).sort()).toEqual([...app].sort());
    expect(new Set(built.map(([, s]) => s.image)).size).toBe(1);
  });

  it('publishes ports only for people (the UI and the API), on the loopback, without collisions', () => {
    const published = Object.entries(services).flatMap(([n, s]) => publishedPorts(n, s));
    expect([...new Set(published.map((p) => p.service))].sort()).toEqual(['api', 'temporal-ui']);
    for (const p of published) expect(p.hostIp).toBe('127.0.0.1');
    const keys = published.map((p) => `${p.hostPort}/${p.protocol}`);
    expect(keys.length).toBe(new Set(keys).size);
  });

  it('keeps the worker scalable: no fixed container name or host port, replicas set', () => {
    const worker = service('worker');
    expect(worker.container_name).toBeUndefined();
    expect(publishedPorts('worker', worker)).toEqual([]);
    expect(worker.deploy?.replicas).toBeGreaterThanOrEqual(1);
    for (const [name, svc] of Object.entries(services))
      expect({ name, container_name: svc.container_name }).toEqual({ name, container_name: undefined });
  });

  it('refers only to existing services in depends_on, with conditions the targets can meet', () => {
    for (const [name, svc] of Object.entries(services)) {
      for (const [dep, condition] of Object.entries(dependencies(svc))) {
        const target = service(dep);
        expect({ name, dep, profiles: target.profiles }).toEqual({ name, dep, profiles: undefined });
        if (condition === 'service_healthy')
          expect({ name, dep, healthcheck: Boolean(target.healthcheck?.test && !target.healthcheck.disable) }).toEqual({
            name,
            dep,
            healthcheck: true,
          });
        // A one-shot job must not be restarted once it has exited 0.
        if (condition === 'service_completed_successfully')
          expect({ name, dep, restart: target.restart ?? 'no' }).toEqual({ name, dep, restart: 'no' });
      }
    }
    for (const name of app) {
      expect(dependencies(service(name))).toMatchObject({
        temporal: 'service_healthy',
        'temporal-setup': 'service_completed_successfully',
      });
    }
  });

  it('runs PostgreSQL with a healthcheck and a named volume', () => {
    const [[name, pg] = ['', {}], ...others] = byImage('postgres');
    expect(others).toEqual([]);
    expect(pg.healthcheck?.test).toBeDefined();
    const dataVolume = (pg.volumes ?? []).find(
      (v) => (typeof v === 'string' ? v.split(':')[1] : v.target) === '/var/lib/postgresql/data',
    );
    const volumeName = typeof dataVolume === 'string' ? dataVolume.split(':')[0] : dataVolume?.source;
    expect(Object.keys(compose.volumes ?? {})).toContain(volumeName);
    expect(name).toBe('postgres');
  });

  it('points Temporal, its schema job and its setup at that PostgreSQL with matching credentials', () => {
    const [[pgName] = ['']] = byImage('postgres');
    const pg = environmentOf(service(pgName));
    const [[temporalName, temporal] = ['', {}], ...others] = byImage('temporalio/server');
    expect(others).toEqual([]);
    const t = environmentOf(temporal);
    expect(t).toMatchObject({
      DB: 'postgres12',
      POSTGRES_SEEDS: pgName,
      DB_PORT: pg.PGPORT ?? '5432',
      POSTGRES_USER: pg.POSTGRES_USER,
      POSTGRES_PWD: pg.POSTGRES_PASSWORD,
      BIND_ON_IP: '0.0.0.0',
    });
    expect(t.POSTGRES_PWD).toBeTruthy();
    expect(dependencies(temporal)).toMatchObject({ [pgName]: 'service_healthy' });

    // The schema job: same database settings, and Temporal waits for it to finish.
    const schemaJobs = Object.entries(services).filter(
      ([n, s]) => n !== temporalName && environmentOf(s).DB !== undefined,
    );
    expect(schemaJobs.length).toBe(1);
    const [[jobName, job] = ['', {}]] = schemaJobs;
    const j = environmentOf(job);
    for (const key of ['DB', 'POSTGRES_SEEDS', 'DB_PORT', 'POSTGRES_USER', 'DBNAME', 'VISIBILITY_DBNAME'])
      expect({ key, value: j[key] }).toEqual({ key, value: t[key] });
    expect(j.SQL_PASSWORD).toBe(pg.POSTGRES_PASSWORD);
    expect(dependencies(temporal)).toMatchObject({ [jobName]: 'service_completed_successfully' });

    // The dynamic config file the server is told to read is mounted from this repository.
    const dynamicConfig = hostPathOf(temporal, t.DYNAMIC_CONFIG_FILE_PATH ?? '');
    expect(dynamicConfig && existsSync(dynamicConfig)).toBeTruthy();
    const dc = parseDocument(readFileSync(dynamicConfig as string, 'utf8'));
    expect(dc.errors).toEqual([]);
    for (const values of Object.values(dc.toJS() as Record<string, unknown>)) expect(Array.isArray(values)).toBe(true);
  });

  it("gives every Temporal client the temporal service's address", () => {
    const [[temporalName, temporal] = ['', {}]] = byImage('temporalio/server');
    const address = `${temporalName}:${environmentOf(temporal).FRONTEND_GRPC_PORT ?? '7233'}`;
    const clients = [
      ...app,
      ...byImage('temporalio/ui').map(([n]) => n),
      ...byImage('temporalio/admin-tools')
        .map(([n]) => n)
        .filter((n) => environmentOf(service(n)).DB === undefined),
    ];
    expect(clients).toEqual(expect.arrayContaining(['worker', 'api', 'temporal-ui', 'temporal-setup']));
    for (const name of clients)
      expect({ name, address: environmentOf(service(name)).TEMPORAL_ADDRESS }).toEqual({ name, address });
  });

  it("registers exactly the product's search attributes before workers and the API start", () => {
    const setup = environmentOf(service('temporal-setup'));
    const declared = (setup.RUNBOOKS_SEARCH_ATTRIBUTES ?? '').split(/\s+/).filter(Boolean);
    expect(declared).toEqual(SEARCH_ATTRIBUTE_REGISTRATIONS.map((a) => `${a.name}=${a.type}`));
    expect(setup.TEMPORAL_NAMESPACE).toBe(environmentOf(service('api')).TEMPORAL_NAMESPACE);
  });

  it('runs scripts that exist in this repository, mounted where the commands look', () => {
    for (const [name, svc] of Object.entries(services)) {
      for (const [target, source] of bindMounts(svc))
        expect({ name, target, exists: existsSync(join(root, source)) }).toEqual({ name, target, exists: true });
      const argv = Array.isArray(svc.command) ? svc.command : [];
      for (const arg of argv.filter((a) => a.startsWith('/') && hostPathOf(svc, a) !== undefined)) {
        expect({ name, arg, exists: existsSync(hostPathOf(svc, arg) as string) }).toEqual({ name, arg, exists: true });
      }
    }
  });

  it('lists in deploy/compose/env.example exactly the variables compose requires', () => {
    const example = read('deploy/compose/env.example')
      .split(/\r?\n/)
      .filter((l) => /^[A-Za-z_][A-Za-z0-9_]*=/.test(l))
      .map((l) => l.split('=')[0] as string);
    expect(example.sort()).toEqual(required);
    // No value is shipped: an unfilled copy stops `docker compose up`.
    expect(read('deploy/compose/env.example')).not.toMatch(/^[A-Za-z_][A-Za-z0-9_]*=\S/m);
  });
});

describe('config/compose.yaml', () => {
  it('is what worker and API are told to load, and the image contains it', () => {
    for (const name of app) expect(environmentOf(service(name)).RUNBOOKS_CONFIG).toBe('config/compose.yaml');
    expect(finalStage.some((i) => i.op === 'COPY' && /^config\s/.test(i.args))).toBe(true);
  });

  it('gives the API and every worker the same signing key, from .env', () => {
    const keys = app.map((name) => environmentOf(service(name)).RUNBOOK_SIGNING_KEYS);
    expect(keys[0]).toBe(dotEnv.RUNBOOK_SIGNING_KEYS);
    expect(new Set(keys).size).toBe(1);
  });

  it('names tokens by tokenEnv or tokenFile only, provided to the API and not to the worker', () => {
    const file = parseDocument(read('config/compose.yaml')).toJS() as {
      auth?: { tokens?: Array<Record<string, unknown>> };
    };
    const tokens = file.auth?.tokens ?? [];
    expect(tokens.length).toBeGreaterThan(0);
    const workerEnv = environmentOf(service('worker'));
    for (const t of tokens) if (typeof t.tokenEnv === 'string') expect(workerEnv[t.tokenEnv]).toBeUndefined();
    for (const name of ['api']) {
      const svc = service(name);
      const env = environmentOf(svc);
      for (const t of tokens) {
        expect(
          Object.keys(t)
            .filter((k) => k.startsWith('token'))
            .sort(),
        ).toEqual([t.tokenEnv ? 'tokenEnv' : 'tokenFile']);
        if (typeof t.tokenEnv === 'string')
          expect({ name, tokenEnv: t.tokenEnv, provided: Boolean(env[t.tokenEnv]) }).toEqual({
            name,
            tokenEnv: t.tokenEnv,
            provided: true,
          });
        if (typeof t.tokenFile === 'string') {
          // A Compose secret, mounted at /run/secrets/<name>.
          const secret = /^\/run\/secrets\/([^/]+)$/.exec(t.tokenFile)?.[1];
          const names = (svc.secrets ?? []).map((s) => (typeof s === 'string' ? s : (s.target ?? s.source)));
          expect({ name, tokenFile: t.tokenFile, mounted: secret !== undefined && names.includes(secret) }).toEqual({
            name,
            tokenFile: t.tokenFile,
            mounted: true,
          });
        }
      }
    }
  });

  it.each(app)("loads with the real config loader in the %s container's environment", (name) => {
    const svc = service(name);
    // As each process loads it: the worker without tokens (src/worker/main.ts).
    const config = loadConfig(environmentOf(svc), root, { tokens: name === 'api' });
    const [[temporalName] = ['']] = byImage('temporalio/server');
    expect(config.temporalAddress).toBe(`${temporalName}:7233`);
    expect(config.tokens.map((t) => t.identity).sort()).toEqual(
      name === 'api' ? ['admin', 'alertmanager', 'approver', 'operator', 'viewer'] : [],
    );
    expect(config.api.host).toBe('0.0.0.0');
    const health = JSON.stringify(svc.healthcheck?.test ?? '');
    if (name === 'api') {
      const [api] = publishedPorts('api', svc);
      expect(api?.containerPort).toBe(String(config.api.port));
      expect(config.api.publicUrl).toBe(`http://localhost:${api?.hostPort}`);
      expect(health).toContain(`:${config.api.port}/readyz`);
    } else {
      expect(health).toContain(`:${config.worker.metricsPort}/readyz`);
    }
    const [ui] = publishedPorts('temporal-ui', service('temporal-ui'));
    expect(config.uiUrl).toBe(`http://localhost:${ui?.hostPort}`);
  });
});

describe('Dockerfile', () => {
  it('is multi-stage on pinned base images', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const names: string[] = [];
    for (const [from] of stages) {
      const [image = '', , alias] = (from?.args ?? '').replace(/--platform=\S+\s+/, '').split(/\s+/);
      if (!names.includes(image)) expect(image).toMatch(PINNED);
      if (alias) names.push(alias);
    }
    expect(stages[0]?.[0]?.args ?? '').toMatch(/^node:20\.\d+\.\d+-/);
  });

  it('installs with npm ci, builds, prunes dev dependencies and runs as a non-root user', () => {
    const runs = dockerfile
      .filter((i) => i.op === 'RUN')
      .map((i) => i.args)
      .join('\n');
    expect(runs).toMatch(/\bnpm ci\b/);
    expect(runs).toMatch(/\bnpm run build\b/);
    expect(runs).toMatch(/\bnpm (prune|ci) [^\n]*--omit=dev\b/);
    const user = finalStage.filter((i) => i.op === 'USER').pop()?.args;
    expect(user).toBeDefined();
    expect(['root', '0']).not.toContain(user?.split(':')[0]);
    for (const dir of ['runbooks', 'config'])
      expect(finalStage.some((i) => i.op === 'COPY' && new RegExp(`^${dir}\\s`).test(i.args))).toBe(true);
  });

  it('starts files the build produces: the image CMD and the compose commands', () => {
    const build = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts.build ?? '';
    expect(build).toContain('tsc -p tsconfig.build.json');
    // The prebuilt workflow bundle, so a worker starts without webpack.
    const bundler = /node (\S+build-bundle\.js)/.exec(build)?.[1];
    expect(bundler && existsSync(join(root, sourceOf(bundler)))).toBeTruthy();
    const cmd = finalStage.filter((i) => i.op === 'CMD').pop()?.args;
    const entries = [nodeEntry(cmd), ...app.map((n) => nodeEntry(service(n).command))];
    expect(entries).toEqual(expect.arrayContaining(['dist/src/worker/main.js', 'dist/src/api/main.js']));
    for (const entry of entries)
      expect({ entry, source: existsSync(join(root, sourceOf(entry))) }).toEqual({ entry, source: true });
  });

  it('has a build context (.dockerignore) that keeps secrets and local output out and what it copies in', () => {
    const ignored = read('.dockerignore')
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    expect(ignored).toEqual(expect.arrayContaining(['.env', '.git', 'node_modules', 'dist']));
    const copied = dockerfile
      .filter((i) => i.op === 'COPY' && !i.args.startsWith('--from'))
      .flatMap((i) =>
        i.args
          .replace(/--\S+\s+/g, '')
          .split(/\s+/)
          .slice(0, -1),
      );
    for (const src of copied) {
      expect({ src, exists: existsSync(join(root, src)) }).toEqual({ src, exists: true });
      expect({ src, ignored: ignored.includes(src) || ignored.includes(src.split('/')[0] as string) }).toEqual({
        src,
        ignored: false,
      });
    }
  });
});
