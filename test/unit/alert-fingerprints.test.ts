/**
 * Two different label sets never share a run: derived fingerprints encode the label set
 * unambiguously, and a sender's fingerprint that is not the hash of its labels is named together
 * with them. Sound fingerprints (Alertmanager's, derived ones, PagerDuty's incident) keep the run
 * ids they always had.
 */
import { createHash } from 'node:crypto';
import { episodeText, labelFingerprint, prometheusFingerprint, soundFingerprint } from '../../src/alerts/fingerprint';
import { createRouter } from '../../src/alerts/router';
import type { AlertInstance, AlertSource } from '../../src/shared/alert';

// A real Alertmanager notification's alert: its labels and the fingerprint Alertmanager sent.
const AM_LABELS = {
  alertname: 'Deployment',
  app_kubernetes_io_instance: 'eric-oss-common-base',
  app_kubernetes_io_managed_by: 'Helm',
  app_kubernetes_io_name: 'eric-pm-kube-state-metrics',
  app_kubernetes_io_version: '2.1.0_10',
  chart: 'eric-pm-kube-state-metrics-2.1.0_10',
  deployment: 'eric-log-transformer',
  instance: '192.168.69.53:8080',
  job: 'eric-pm-kube-state-metrics',
  kubernetes_name: 'eric-pm-kube-state-metrics',
  kubernetes_namespace: 'eric-eo-cm-ci406',
  namespace: 'eric-eo-cm-ci406',
  severity: 'Warning',
};
const AM_FINGERPRINT = 'fbab788ec4c1018b';

/** FNV-1a 64 with BigInt, straight from its definition, to check the limb arithmetic against. */
function fnvReference(labels: Record<string, string>): string {
  let h = 0xcbf29ce484222325n;
  const add = (b: number) => (h = ((h ^ BigInt(b)) * 0x100000001b3n) & 0xffffffffffffffffn);
  const names = Object.keys(labels).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  for (const n of names) {
    for (const b of Buffer.from(n)) add(b);
    add(255);
    for (const b of Buffer.from(labels[n] as string)) add(b);
    add(255);
  }
  return h.toString(16).padStart(16, '0');
}

function alert(source: AlertSource, fingerprint: string, labels: Record<string, string>): AlertInstance {
  return {
    source,
    status: 'firing',
    fingerprint,
    startsAt: '2026-12-01T10:00:00.000Z',
    labels,
    annotations: {},
    links: [],
  };
}

const router = createRouter([{ id: 'r', match: {}, runbook: 'rb', params: {}, owner: 'bot' }], () => true);
const route = router.routes[0] as (typeof router.routes)[number];
const idOf = (a: AlertInstance) => route.workflowId(a);
/** The run id every alert had before this change: source, key and start time. */
const formerId = (a: AlertInstance) =>
  `alert-r-${createHash('sha256').update(`${a.source}\n${a.fingerprint}\n${a.startsAt}`).digest('hex').slice(0, 24)}`;

test("Prometheus' fingerprint is Alertmanager's", () => {
  expect(prometheusFingerprint(AM_LABELS)).toBe(AM_FINGERPRINT);
  expect(prometheusFingerprint({})).toBe('cbf29ce484222325');
  const sets: Array<Record<string, string>> = [
    { a: '1' },
    { é: 'ü', z: '\u{1f600}', '\uffff': 'x', '\u{10000}': 'y' },
    { b: '', a: '\n' },
    { lone: '\ud800x', low: '\udc00', pair: '\ud83d\ude00', wide: '\u07ff\u0800\uffff' },
  ];
  for (const labels of sets) expect(prometheusFingerprint(labels)).toBe(fnvReference(labels));
});

test('derived fingerprints cannot collide across label sets, and keep the values they had', () => {
  // The first version's text joined name NUL value with SOH: these two shared it.
  expect(labelFingerprint({ a: '1\u0001b\u00002' })).not.toBe(labelFingerprint({ a: '1', b: '2' }));
  expect(labelFingerprint({ a: '1,b=2' })).not.toBe(labelFingerprint({ a: '1', b: '2' }));
  expect(labelFingerprint({ 'a\u0000': 'b' })).not.toBe(labelFingerprint({ a: '\u0000b' }));
  // Order does not matter; label sets without those characters keep their fingerprint.
  expect(labelFingerprint({ b: '2', a: '1' })).toBe(labelFingerprint({ a: '1', b: '2' }));
  const first = createHash('sha256').update('a\u00001\u0001b\u00002').digest('hex').slice(0, 16);
  expect(labelFingerprint({ a: '1', b: '2' })).toBe(first);
});

test('sound fingerprints keep their run ids', () => {
  const am = alert('alertmanager', AM_FINGERPRINT, AM_LABELS);
  const pd = alert('pagerduty', 'PT4KHLK', { alertname: 'checkout down', urgency: 'high' });
  const generic = alert('generic', labelFingerprint({ service: 'billing' }), { service: 'billing' });
  for (const a of [am, pd, generic]) {
    expect(soundFingerprint(a)).toBe(true);
    expect(idOf(a)).toBe(formerId(a));
  }
  // A PagerDuty incident whose urgency changed is the same incident: the same run.
  expect(idOf({ ...pd, labels: { ...pd.labels, urgency: 'low' } })).toBe(idOf(pd));
});

test('a fingerprint that is not its labels hash never lets two label sets share a run', () => {
  for (const source of ['alertmanager', 'grafana', 'generic'] as const) {
    const a = alert(source, 'aaaa000000000001', { alertname: 'ServiceDown', service: 'checkout' });
    const b = alert(source, 'aaaa000000000001', { alertname: 'ServiceDown', service: 'payments' });
    expect(soundFingerprint(a)).toBe(false);
    expect(idOf(a)).not.toBe(idOf(b));
    // The same labels again (a repeat) name the same run.
    expect(idOf({ ...a, labels: { service: 'checkout', alertname: 'ServiceDown' } })).toBe(idOf(a));
  }
  // An Alertmanager fingerprint sent with labels other than those it hashes.
  const forged = alert('alertmanager', AM_FINGERPRINT, { ...AM_LABELS, deployment: 'payments' });
  expect(idOf(forged)).not.toBe(idOf(alert('alertmanager', AM_FINGERPRINT, AM_LABELS)));
});

test('the texts that name episodes are unambiguous', () => {
  // A fingerprint holding a newline and what follows it cannot pass for a combined one.
  const plain = alert('generic', 'x', { a: '1' });
  const tricky = alert('generic', `x\n${plain.startsAt}`, { a: '1' });
  expect(episodeText(plain)).not.toBe(episodeText(tricky));
  expect(episodeText(plain).startsWith('[')).toBe(true);
  expect(episodeText(alert('pagerduty', 'P1', {})).startsWith('pagerduty\n')).toBe(true);
});
