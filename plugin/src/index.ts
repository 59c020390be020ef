// What other workspaces (tests) use of the plugin: the session, the browser's live data source, and
// the documented `pools -o csv` columns.
export { openSession, type Session, type SessionOptions } from './data/session.js';
export {
  createLiveSource,
  NO_RESERVATIONS_CRD,
  type LiveEvent,
  type LiveOptions,
  type LiveSource,
} from './data/live.js';
export { POOLS_CSV_COLUMNS } from './commands/pools-csv.js';
