// Where a controller start spent its time, read from its own JSON log (level info): how long the
// initial lists took (the slowest cache: they run in parallel and ready waits for all) and the new
// leader's consistent IPAddress read, and whether they were streaming lists. For bench:restart, so a
// slow ready can be told apart: slow lists (API server or our parsing) or something else.

export interface StartPhases {
  /** The slowest initial cache list, seconds. */
  listsSeconds: number | undefined;
  /** Objects in the largest initial cache list. */
  listedObjects: number | undefined;
  /** 'skipped': the IPAddress cache was listed after the lease was won (ADR 0035). */
  leaderReadSeconds: number | 'skipped' | undefined;
  /** Every list and the leader's read were streamed (undefined: none logged). */
  streamed: boolean | undefined;
}

interface LogLine {
  msg?: unknown;
  reason?: unknown;
  objects?: unknown;
  seconds?: unknown;
  streamed?: unknown;
  skipped?: unknown;
}

export function startPhases(logText: string): StartPhases {
  const phases: StartPhases = {
    listsSeconds: undefined,
    listedObjects: undefined,
    leaderReadSeconds: undefined,
    streamed: undefined,
  };
  for (const text of logText.split('\n')) {
    if (!text.startsWith('{')) continue; // --trace-gc and the like share the file
    let line: LogLine;
    try {
      line = JSON.parse(text) as LogLine;
    } catch {
      continue;
    }
    if (line.msg === 'consistent IPAddress read' && typeof line.skipped === 'string') {
      phases.leaderReadSeconds = 'skipped';
      continue;
    }
    if (typeof line.seconds !== 'number' || typeof line.streamed !== 'boolean') continue;
    if (line.msg === 'cache listed' && line.reason === 'initial') {
      phases.listsSeconds = Math.max(phases.listsSeconds ?? 0, line.seconds);
      if (typeof line.objects === 'number') {
        phases.listedObjects = Math.max(phases.listedObjects ?? 0, line.objects);
      }
    } else if (line.msg === 'consistent IPAddress read') {
      phases.leaderReadSeconds = line.seconds;
    } else {
      continue;
    }
    phases.streamed = (phases.streamed ?? true) && line.streamed;
  }
  return phases;
}
