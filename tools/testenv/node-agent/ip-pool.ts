// Pod addresses on loopback: each pod name gets its own 127.0.x.y, kept for
// the life of the environment so a recreated pod comes back on the same
// address (as a broker behind a stable DNS name would).
import { readFileSync, writeFileSync } from 'node:fs';

const firstHost = 11; // 127.0.0.1-10 stay free for the environment's own servers

export class IpPool {
  private readonly byPod: Map<string, string>;
  private readonly file: string;

  constructor(file: string) {
    this.file = file;
    let saved: Record<string, string> = {};
    try {
      saved = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
    } catch {
      // first start
    }
    this.byPod = new Map(Object.entries(saved));
  }

  addressOf(namespace: string, name: string): string {
    const key = `${namespace}/${name}`;
    const known = this.byPod.get(key);
    if (known !== undefined) return known;
    const index = this.byPod.size + firstHost;
    if (index > 250 * 254) throw new Error('loopback address pool exhausted');
    const address = `127.0.${Math.floor(index / 254)}.${(index % 254) + 1}`;
    this.byPod.set(key, address);
    writeFileSync(this.file, JSON.stringify(Object.fromEntries(this.byPod), null, 2));
    return address;
  }
}
