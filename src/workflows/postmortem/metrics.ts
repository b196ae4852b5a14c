/** Postmortem metrics, told to the worker through sinks (never twice: sinks are not called on replay). */
import { proxySinks } from '@temporalio/workflow';
import type { PostmortemMetricsSinks } from '../../shared/sinks';

export const { postmortemMetrics } = proxySinks<PostmortemMetricsSinks>();
