/**
 * Load: 10,000 requests at concurrency 256 against the emulator, all successful; afterwards no socket left open, no
 * fiber left running, and the heap after GC within 1.2× of what it was before.
 *
 * Runs as its own vitest project (`vitest run --project load`), in one fork, so the counts see only this suite.
 */
import * as V8 from "node:v8"
import * as Vm from "node:vm"
import * as Conversations from "@effect-mistral/core/Conversations"
import * as MistralNode from "@effect-mistral/node/MistralNode"
import { MistralEmulator } from "@effect-mistral/emulator"
import { expect, it } from "@effect/vitest"
import { Effect, Redacted, Supervisor } from "effect"
import { KEY, model, shortPolicy, timed } from "./support.js"

const REQUESTS = 10_000
const CONCURRENCY = 256

/** `global.gc`, exposed at run time when node was not started with `--expose-gc`. */
const collectGarbage: () => void = (() => {
  if (typeof globalThis.gc === "function") return globalThis.gc
  V8.setFlagsFromString("--expose-gc")
  return Vm.runInNewContext("gc") as () => void
})()

const settledHeap = Effect.promise(async () => {
  for (let i = 0; i < 3; i++) {
    collectGarbage()
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  return process.memoryUsage().heapUsed
})

const sockets = () => process.getActiveResourcesInfo().filter((kind) => kind === "TCPSocketWrap").length

/** Polls (every 20 ms, at most 5 s) until `f` holds; answers whether it did. */
const eventually = (f: () => boolean) =>
  Effect.promise(async () => {
    const deadline = Date.now() + 5_000
    while (!f() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20))
    return f()
  })

/** How many of `count` requests answered as expected (answers are checked, then dropped: the heap is measured). */
const requests = (count: number) =>
  Effect.suspend(() => {
    let ok = 0
    return Effect.forEach(
      Array.from({ length: count }, (_, i) => i),
      (i) =>
        Effect.map(Conversations.start({ model, inputs: `Load request ${i}`, store: false }), (response) => {
          if (Conversations.outputText(response).startsWith(`Echo: Load request ${i} `)) ok++
        }),
      { concurrency: CONCURRENCY, discard: true }
    ).pipe(Effect.map(() => ok))
  })

/** A client of its own for each run: its connection pool is closed when the run ends. */
const run = (url: string, count: number) =>
  requests(count).pipe(
    Effect.provide(
      MistralNode.layer({
        apiKey: Redacted.make(KEY),
        baseUrl: url,
        retryPolicy: shortPolicy,
        requestTimeout: "30 seconds"
      })
    )
  )

it.scopedLive(
  `${REQUESTS} requests at concurrency ${CONCURRENCY}: all succeed, nothing leaks`,
  () =>
    Effect.gen(function* () {
      const emulator = yield* MistralEmulator.make()
      // warm up (JIT, module state, the emulator's tables), then measure from a quiet process
      yield* run(emulator.url, 500)
      yield* emulator.reset
      expect(yield* eventually(() => sockets() === 0)).toBe(true)
      const heapBefore = yield* settledHeap
      const resourcesBefore = process.getActiveResourcesInfo().length

      const supervisor = yield* Supervisor.track
      const [succeeded, elapsed] = yield* timed(run(emulator.url, REQUESTS).pipe(Effect.supervised(supervisor)))
      expect(succeeded).toBe(REQUESTS)
      const served = yield* Effect.map(
        emulator.requests,
        (log) => log.filter((request) => request.fault === undefined && request.path === "/v1/conversations").length
      )
      expect(served).toBe(REQUESTS)

      // the layer is closed: its sockets (and the server's ends of them) are gone, and so are its fibers
      expect(yield* eventually(() => sockets() === 0)).toBe(true)
      const fibers = yield* supervisor.value
      expect(fibers.length).toBe(0)
      expect(yield* eventually(() => process.getActiveResourcesInfo().length <= resourcesBefore)).toBe(true)

      yield* emulator.reset
      const heapAfter = yield* settledHeap
      const ratio = heapAfter / heapBefore
      console.log(
        `load: ${REQUESTS} requests at concurrency ${CONCURRENCY} in ${Math.round(elapsed)} ms ` +
          `(${Math.round((REQUESTS / elapsed) * 1000)}/s); heap ${(heapBefore / 2 ** 20).toFixed(1)} MiB → ` +
          `${(heapAfter / 2 ** 20).toFixed(1)} MiB (×${ratio.toFixed(3)})`
      )
      expect(ratio).toBeLessThanOrEqual(1.2)
      expect(elapsed).toBeLessThan(60_000)
    }),
  120_000
)
