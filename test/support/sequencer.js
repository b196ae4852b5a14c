/**
 * Jest's own order (slowest known files first), with the suite's end checks last: they read what
 * every other file left behind (the workflow histories on the shared Temporal server). The files
 * they wait for are written down here, before any test runs; each file marks itself done
 * (test/support/suite-marks.ts).
 */
const { mkdtempSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join, sep } = require('node:path');
const Sequencer = require('@jest/test-sequencer').default;

const END = `${sep}test${sep}suite-end${sep}`;

class SuiteEndLast extends Sequencer {
  async sort(tests) {
    const sorted = await super.sort(tests);
    const end = sorted.filter((t) => t.path.includes(END));
    const rest = sorted.filter((t) => !t.path.includes(END));
    if (end.length > 0) {
      const dir = mkdtempSync(join(tmpdir(), 'runbooks-suite-'));
      writeFileSync(join(dir, 'expected.json'), JSON.stringify(rest.map((t) => t.path)));
      process.env.RUNBOOKS_SUITE_MARKS = dir;
    }
    return [...rest, ...end];
  }
}

module.exports = SuiteEndLast;
