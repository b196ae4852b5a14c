/**
 * One severity ladder for every label the seeds use: sev1-sev4 (002), P0-P3 (003, 004) and
 * P1-P4 (001), plus Alertmanager's `critical` / `warning` / `info` (003). `P1` means sev1 in one
 * scheme and sev2 in another, so which P-labels a team writes is configuration
 * (`incidents.severityLabels`); `sev1`..`sev4` and the words are read in any scheme.
 */
export const SEVERITIES = ['sev1', 'sev2', 'sev3', 'sev4'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const SEVERITY_SCHEMES = {
  sev: ['sev1', 'sev2', 'sev3', 'sev4'],
  'P0-P3': ['P0', 'P1', 'P2', 'P3'],
  'P1-P4': ['P1', 'P2', 'P3', 'P4'],
} as const;
export type SeverityScheme = keyof typeof SEVERITY_SCHEMES;

/** Words alerts and people use, by rung. */
const WORDS: Readonly<Record<string, Severity>> = {
  critical: 'sev1',
  high: 'sev2',
  error: 'sev2',
  major: 'sev2',
  medium: 'sev3',
  warning: 'sev3',
  minor: 'sev3',
  low: 'sev4',
  info: 'sev4',
};

/** The rung a label names in a scheme (case and a `-` or space ignored: `SEV-1`, `p0`); undefined if none. */
export function severityOf(label: string, scheme: SeverityScheme = 'sev'): Severity | undefined {
  const text = label.trim().toLowerCase().replace(/[-\s]/g, '');
  const sev = SEVERITIES.find((s) => s === text);
  if (sev) return sev;
  const i = SEVERITY_SCHEMES[scheme].findIndex((l) => l.toLowerCase() === text);
  if (i >= 0) return SEVERITIES[i];
  return Object.prototype.hasOwnProperty.call(WORDS, text) ? WORDS[text] : undefined;
}

/** How a team writes a rung. */
export function severityLabel(sev: Severity, scheme: SeverityScheme = 'sev'): string {
  return SEVERITY_SCHEMES[scheme][SEVERITIES.indexOf(sev)] as string;
}

/** True when `a` is more severe than `b`. */
export function moreSevere(a: Severity, b: Severity): boolean {
  return SEVERITIES.indexOf(a) < SEVERITIES.indexOf(b);
}
