/**
 * Writes the generated, committed artefacts: the runbook and experiment JSON Schemas for editors and the action
 * catalog reference. `npm run schema`; test/unit/generated.test.ts fails when they are stale.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { catalogMarkdown } from '../src/catalog/docs';
import { projectRoot } from '../src/platform/project-root';
import { experimentJsonSchema } from '../src/experiments/schema';
import { runbookJsonSchema } from '../src/runbooks/schema';
import { failureTable } from './failure-table';

export const GENERATED = {
  'schemas/runbook.schema.json': () => `${JSON.stringify(runbookJsonSchema(), null, 2)}\n`,
  'schemas/experiment.schema.json': () => `${JSON.stringify(experimentJsonSchema(), null, 2)}\n`,
  'docs/actions.md': () => `${catalogMarkdown()}\n${failureTable()}`,
};

if (require.main === module) {
  for (const [path, make] of Object.entries(GENERATED)) {
    writeFileSync(join(projectRoot(), path), make());
    console.log(`wrote ${path}`);
  }
}
