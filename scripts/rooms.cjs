/**
 * The rooms of src/ and which may import which: a DAG from workflow-safe `shared` up to the
 * process roots. `npm run lint` checks it (.dependency-cruiser.cjs builds its rules from this
 * table; type-only imports count), and docs/architecture.md shows the same table (a test keeps
 * the two equal).
 *
 * A room may import itself and the rooms it lists; nothing else under src/.
 */
const ROOMS = {
  // Workflow-safe: deterministic, no Node APIs, no I/O. Also limited in packages (below).
  shared: [],
  workflows: ['shared', 'activities (types only)'],
  // Node-side foundations.
  platform: ['shared'],
  files: ['shared'],
  catalog: ['shared'],
  config: ['shared', 'files'],
  runbooks: ['shared', 'files', 'catalog'],
  // Chaos experiment files (experiments/*.yaml): loaded and checked like runbooks.
  experiments: ['shared', 'files', 'catalog'],
  // Side effects and clients.
  activities: ['shared', 'catalog', 'config', 'runbooks', 'platform'],
  runs: ['shared', 'config', 'runbooks', 'platform'],
  schedules: ['shared', 'config', 'runbooks', 'runs', 'platform'],
  alerts: ['shared', 'config', 'runbooks', 'runs', 'platform'],
  devserver: ['shared', 'platform'],
  // Operational events to Redis (Pub/Sub and a stream); Node-side, never reached from workflows.
  events: ['shared', 'config'],
  // Process roots.
  worker: ['shared', 'config', 'runbooks', 'experiments', 'catalog', 'activities', 'platform', 'devserver', 'events'],
  api: ['shared', 'config', 'runbooks', 'experiments', 'catalog', 'files', 'runs', 'schedules', 'alerts', 'platform'],
  cli: ['shared', 'config', 'runbooks', 'experiments', 'files', 'runs', 'schedules', 'alerts'],
  // src/main.ts (npm start) composes every room but the CLI.
  main: [
    'shared',
    'config',
    'runbooks',
    'experiments',
    'catalog',
    'files',
    'runs',
    'schedules',
    'alerts',
    'platform',
    'activities',
    'devserver',
    'worker',
    'api',
    'events',
  ],
};

/** Packages workflow-safe code may use: the sandbox has no Node builtins, and replay must be deterministic. */
const WORKFLOW_PACKAGES = ['@temporalio/workflow', '@temporalio/common'];
const WORKFLOW_SAFE = ['shared', 'workflows'];

module.exports = { ROOMS, WORKFLOW_PACKAGES, WORKFLOW_SAFE };
