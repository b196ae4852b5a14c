/** Generated artefacts are committed; they must match what the code generates now. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GENERATED } from '../../scripts/generate-schema';

test.each(Object.entries(GENERATED))('%s is up to date (run `npm run schema` if this fails)', (path, make) => {
  expect(readFileSync(join(__dirname, '../..', path), 'utf8')).toBe(make());
});
