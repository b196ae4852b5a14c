import type { TelemetryOptions } from '@temporalio/worker';

/**
 * The SDK's own metrics, served by its core on a private loopback port and merged into the
 * worker's /metrics. Options chosen so the output passes `promtool check metrics`.
 */
export function sdkTelemetry(port: number): TelemetryOptions {
  return {
    metrics: {
      prometheus: { bindAddress: `127.0.0.1:${port}`, countersTotalSuffix: true, useSecondsForDurations: true },
    },
  };
}
