/**
 * The shipped monitoring configuration: Alertmanager and Prometheus accept it (amtool, promtool),
 * and every seed alert the rules raise routes, with config/dev.yaml, to a runbook that accepts
 * its params (or is knowingly left unrouted).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { createRouter } from '../../src/alerts/router';
import { loadConfig } from '../../src/config/load';
import { loadLibrary } from '../../src/runbooks/library';
import { prepareStart } from '../../src/runs/start-options';
import type { AlertInstance } from '../../src/shared/alert';
import { requireBinary } from '../support/monitoring';

const root = join(__dirname, '..', '..');

test('amtool and promtool accept deploy/monitoring', () => {
  for (const [tool, args] of [
    ['amtool', ['check-config', 'deploy/monitoring/alertmanager.yml']],
    ['promtool', ['check', 'rules', 'deploy/monitoring/prometheus-rules.yml']],
  ] as const) {
    const r = spawnSync(requireBinary(tool), args, { cwd: root, encoding: 'utf8' });
    expect({ tool, status: r.status, out: r.status === 0 ? '' : r.stdout + r.stderr }).toEqual({
      tool,
      status: 0,
      out: '',
    });
  }
});

test('each seed alert routes to a runbook that accepts its params', () => {
  const config = loadConfig({ RUNBOOKS_CONFIG: 'config/dev.yaml' }, root);
  const library = loadLibrary(join(root, 'runbooks'));
  const router = createRouter(config.alerts.routes, (id) => library.runbooks.has(id));
  const rules = (
    parse(readFileSync(join(root, 'deploy/monitoring/prometheus-rules.yml'), 'utf8')) as {
      groups: Array<{
        rules: Array<{ alert: string; labels: Record<string, string>; annotations: Record<string, string> }>;
      }>;
    }
  ).groups.flatMap((g) => g.rules);
  const routed = rules.map((r) => {
    // As Prometheus sends it: the rule's labels plus alertname and the scrape job.
    const alert: AlertInstance = {
      source: 'alertmanager',
      status: 'firing',
      fingerprint: '0123456789abcdef',
      startsAt: '2026-11-23T00:00:00.000Z',
      labels: { alertname: r.alert, job: 'ai-pipeline', ...r.labels },
      annotations: r.annotations,
      links: [],
    };
    const route = router.match(alert);
    if (!route) return [r.alert, null];
    const p = prepareStart(library, config, {
      runbookId: route.runbook,
      params: route.params(alert),
      trigger: { source: 'alert', requestedBy: route.owner },
    });
    return [r.alert, { runbook: p.runbook.id, service: p.params.service }];
  });
  expect(routed).toEqual([
    ['ServiceDown', { runbook: 'service-down', service: 'ai-pipeline' }],
    ['HighErrorRate', { runbook: 'high-error-rate', service: 'ai-pipeline' }],
    ['KafkaConsumerLag', null],
  ]);
});
