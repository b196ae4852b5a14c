/**
 * Alerts joining an incident: every signed notice for the service's open incident is taken once
 * (the kit's replay guard), put on the timeline when an alert starts firing or resolves, raises
 * the severity when its label says worse, and reopens an incident being monitored. When every
 * alert the incident has seen has resolved, the incident resolves itself.
 */
import type { AlertNotice } from '../../shared/alert';
import { moreSevere, severityOf, type SeverityScheme } from '../../shared/severity';
import type { IncidentBook } from './book';

/** Alerts an incident tracks by fingerprint (the oldest resolved ones are forgotten first). */
const TRACKED_MAX = 200;

export interface AlertHooks {
  severityRaised(): void;
  reopen(reason: string): void;
  allResolved(): void;
}

export class IncidentAlerts {
  /** fingerprint -> firing */
  private readonly firing = new Map<string, boolean>();

  constructor(
    private readonly book: IncidentBook,
    private readonly hooks: AlertHooks,
    private readonly scheme: SeverityScheme,
    carried: string[] = [],
  ) {
    for (const f of carried) this.firing.set(f, true);
  }

  /** The fingerprints still firing (what a continued run carries). */
  state(): string[] {
    return [...this.firing].flatMap(([f, on]) => (on ? [f] : []));
  }

  take(n: AlertNotice): void {
    const a = n.alert;
    const name = a.labels.alertname ?? a.fingerprint;
    const was = this.firing.get(a.fingerprint);
    const firing = a.status === 'firing';
    if (firing && this.book.record.detectedAt === undefined) this.book.record.detectedAt = a.startsAt;
    if (was !== firing) {
      this.firing.set(a.fingerprint, firing);
      this.bound();
      this.book.add(
        'alert',
        n.route,
        `${name} ${firing ? 'firing' : 'resolved'}${a.labels.severity ? ` (${a.labels.severity})` : ''}`,
        false,
      );
    }
    if (!firing) {
      if ([...this.firing.values()].every((on) => !on) && this.book.open()) this.hooks.allResolved();
      return;
    }
    const sev = a.labels.severity ? severityOf(a.labels.severity, this.scheme) : undefined;
    if (sev && moreSevere(sev, this.book.record.severity)) {
      const from = this.book.record.severity;
      this.book.record.severity = sev;
      this.book.add('severity', n.route, `${from} -> ${sev}: ${name} says ${a.labels.severity}`, false);
      this.hooks.severityRaised();
    }
    if (!this.book.open() && this.book.record.state !== 'closed') this.hooks.reopen(`${name} firing again`);
  }

  private bound(): void {
    if (this.firing.size <= TRACKED_MAX) return;
    for (const [f, on] of this.firing) {
      if (this.firing.size <= TRACKED_MAX) break;
      if (!on) this.firing.delete(f);
    }
  }
}
