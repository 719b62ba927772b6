/** Clusters of one task queue that may roll at once, unless `--max-concurrent-rolls` says otherwise. */
export const defaultMaxConcurrentRolls = 1;
