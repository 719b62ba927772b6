// A small, dependency-free content hash (64-bit FNV-1a, hex) for names and
// config hashes. Domain code runs inside workflows too, where Node's crypto
// module is not available; this only needs to tell contents apart.
const offset = 0xcbf29ce484222325n;
const prime = 0x100000001b3n;
const mask = (1n << 64n) - 1n;

export function contentHash(text: string): string {
  let hash = offset;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= BigInt(byte);
    hash = (hash * prime) & mask;
  }
  return hash.toString(16).padStart(16, '0');
}
