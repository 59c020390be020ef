// Public surface of @ipam-in-cluster/controller (for main.ts, tests and embedding).
export { startManager, FIELD_MANAGER, COMPONENT } from './manager/manager.js';
export type { Manager, ManagerOptions } from './manager/manager.js';
export { managerOptions, runFromConfig } from './manager/run.js';
export type { Running } from './manager/run.js';
export { parseFlags } from './config/flags.js';
export type { ControllerConfig } from './config/flags.js';
export { createLogger } from './log/logger.js';
export type { LogLevel, Logger } from './log/logger.js';
export { ControllerMetrics } from './metrics/registry.js';
export {
  PENDING_MAX_AGE_MS,
  PENDING_MAX_SKEW_MS,
  processFenceKey,
  signPending,
  verifyPending,
} from './allocation/fence-key.js';
export type { PendingVerdict } from './allocation/fence-key.js';
