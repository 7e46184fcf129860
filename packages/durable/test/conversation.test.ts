import * as path from "node:path"
import { Fault, MistralEmulator } from "@effect-mistral/emulator"
import * as MistralNode from "@effect-mistral/node/MistralNode"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Layer, Redacted, Schema } from "effect"
import * as DurableSqlite from "../src/DurableSqlite.js"
import { DurableConversation, DurableTool } from "../src/index.js"
import { modelCallsByKey, tempDir } from "./support.js"

class UnknownCity extends Schema.TaggedError<UnknownCity>()("UnknownCity", { city: Schema.String }) {}

describe("DurableConversation in one process", () => {
  it.scopedLive(
    "a tool's failure ends the run with ToolFailed (the error encoded by its schema); asked again, the stored outcome comes back without running anything",
    () =>
      Effect.gen(function* () {
        const emulator = yield* MistralEmulator.make()
        let handled = 0
        const lookup = DurableTool.make("lookup", {
          parameters: Schema.Struct({ city: Schema.String }),
          success: Schema.Struct({ population: Schema.Number }),
          error: UnknownCity,
          handler: ({ city }) =>
            Effect.suspend(() => {
              handled++
              return city === "Atlantis" ? Effect.fail(new UnknownCity({ city })) : Effect.succeed({ population: 1 })
            })
        })
        const conversation = DurableConversation.make({ name: "ToolFailureConversation", tools: [lookup] })
        const engine = conversation.layer.pipe(
          Layer.provideMerge(DurableSqlite.layer({ filename: path.join(tempDir("durable-tool-failure"), "runs.db") })),
          Layer.provide(MistralNode.layer({ apiKey: Redacted.make("sk-tool-failure"), baseUrl: emulator.url }))
        )
        const payload: DurableConversation.Payload = {
          id: "atlantis",
          model: "mistral-small-latest",
          inputs: ["Please call lookup with city=Atlantis"]
        }
        const [first, again] = yield* Effect.all([
          Effect.exit(conversation.run(payload)),
          Effect.exit(conversation.run(payload))
        ]).pipe(Effect.provide(engine))

        expect(Exit.isFailure(first)).toBe(true)
        expect(first).toEqual(again)
        if (Exit.isFailure(first) && first.cause._tag === "Fail") {
          const error = first.cause.error
          expect(error._tag).toBe("ToolFailed")
          expect(error._tag === "ToolFailed" && [error.tool, error.error]).toEqual([
            "lookup",
            { _tag: "UnknownCity", city: "Atlantis" }
          ])
        } else {
          expect.fail(`expected a ToolFailed failure, got ${String(first)}`)
        }
        expect(handled).toBe(1)
        expect([...modelCallsByKey(yield* emulator.requests).values()]).toEqual([1])
      }),
    60_000
  )

  it.scopedLive(
    "arguments that do not decode go back to the model as an error result, and the run goes on",
    () =>
      Effect.gen(function* () {
        const emulator = yield* MistralEmulator.make()
        const square = DurableTool.make("square", {
          parameters: Schema.Struct({ n: Schema.Number }),
          success: Schema.Number,
          handler: ({ n }) => Effect.succeed(n * n)
        })
        const conversation = DurableConversation.make({ name: "InvalidArgumentsConversation", tools: [square] })
        const outcome = yield* conversation
          .run({ id: "bad-args", model: "mistral-small-latest", inputs: ["Please call square with n=seven"] })
          .pipe(
            Effect.provide(
              conversation.layer.pipe(
                Layer.provideMerge(
                  DurableSqlite.layer({ filename: path.join(tempDir("durable-invalid-args"), "runs.db") })
                ),
                Layer.provide(MistralNode.layer({ apiKey: Redacted.make("sk-invalid"), baseUrl: emulator.url }))
              )
            )
          )
        expect(outcome._tag).toBe("Completed")
        expect(outcome.steps[0]!.calls.map((call) => call.outcome)).toEqual(["invalid_arguments"])
        expect(outcome._tag === "Completed" && outcome.text).toMatch(
          /^The result of square is Error: invalid arguments/
        )
      }),
    60_000
  )

  it.scopedLive(
    "a model call that fails after the client's retries ends the run with ModelCallFailed, stored: asked again, nothing is sent",
    () =>
      Effect.gen(function* () {
        const emulator = yield* MistralEmulator.make()
        yield* emulator.inject(Fault.status(503), { times: Infinity })
        const conversation = DurableConversation.make({ name: "ModelFailureConversation", tools: [] })
        const engine = conversation.layer.pipe(
          Layer.provideMerge(DurableSqlite.layer({ filename: path.join(tempDir("durable-model-failure"), "runs.db") })),
          Layer.provide(
            MistralNode.layer({ apiKey: Redacted.make("sk-model-failure"), baseUrl: emulator.url, retryPolicy: false })
          )
        )
        const payload: DurableConversation.Payload = { id: "down", model: "mistral-small-latest", inputs: ["Hello"] }
        const first = yield* Effect.flip(conversation.run(payload)).pipe(Effect.provide(engine))
        const sent = (yield* emulator.requests).length
        const again = yield* Effect.flip(conversation.run(payload)).pipe(Effect.provide(engine))

        expect(first._tag).toBe("ModelCallFailed")
        expect(first._tag === "ModelCallFailed" && [first.step, first.reason, first.status]).toEqual([
          1,
          "ServerError",
          503
        ])
        expect(again).toEqual(first)
        expect(sent).toBe(1)
        expect((yield* emulator.requests).length).toBe(1)
        // the key is in the request, never the API key
        const [request] = yield* emulator.requests
        expect(request!.headers[DurableConversation.idempotencyHeader]).toMatch(/-model-1$/)
        expect(JSON.stringify(first)).not.toContain("sk-model-failure")
      }),
    60_000
  )

  it.scopedLive("a tool handler reads its call's stable idempotency key from CurrentToolCall", () =>
    Effect.gen(function* () {
      const emulator = yield* MistralEmulator.make()
      const keys: Array<DurableConversation.ToolCallKey | undefined> = []
      const charge = DurableTool.make("charge", {
        parameters: Schema.Struct({ cents: Schema.Number }),
        success: Schema.String,
        handler: ({ cents }) =>
          Effect.map(DurableConversation.CurrentToolCall, (call) => {
            keys.push(call)
            return `charged ${cents} under ${call?.idempotencyKey}`
          })
      })
      const conversation = DurableConversation.make({ name: "KeyedToolConversation", tools: [charge] })
      const payload: DurableConversation.Payload = {
        id: "keyed",
        model: "mistral-small-latest",
        inputs: ["Please call charge with cents=120"]
      }
      const outcome = yield* conversation
        .run(payload)
        .pipe(
          Effect.provide(
            conversation.layer.pipe(
              Layer.provideMerge(DurableSqlite.layer({ filename: path.join(tempDir("durable-keyed"), "runs.db") })),
              Layer.provide(MistralNode.layer({ apiKey: Redacted.make("sk-keyed"), baseUrl: emulator.url }))
            )
          )
        )
      const executionId = yield* conversation.executionId(payload)
      const toolCallId = outcome.steps[0]!.calls[0]!.toolCallId
      expect(keys).toEqual([{ executionId, toolCallId, idempotencyKey: `${executionId}-tool-${toolCallId}` }])
      expect(outcome._tag === "Completed" && outcome.text).toBe(
        `The result of charge is charged 120 under ${executionId}-tool-${toolCallId}.`
      )
      expect(yield* DurableConversation.CurrentToolCall).toBeUndefined()
    })
  )
})
