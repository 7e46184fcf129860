import * as Conversations from "@effect-mistral/core/Conversations"
import * as MistralEmulator from "@effect-mistral/emulator/MistralEmulator"
import * as MistralNode from "@effect-mistral/node/MistralNode"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Redacted, Stream } from "effect"
import * as Trace from "../src/Trace.js"

const TestLayer = Layer.unwrapEffect(
  Effect.map(MistralEmulator.MistralEmulator, (emulator) =>
    MistralNode.layer({ apiKey: Redacted.make("demo-key"), baseUrl: emulator.url })
  )
).pipe(Layer.provide(MistralEmulator.layer({ port: 0, host: "127.0.0.1" })))

describe("--trace", () => {
  it.live("runs under the OpenTelemetry SDK and prints the run's spans as a tree with durations", () =>
    Effect.gen(function* () {
      const printed: Array<string> = []
      const run = Effect.gen(function* () {
        const conversations = yield* Conversations.Conversations
        const started = yield* conversations.start({ model: "mistral-small-latest", inputs: "Hello" })
        yield* Stream.runDrain(conversations.appendStream(started.conversation_id, { inputs: "Again" }))
        yield* conversations.get(started.conversation_id)
      })
      yield* Trace.traced(true, "demo run", run, (text) => Effect.sync(() => void printed.push(text))).pipe(
        Effect.provide(TestLayer)
      )
      const lines = printed.join("\n").split("\n")
      expect(lines[1]).toBe("Trace: 4 spans (--trace)")
      expect(lines[2]).toMatch(/^ {3}demo run +\d+\.\d ms$/)
      expect(lines[3]).toMatch(/^ {3}├─ chat mistral-small-latest {2}\(200, \d+ → \d+ tokens\) +\d+\.\d ms$/)
      expect(lines[4]).toMatch(/^ {3}├─ chat {2}\(200, \d+ → \d+ tokens, \d+ events\) +\d+\.\d ms$/)
      expect(lines[5]).toMatch(/^ {3}└─ Mistral\.agents_api_v1_conversations_get {2}\(200\) +\d+\.\d ms$/)
    })
  )

  it.effect("without --trace the run is left as it is and nothing is printed", () =>
    Effect.gen(function* () {
      const printed: Array<string> = []
      const value = yield* Trace.traced(false, "demo run", Effect.succeed(42), (text) =>
        Effect.sync(() => void printed.push(text))
      )
      expect(value).toBe(42)
      expect(printed).toEqual([])
    })
  )
})
