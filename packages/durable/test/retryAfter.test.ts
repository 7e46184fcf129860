import * as path from "node:path"
import { Fault, MistralEmulator } from "@effect-mistral/emulator"
import * as MistralNode from "@effect-mistral/node/MistralNode"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Redacted, Schema } from "effect"
import * as DurableSqlite from "../src/DurableSqlite.js"
import { DurableConversation, DurableTool } from "../src/index.js"
import { modelCallsByKey, tempDir } from "./support.js"

const echo = DurableTool.make("echo", {
  parameters: Schema.Struct({ text: Schema.String }),
  success: Schema.String,
  handler: ({ text }) => Effect.succeed(text)
})

describe("DurableConversation and Retry-After", () => {
  it.scopedLive(
    "a model call refused with a Retry-After over the client's limit waits on a DurableClock and is sent again under the same key",
    () =>
      Effect.gen(function* () {
        const emulator = yield* MistralEmulator.make()
        // the server asks for 2 s; the client gives up on anything over 1 s, the run waits durably past 1 s
        yield* emulator.inject(Fault.rateLimited({ retryAfter: 2 }), {
          times: 1,
          match: { operation: "agents_api_v1_conversations_start" }
        })
        const progress: Array<DurableConversation.Progress> = []
        const conversation = DurableConversation.make({
          name: "RetryAfterConversation",
          tools: [echo],
          durableWaitThreshold: "1 second",
          onProgress: (event) => Effect.sync(() => progress.push(event))
        })
        const mistral = MistralNode.layer({
          apiKey: Redacted.make("sk-retry-after"),
          baseUrl: emulator.url,
          maxRetryAfter: "1 second"
        })
        const engine = conversation.layer.pipe(
          Layer.provideMerge(DurableSqlite.layer({ filename: path.join(tempDir("durable-retry-after"), "runs.db") })),
          Layer.provide(mistral)
        )
        const startedAt = Date.now()
        const outcome = yield* conversation
          .run({ id: "retry-after", model: "mistral-small-latest", inputs: ["Please call echo with text=hello"] })
          .pipe(Effect.provide(engine), Effect.timeout("60 seconds"))
        const elapsed = Date.now() - startedAt

        expect(outcome._tag).toBe("Completed")
        expect(outcome._tag === "Completed" && outcome.text).toBe("The result of echo is hello.")
        // the run suspended on the clock: reported waiting, then again when the engine replayed it after the wake-up
        expect(progress.filter((event) => event._tag === "Waiting")).toHaveLength(2)
        expect(progress.filter((event) => event._tag === "ModelCall").map((event) => event.replayed)).toEqual([
          false,
          false
        ])
        expect(elapsed).toBeGreaterThanOrEqual(2_000)
        const requests = yield* emulator.requests
        const statuses = requests
          .filter((request) => request.operation === "agents_api_v1_conversations_start")
          .map((request) => [request.headers[DurableConversation.idempotencyHeader], request.status])
        // the refused request and its successor carry the same key
        expect(statuses).toHaveLength(2)
        expect(statuses.map(([, status]) => status)).toEqual([429, 200])
        expect(statuses[0]![0]).toBe(statuses[1]![0])
        expect([...modelCallsByKey(requests).values()]).toEqual([2, 1])
      }),
    90_000
  )
})
