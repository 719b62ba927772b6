// How a restore maps committed consumer-group offsets onto the records it
// wrote. A restored partition starts at 0 and holds the backup's records
// with no gaps, while the original had gaps (compaction, aborted
// transactions and their markers, retention before the first record). A
// committed offset names the next record to read, so it maps to the number
// of backed-up records whose original offset is below it: the same record
// is read next, and an offset past every record maps to the end.

/**
 * Fed the original offsets of a partition's records in order, answers where
 * each committed offset of that partition lands.
 */
export function offsetTranslator(committed: readonly bigint[]): {
  /** The record at restored position `index` had original offset `original`. */
  record: (original: bigint, index: number) => void;
  /** After the last record: the restored offset of every committed offset asked about. */
  finish: (count: number) => Map<bigint, number>;
} {
  const waiting = [...new Set(committed)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const mapped = new Map<bigint, number>();
  let next = 0;
  return {
    record(original, index) {
      while (next < waiting.length && (waiting[next] as bigint) <= original)
        mapped.set(waiting[next++] as bigint, index);
    },
    finish(count) {
      while (next < waiting.length) mapped.set(waiting[next++] as bigint, count);
      return mapped;
    },
  };
}
