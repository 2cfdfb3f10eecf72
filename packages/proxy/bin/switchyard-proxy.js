#!/usr/bin/env -S node --max-semi-space-size=2 --heap-growing-percent=50 --no-allocation-site-pretenuring
// Runs the compiled command line (pnpm build writes dist/).
import '../dist/main.js'
