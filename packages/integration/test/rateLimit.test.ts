import * as Chat from "@effect-mistral/core/Chat"
import * as MistralRateLimit from "@effect-mistral/core/MistralRateLimit"
import * as MistralEmulator from "@effect-mistral/emulator/MistralEmulator"
import * as MistralNode from "@effect-mistral/node/MistralNode"
import { expect, layer } from "@effect/vitest"
import { Effect, Layer, Redacted } from "effect"

const LIMIT = 10

/** One process, the memory store, an emulator that refuses a key's 11th request within a second. */
const TestLayer = Layer.unwrapEffect(
  Effect.map(MistralEmulator.MistralEmulator, (emulator) =>
    MistralNode.layer({ apiKey: Redacted.make("sk-budget"), baseUrl: emulator.url, retryPolicy: false }).pipe(
      // a margin for a loaded test machine: a request may reach the emulator up to 150 ms after its slot
      Layer.provide(
        MistralRateLimit.layerMemory({
          requestsPerSecond: LIMIT,
          tokensPerMinute: 50_000,
          margin: "150 millis",
          // short replies: the estimate of a request without max_tokens (each of a burst holds its estimate until
          // its answer settles it; 512 each would keep this burst waiting on tokens for ~18 s)
          defaultMaxTokens: 64
        })
      )
    )
  )
).pipe(Layer.provideMerge(MistralEmulator.layer({ rateLimits: { requestsPerSecond: LIMIT, tokensPerMinute: 50_000 } })))

layer(TestLayer, { excludeTestServices: true })("a shared budget against the emulator's limits", (it) => {
  it.effect("a burst of 30 concurrent completions: none refused, none retried, spread over ~3 s", () =>
    Effect.gen(function* () {
      const emulator = yield* MistralEmulator.MistralEmulator
      const chat = yield* Chat.Chat
      const started = Date.now()
      const answers = yield* Effect.forEach(
        Array.from({ length: 30 }, (_, i) => i),
        (i) => chat.complete({ model: "mistral-small-latest", messages: [{ role: "user", content: `n${i}` }] }),
        { concurrency: "unbounded" }
      )
      const elapsed = Date.now() - started
      expect(answers).toHaveLength(30)
      const log = yield* emulator.requests
      expect(log.filter((request) => request.rateLimited)).toHaveLength(0)
      expect(log).toHaveLength(30)
      // 29 spacings of 115 ms (10 requests in 1.15 s)
      expect(elapsed).toBeGreaterThanOrEqual(3_000)
    })
  )
})
