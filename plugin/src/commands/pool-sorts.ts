// `pools --sort` choices: a module of its own so the program can declare the flag without loading
// the command (and with it the Kubernetes client).
export const POOL_SORTS = ['name', 'utilisation', 'free', 'used'] as const;
export type PoolSort = (typeof POOL_SORTS)[number];
