// `pools` flag values (--sort choices, --chunk-size default): a module of its own so the program can
// declare the flags without loading the command (and with it the Kubernetes client).
export const POOL_SORTS = ['name', 'utilisation', 'free', 'used'] as const;
export type PoolSort = (typeof POOL_SORTS)[number];

/** Default `pools --chunk-size`: IPAddresses per list request (figures in docs/performance.md). */
export const DEFAULT_CHUNK_SIZE = 1000;
