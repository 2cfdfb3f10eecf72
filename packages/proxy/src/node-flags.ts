// The V8 flags the switchyard-proxy command starts node with (its shebang; decisions.md §3).
// Tests and benchmarks that start dist/main.js directly use these, so they run the proxy as
// users do; a test checks that the shebang says the same.
export const PROXY_NODE_FLAGS: readonly string[] = [
  // A small young generation: V8 would grow it to 64 MB under load for a few MB of live data.
  '--max-semi-space-size=2',
  // Compact the old generation at 1.5× its live data, not about 4×: 50 MB less at peak.
  '--heap-growing-percent=50',
  // V8 learns from a burst that per-request objects outlive a scavenge and then allocates them
  // straight into the old generation, where they are garbage that only a full mark-compact
  // frees. Without it: about 5% more throughput and half the p99 under full load.
  '--no-allocation-site-pretenuring',
]
