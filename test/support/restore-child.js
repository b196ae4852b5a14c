// A process that only runs one pg:backup:restore (from dist/, as the worker would) and says each
// phase on stdout, so a test can kill -9 it in the middle. Args: a JSON of
// { port, storeDir, binDir, input }.
const { createPgConnect, createPgResolve } = require('../../dist/src/activities/postgres/client');
const { createRestoreAction } = require('../../dist/src/activities/postgres/restore');
const { createRunPgTool } = require('../../dist/src/activities/postgres/tools');
const { createLocalStore } = require('../../dist/src/activities/storage/local');
const { createSecretResolver } = require('../../dist/src/activities/secrets');
const { pgBackupRestore } = require('../../dist/src/catalog/postgres/backup');

const a = JSON.parse(process.argv[2]);
const resolve = createPgResolve({
  databases: {
    orders: { host: '127.0.0.1', port: a.port, database: 'postgres', user: 'postgres', application_name: 'child' },
  },
  secrets: createSecretResolver({ env: {} }),
});
const store = createLocalStore('backups', a.storeDir);
const restore = createRestoreAction({
  connect: createPgConnect({ resolve }),
  resolve,
  runTool: createRunPgTool({ binDir: a.binDir }),
  openStore: async () => store,
  progress: () => ({ heartbeat: (d) => process.stdout.write(`${JSON.stringify(d)}\n`), signal: undefined }),
});
const step = { workflowId: 'wf', runId: 'r', stepId: 's', runbookId: 'pg', dryRun: false };
restore(pgBackupRestore.input.parse(a.input), { ...step, idempotencyKey: `wf/restore-${a.input.into}` }).then(
  (r) => process.stdout.write(`done ${JSON.stringify(r)}\n`),
  (e) => {
    process.stdout.write(`failed ${e.message}\n`);
    process.exitCode = 1;
  },
);
