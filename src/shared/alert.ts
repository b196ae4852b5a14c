/**
 * An alert as every source is reduced to: Alertmanager, Grafana, PagerDuty and generic webhooks
 * all become these, so routing, the run and templates (`alert.labels.x`) see one shape.
 * Plain data: it travels in workflow input and signals (alerts hold no secrets).
 */
export const ALERT_SOURCES = ['alertmanager', 'grafana', 'pagerduty', 'generic'] as const;
export type AlertSource = (typeof ALERT_SOURCES)[number];
export type AlertStatus = 'firing' | 'resolved';

export interface AlertLink {
  name: string;
  url: string;
}

export interface AlertInstance {
  source: AlertSource;
  status: AlertStatus;
  /** Stable identity of the alert (Alertmanager's label hash, a PagerDuty incident id...). */
  fingerprint: string;
  /** When this firing began: with the fingerprint it names one episode (one run). */
  startsAt: string;
  /** When it resolved (resolved alerts only). */
  endsAt?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  links: AlertLink[];
}

/** What a run started by an alert knows of it (the `alert` root of templates, and the status). */
export interface RunAlert extends AlertInstance {
  /** The routing rule that chose the runbook. */
  route: string;
  /** Notifications of this alert the run has seen (the first included). */
  notifications: number;
  firstSeenAt: string;
  lastSeenAt: string;
  /** Set once a resolved notification reached the run. */
  resolvedAt?: string;
}

/** The signal a notification becomes: the alert as sent now, and when the API received it. */
export interface AlertNotice {
  route: string;
  alert: AlertInstance;
  receivedAt: string;
  /** Notifications this one stands for (repeats the API answered without telling the run). @default 1 */
  repeats?: number;
}

/**
 * How long the API's signature on an alert notice is good for. The API signs it as it sends it;
 * an hour covers a call that waited for a slot and a worker that was down a while. A run also
 * refuses a copy of a notice it has taken, or one much older than the newest it took
 * (src/workflows/kit/alert.ts).
 */
export const ALERT_TTL_MS = 60 * 60_000;

/** What the API signs for each alert notice it sends to a run (`purpose: 'alert'`). */
export interface AlertNoticeClaims {
  purpose: 'alert';
  workflowId: string;
  notice: AlertNotice;
  /** When the API signed it (absent from notices signed before replays were checked). */
  issuedAt?: string;
  /** After this the notice changes nothing (absent from notices signed before). */
  expiresAt?: string;
}
