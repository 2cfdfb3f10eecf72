#!/usr/bin/env node
// Runs the compiled command line (pnpm build writes dist/).
import '../dist/main.js'
