/** dependency-cruiser: the room rules of scripts/rooms.cjs, no cycles, and the workflow sandbox's limits. */
const { ROOMS, WORKFLOW_PACKAGES, WORKFLOW_SAFE } = require('./scripts/rooms.cjs');

const roomPath = (room) => (room === 'main' ? '^src/main\\.ts$' : `^src/${room}/`);
// 'activities (types only)' names the room; the types-only limit is a rule of its own below.
const plain = (allowed) => allowed.map((r) => r.split(' ')[0]);

const roomRules = Object.entries(ROOMS).map(([room, allowed]) => ({
  name: `room-${room}`,
  comment: `${room} may import only: ${allowed.join(', ') || 'nothing outside itself'} (docs/architecture.md)`,
  severity: 'error',
  from: { path: roomPath(room) },
  to: { path: '^src/', pathNot: [roomPath(room), ...plain(allowed).map(roomPath)] },
}));

module.exports = {
  forbidden: [
    ...roomRules,
    {
      name: 'no-circular',
      comment: 'No cycles between modules, type imports counted.',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'workflows-activity-types-only',
      comment: 'Workflows import the types of activities, never their values (they run in the sandbox).',
      severity: 'error',
      from: { path: '^src/workflows/' },
      to: { path: '^src/activities/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'workflow-safe-packages',
      comment: `Workflow-safe code (src/shared, src/workflows) uses only ${WORKFLOW_PACKAGES.join(', ')} (type imports of others are fine).`,
      severity: 'error',
      from: { path: `^src/(${WORKFLOW_SAFE.join('|')})/` },
      to: {
        dependencyTypes: ['npm', 'npm-dev', 'npm-optional', 'npm-peer', 'npm-bundled', 'npm-no-pkg', 'npm-unknown'],
        dependencyTypesNot: ['type-only'],
        pathNot: WORKFLOW_PACKAGES.map((p) => `^node_modules/${p}/`),
      },
    },
    {
      name: 'workflow-safe-no-node',
      comment: 'Workflow-safe code uses no Node builtins.',
      severity: 'error',
      from: { path: `^src/(${WORKFLOW_SAFE.join('|')})/` },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      from: { path: '^src/' },
      to: { couldNotResolve: true },
    },
  ],
  options: {
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^dist/' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.json'] },
  },
};
