#!/usr/bin/env -S node --max-semi-space-size=2
// Runs the compiled command line (pnpm build writes dist/).
import '../dist/main.js'
