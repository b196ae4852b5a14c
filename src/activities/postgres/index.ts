/**
 * The PostgreSQL activities: catalog entries bound to their implementations, over a connector
 * that opens one connection per call to a database named in configuration (client.ts says why).
 */
import { pgHealthRead } from '../../catalog/postgres/health';
import { pgQuerySmoke } from '../../catalog/postgres/query';
import { envelope, type StepMetrics } from '../envelope';
import type { Redactor } from '../redact';
import type { PgConnect } from './client';
import { createHealthAction } from './health';
import { createSmokeAction } from './smoke';

export function createPostgresActivities(deps: { connect: PgConnect; metrics: StepMetrics; redact?: Redactor }) {
  const m = deps.metrics;
  const health = createHealthAction(deps.connect);
  const smoke = createSmokeAction(deps.connect);
  return {
    [pgHealthRead.id]: envelope(pgHealthRead, (i) => health(i), m, deps.redact),
    [pgQuerySmoke.id]: envelope(pgQuerySmoke, (i) => smoke(i), m, deps.redact),
  };
}
