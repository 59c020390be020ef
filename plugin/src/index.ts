// What other workspaces (tests) use of the plugin: the session and the browser's live data source.
export { openSession, type Session, type SessionOptions } from './data/session.js';
export { createLiveSource, type LiveEvent, type LiveOptions, type LiveSource } from './data/live.js';
