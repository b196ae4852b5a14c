/** Every workflow type the worker runs. Deterministic code only (lint enforces it). */
export { runbookWorkflow } from './runbook/workflow';
export { targetLockWorkflow } from './target-lock';
export { controlWorkflow } from './control';
export { incidentWorkflow } from './incident/workflow';
export { postmortemWorkflow } from './postmortem/workflow';
export { backupWorkflow } from './backup/workflow';
export { restoreVerificationWorkflow } from './backup/verify';
export { failoverWorkflow } from './failover/workflow';
export { chaosDrillWorkflow } from './drill/workflow';
