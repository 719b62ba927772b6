// A small, dependency-free content hash (64-bit FNV-1a, hex) for names and
// config hashes. Domain code runs inside workflows too, where Node's crypto
// module is not available; this only needs to tell contents apart.
const offset = 0xcbf29ce484222325n;
const prime = 0x100000001b3n;
const mask = (1n << 64n) - 1n;

export function contentHash(text: string): string {
  let hash = offset;
  // Over UTF-16 code units, two bytes each: the sandbox need not offer TextEncoder.
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    for (const byte of [unit >> 8, unit & 0xff]) {
      hash ^= BigInt(byte);
      hash = (hash * prime) & mask;
    }
  }
  return hash.toString(16).padStart(16, '0');
}
