/** Incident metrics, told to the worker through sinks (never twice: sinks are not called on replay). */
import { proxySinks } from '@temporalio/workflow';
import type { IncidentMetricsSinks } from '../../shared/sinks';

export const { incidentMetrics } = proxySinks<IncidentMetricsSinks>();
