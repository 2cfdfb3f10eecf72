// The proxy's HTTP/1.1 engine against llhttp, node's own parser, with generated input (see
// test/differential/): for every request stream and every backend response, the proxy either
// refuses it or passes on exactly what llhttp frames, and what it sends either way is valid
// RFC 9112. A fixed seed, so a failure here is the same failure everywhere, and a random one,
// so each run also looks somewhere new; fast-check prints the seed and path of a failure,
// shrunk, and the bytes of the case. `pnpm fuzz http1` runs the same properties for longer.
import fc from 'fast-check'
import t from 'tap'
import { requestProperty, responseProperty, startRig } from './differential/property.js'

const FIXED_SEED = 1_104_2026
const RANDOM_SEED = Math.floor(Math.random() * 2 ** 31)

/** Cases per run: about 35 s in all on two busy cores (responses cost more: a close ends some). */
const RUNS = { requests: 1500, responses: 400, randomRequests: 400, randomResponses: 150 }

t.test('differential: the proxy against llhttp', async (t) => {
  const rig = await startRig()
  t.teardown(() => rig.close())
  const options = <T>(seed: number, numRuns: number): fc.Parameters<T> => ({
    seed,
    numRuns,
    // A case has its own bounds (rig.timing); past this one the harness itself is stuck.
    timeout: 3 * rig.timing.hardMs + 5000,
  })

  t.test('requests, fixed seed: refused, or framed exactly as llhttp frames them', async (t) => {
    await fc.assert(requestProperty(rig), options(FIXED_SEED, RUNS.requests))
    t.pass(`${RUNS.requests} request streams`)
  })
  t.test(
    'responses, fixed seed: refused with 502, or relayed exactly as llhttp reads them',
    async (t) => {
      await fc.assert(responseProperty(rig), options(FIXED_SEED, RUNS.responses))
      t.pass(`${RUNS.responses} backend responses`)
    },
  )
  t.test(`requests, random seed ${RANDOM_SEED}`, async (t) => {
    await fc.assert(requestProperty(rig), options(RANDOM_SEED, RUNS.randomRequests))
    t.pass(`${RUNS.randomRequests} request streams`)
  })
  t.test(`responses, random seed ${RANDOM_SEED}`, async (t) => {
    await fc.assert(responseProperty(rig), options(RANDOM_SEED, RUNS.randomResponses))
    t.pass(`${RUNS.randomResponses} backend responses`)
  })
})
