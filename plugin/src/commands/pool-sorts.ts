// `pools` flag values (--sort choices, --chunk-size default): a module of its own so the program can
// declare the flags without loading the command (and with it the Kubernetes client).
/** --sort values; `utilization` as the controller, metrics and chart spell it. */
export const POOL_SORTS = ['name', 'utilization', 'free', 'used'] as const;
export type PoolSort = (typeof POOL_SORTS)[number];
/** Other spellings --sort takes (`utilisation`, the plugin's first spelling, still works). */
export const POOL_SORT_ALIASES: Readonly<Record<string, PoolSort>> = { utilisation: 'utilization' };

/**
 * Default `pools --chunk-size`: 0, one list request served from the API server's watch cache. Paged
 * (consistent) lists cost the API server 3-4x the CPU on our 1.37 plane (figures in
 * docs/performance.md, "kubectl ipam"); a chunk size bounds the plugin's memory on huge lists.
 */
export const DEFAULT_CHUNK_SIZE = 0;
