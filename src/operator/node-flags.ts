// The Node.js flags `keelson operator|watch|worker` run with: in the image's
// ENTRYPOINT (deploy/Dockerfile, checked by a unit test), and wherever this
// repository starts the process itself (demo, benchmark, tests).
//
// Node 24 lets each V8 heap's young generation grow to 64 MB, in the main
// thread and again in the worker thread that runs the workflows. An operator
// allocates little and is never short of CPU for collecting it, so 4 MB is
// plenty: idle resident memory 313 → 224 MB. It must be a command-
// line flag: V8 sizes the young generation when the heap is created.
export const nodeFlags = ['--max-semi-space-size=2'] as const;

// glibc gives each thread that allocates its own malloc arena, up to 8 per
// core; the Temporal SDK's Rust core, libuv's pool and V8's helper threads
// all allocate, and memory freed in one arena is not reused by the others. Two
// arenas: 744 → 599 MB with 1,000 clusters cached, 275 → 264 MB idle (README,
// Performance). Read by glibc when the process starts, so it is set in the
// image (deploy/Dockerfile), the chart's Deployment, bin/keelson and wherever
// this repository starts the process itself; a unit test keeps them equal.
export const processEnvironment = { MALLOC_ARENA_MAX: '2' } as const;
