// A digest of a partition's records in order, over what a consumer sees of
// each (timestamp, key, value, headers; not the offset, which a restore
// changes), so a backup, its restore and a live topic can be compared.
import { createHash } from 'node:crypto';
import type { StoredRecord } from '../../domain/backup.ts';

export function recordDigest(): { add: (record: Omit<StoredRecord, 'offset'>) => void; hex: () => string } {
  const hash = createHash('sha256');
  return {
    add(record) {
      hash.update(JSON.stringify([record.timestamp, record.key, record.value, record.headers]));
      hash.update('\n');
    },
    hex: () => hash.digest('hex'),
  };
}
