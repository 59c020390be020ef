// How V8 heap flags trade memory for CPU on a controller-like load, without an API server
// (issue 17, memory): 4 000 retained objects shaped like cached claims, then 300 000 copies parsed
// from JSON and dropped, each also kept for a while in a ring of 3 000 (promoted, then garbage), one
// retained object replaced every 2 000. Prints, per variant (the controller's Node flags plus the
// variant's), the highest committed heap and RSS seen and the CPU time. Each variant runs in a
// fresh process, in turn, --runs times.
//
//   npx tsx --conditions=source test/bench/v8-heap-flags.ts [--runs 3] [--variant=FLAGS]...
// Prints numbers; never fails on them.
import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { getHeapStatistics } from 'node:v8';
import { CONTROLLER_NODE_FLAGS } from '@ipam-in-cluster/controller/node-flags';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    variant: {
      type: 'string',
      multiple: true,
      default: [
        '',
        '--optimize-for-size',
        '--heap-growing-percent=20',
        '--max-semi-space-size=2',
        '--single-threaded-gc',
      ],
    },
    child: { type: 'boolean', default: false },
  },
});

function load(): void {
  const shape = (i: number): unknown => ({
    metadata: {
      name: `c-${String(i)}`,
      namespace: 'bench',
      uid: crypto.randomUUID(),
      labels: { a: `b${String(i)}` },
    },
    spec: { poolRef: { kind: 'InClusterIPPool', name: `p${String(i % 4)}` } },
    status: { conditions: [{ type: 'Ready', status: 'True', message: `${'x'.repeat(200)}${String(i)}` }] },
  });
  const live = Array.from({ length: 4000 }, (_, i) => JSON.parse(JSON.stringify(shape(i))) as unknown);
  const ring = new Array<unknown>(3000).fill(null);
  let maxHeap = 0;
  let maxRss = 0;
  const started = process.cpuUsage();
  for (let i = 0; i < 300_000; i++) {
    const copy = JSON.parse(JSON.stringify(live[i % 4000])) as unknown;
    ring[i % 3000] = copy;
    if (i % 2000 === 0) {
      live[(i / 2000) % 4000] = copy;
      maxHeap = Math.max(maxHeap, getHeapStatistics().total_heap_size);
      maxRss = Math.max(maxRss, process.memoryUsage().rss);
    }
  }
  const cpu = process.cpuUsage(started);
  process.stdout.write(
    `${JSON.stringify({ heapMB: maxHeap / 1048576, rssMB: maxRss / 1048576, cpuSeconds: (cpu.user + cpu.system) / 1e6 })}\n`,
  );
}

if (values.child) {
  load();
} else {
  const runs = Number(values.runs);
  const results = new Map<string, { heapMB: number; rssMB: number; cpuSeconds: number }[]>();
  for (let run = 0; run < runs; run++) {
    for (const variant of values.variant) {
      const flags = variant.split(' ').filter((f) => f !== '');
      const out = execFileSync(
        process.execPath,
        [...CONTROLLER_NODE_FLAGS, ...flags, ...process.execArgv, import.meta.filename, '--child'],
        { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } },
      );
      const list = results.get(variant) ?? [];
      list.push(JSON.parse(out) as { heapMB: number; rssMB: number; cpuSeconds: number });
      results.set(variant, list);
    }
  }
  const median = (xs: number[]): number => xs.toSorted((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
  process.stdout.write(`controller flags: ${CONTROLLER_NODE_FLAGS.join(' ')}; median of ${String(runs)}\n`);
  for (const [variant, list] of results) {
    process.stdout.write(
      `${(variant || '(as shipped)').padEnd(28)} heap ${median(list.map((r) => r.heapMB)).toFixed(1)} MB  RSS ${median(list.map((r) => r.rssMB)).toFixed(1)} MB  CPU ${median(list.map((r) => r.cpuSeconds)).toFixed(2)} s\n`,
    );
  }
}
