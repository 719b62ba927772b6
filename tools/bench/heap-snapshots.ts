// What fills the V8 heaps of a running keelson process: its main thread's and
// each worker thread's (the Temporal SDK runs the workflows on one), from a
// heap snapshot of each, taken over the inspector. SIGUSR1 opens the inspector
// of a process that runs without it, so the memory measured before had no
// inspector to pay for. Each snapshot is summarised by what its objects are
// (V8's node types) and by the constructors or strings that take the most
// room, by their own sizes; the snapshot files are kept beside the results.
import { readFileSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

export interface HeapSummary {
  thread: string;
  /** Bytes the thread's V8 heap has committed (taken from the system), beside what its objects use. */
  committedBytes: number;
  /** Bytes of all objects in the snapshot (their own sizes). */
  totalBytes: number;
  byType: { type: string; bytes: number; count: number }[];
  /** The largest groups by type and name (a constructor, a string's first characters, a code object's name). */
  top: { type: string; name: string; bytes: number; count: number }[];
  file: string;
}

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

/** Sums a heap snapshot's objects by type and by type and name. */
export function summariseSnapshot(
  text: string,
  top = 15,
): Omit<HeapSummary, 'thread' | 'file' | 'committedBytes'> {
  const parsed = JSON.parse(text) as Snapshot;
  const fields = parsed.snapshot.meta.node_fields;
  const types = parsed.snapshot.meta.node_types[0];
  const width = fields.length;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const sizeAt = fields.indexOf('self_size');
  const byType = new Map<string, { bytes: number; count: number }>();
  const byName = new Map<string, { type: string; name: string; bytes: number; count: number }>();
  let totalBytes = 0;
  for (let i = 0; i < parsed.nodes.length; i += width) {
    const type = types[parsed.nodes[i + typeAt] ?? 0] ?? 'unknown';
    const size = parsed.nodes[i + sizeAt] ?? 0;
    const rawName = parsed.strings[parsed.nodes[i + nameAt] ?? 0] ?? '';
    // Strings are named by their text: grouped by their first characters, not one group each.
    const name = type === 'string' || type === 'concatenated string' ? rawName.slice(0, 40) : rawName;
    totalBytes += size;
    const t = byType.get(type) ?? { bytes: 0, count: 0 };
    t.bytes += size;
    t.count++;
    byType.set(type, t);
    const key = `${type}\u0000${name}`;
    const n = byName.get(key) ?? { type, name, bytes: 0, count: 0 };
    n.bytes += size;
    n.count++;
    byName.set(key, n);
  }
  return {
    totalBytes,
    byType: [...byType].map(([type, t]) => ({ type, ...t })).sort((a, b) => b.bytes - a.bytes),
    top: [...byName.values()].sort((a, b) => b.bytes - a.bytes).slice(0, top),
  };
}

/** A process's resident memory by where it is mapped from, in bytes (Linux /proc/<pid>/smaps). */
export interface ResidentBreakdown {
  total: number;
  /** Mapped from files: the Node binary, native add-ons (the Temporal core), other files. */
  files: { file: string; bytes: number }[];
  /** Not backed by a file: the V8 heaps, and native memory (malloc, the Temporal core's allocations, buffers). */
  anonymous: number;
}

export function residentBreakdown(smaps: string): ResidentBreakdown {
  const byFile = new Map<string, number>();
  let anonymous = 0;
  let mapping = '';
  for (const line of smaps.split('\n')) {
    const header = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (header) {
      mapping = header[1] ?? '';
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (!rss) continue;
    const bytes = Number(rss[1]) * 1024;
    if (mapping.startsWith('/')) byFile.set(mapping, (byFile.get(mapping) ?? 0) + bytes);
    else anonymous += bytes; // '', [heap], [stack], [anon:…]
  }
  const files = [...byFile].map(([file, bytes]) => ({ file, bytes })).sort((a, b) => b.bytes - a.bytes);
  return { total: anonymous + files.reduce((sum, f) => sum + f.bytes, 0), files, anonymous };
}

/** The resident memory of process `pid` by where it is mapped from. */
export const residentOf = (pid: number): ResidentBreakdown =>
  residentBreakdown(readFileSync(`/proc/${pid}/smaps`, 'utf8'));

/** A minimal Chrome DevTools Protocol session over the inspector's WebSocket. */
class Inspector {
  #next = 1;
  readonly #pending = new Map<number, (result: unknown) => void>();
  readonly #listeners: ((method: string, params: Record<string, unknown>) => void)[] = [];
  readonly #socket: WebSocket;

  private constructor(socket: WebSocket) {
    this.#socket = socket;
    socket.addEventListener('message', (event) => {
      const message = JSON.parse(String(event.data)) as {
        id?: number;
        result?: unknown;
        method?: string;
        params?: Record<string, unknown>;
      };
      if (message.id !== undefined) this.#pending.get(message.id)?.(message.result);
      else if (message.method)
        for (const listen of this.#listeners) listen(message.method, message.params ?? {});
    });
  }

  static async open(url: string): Promise<Inspector> {
    const socket = new WebSocket(url);
    await new Promise((resolve, reject) => {
      socket.addEventListener('open', resolve, { once: true });
      socket.addEventListener('error', reject, { once: true });
    });
    return new Inspector(socket);
  }

  send(method: string, params: Record<string, unknown> = {}): Promise<unknown> {
    const id = this.#next++;
    const answered = new Promise((resolve) => this.#pending.set(id, resolve));
    this.#socket.send(JSON.stringify({ id, method, params }));
    return answered;
  }

  on(listen: (method: string, params: Record<string, unknown>) => void): void {
    this.#listeners.push(listen);
  }

  close(): void {
    this.#socket.close();
  }
}

/** The committed size of the V8 heap the expression runs in (per thread: each has its own). */
const heapTotalExpression = { expression: 'process.memoryUsage().heapTotal', returnByValue: true };
const heapTotal = (answer: unknown): number =>
  Number((answer as { result?: { value?: unknown } }).result?.value ?? 0);

/** Opens the inspector of process `pid` (SIGUSR1, on 127.0.0.1:9229) and takes a snapshot of every thread's heap. */
export async function snapshotHeaps(pid: number, filePrefix: string): Promise<HeapSummary[]> {
  process.kill(pid, 'SIGUSR1');
  let targets: { webSocketDebuggerUrl: string }[] = [];
  for (let tries = 0; targets.length === 0 && tries < 100; tries++) {
    await sleep(100);
    targets = await fetch('http://127.0.0.1:9229/json/list')
      .then((r) => r.json() as Promise<typeof targets>)
      .catch(() => []);
  }
  const target = targets[0];
  if (!target) throw new Error(`the inspector of process ${pid} did not open on 127.0.0.1:9229`);
  const inspector = await Inspector.open(target.webSocketDebuggerUrl);
  const summaries: HeapSummary[] = [];
  try {
    const save = (thread: string, text: string, committedBytes: number): void => {
      const file = `${filePrefix}-${thread.replace(/[^a-z0-9-]+/gi, '_')}.heapsnapshot`;
      writeFileSync(file, text);
      summaries.push({ thread, file, committedBytes, ...summariseSnapshot(text) });
    };

    // The main thread.
    const chunks: string[] = [];
    inspector.on((method, params) => {
      if (method === 'HeapProfiler.addHeapSnapshotChunk') chunks.push(String(params.chunk));
    });
    await inspector.send('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
    save('main', chunks.join(''), heapTotal(await inspector.send('Runtime.evaluate', heapTotalExpression)));

    // Each worker thread, through a session of its own.
    const workers: { sessionId: string; title: string }[] = [];
    const workerChunks = new Map<string, string[]>();
    const workerAnswers = new Map<string, Map<number, (result: unknown) => void>>();
    inspector.on((method, params) => {
      if (method === 'NodeWorker.attachedToWorker') {
        const info = params.workerInfo as { title?: string; workerId?: string };
        workers.push({
          sessionId: String(params.sessionId),
          title: `worker-${info.workerId ?? workers.length}`,
        });
      } else if (method === 'NodeWorker.receivedMessageFromWorker') {
        const message = JSON.parse(String(params.message)) as {
          id?: number;
          result?: unknown;
          method?: string;
          params?: { chunk?: string };
        };
        const session = String(params.sessionId);
        if (message.method === 'HeapProfiler.addHeapSnapshotChunk')
          workerChunks.get(session)?.push(message.params?.chunk ?? '');
        else if (message.id !== undefined) workerAnswers.get(session)?.get(message.id)?.(message.result);
      }
    });
    await inspector.send('NodeWorker.enable', { waitForDebuggerOnStart: false });
    await sleep(500);
    for (const worker of workers) {
      workerChunks.set(worker.sessionId, []);
      const answers = new Map<number, (result: unknown) => void>();
      workerAnswers.set(worker.sessionId, answers);
      const send = async (id: number, method: string, params: Record<string, unknown> = {}) => {
        const answered = new Promise((resolve) => answers.set(id, resolve));
        await inspector.send('NodeWorker.sendMessageToWorker', {
          sessionId: worker.sessionId,
          message: JSON.stringify({ id, method, params }),
        });
        return answered;
      };
      await send(1, 'HeapProfiler.takeHeapSnapshot', { reportProgress: false });
      const committed = heapTotal(await send(2, 'Runtime.evaluate', heapTotalExpression));
      save(worker.title, (workerChunks.get(worker.sessionId) ?? []).join(''), committed);
    }
  } finally {
    inspector.close();
  }
  return summaries;
}
