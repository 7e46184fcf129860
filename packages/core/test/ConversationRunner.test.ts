import { describe, expect, it } from "@effect/vitest"
import { Chunk, Data, Effect, Redacted, Ref, Schema, Stream } from "effect"
import * as ConversationRunner from "../src/ConversationRunner.js"
import * as Conversations from "../src/Conversations.js"
import * as MistralClient from "../src/MistralClient.js"
import * as Tool from "../src/Tool.js"
import { type Answer, fakeHttp, sse } from "./fixtures/fakeHttp.js"

const usage = { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 }

const callEntry = (toolCallId: string, name: string, args: string, extra: Record<string, unknown> = {}) => ({
  object: "entry",
  type: "function.call",
  id: `fc_${toolCallId}`,
  tool_call_id: toolCallId,
  name,
  arguments: args,
  ...extra
})

const message = (text: string) => ({
  object: "entry",
  type: "message.output",
  id: "msg_x",
  role: "assistant",
  content: text
})

const answer = (outputs: ReadonlyArray<unknown>): Answer => ({
  status: 200,
  body: JSON.stringify({ object: "conversation.response", conversation_id: "conv_1", outputs, usage })
})

const withFake = (answers: ReadonlyArray<Answer>) => {
  const fake = fakeHttp(answers)
  const client = MistralClient.makeWith(fake.client, { apiKey: Redacted.make("k"), baseUrl: "https://api.test" })
  const provide = Effect.provideService(Conversations.Conversations, Conversations.fromClient(client))
  return { provide, recorded: fake.recorded }
}

const bodyOf = (body: unknown) => JSON.parse(body as string) as Record<string, unknown>

const weather = Tool.make("get_weather", {
  description: "The weather in a city",
  parameters: Schema.Struct({ city: Schema.String }),
  handler: ({ city }) => Effect.succeed({ city, celsius: 21 })
})

const time = Tool.make("get_time", {
  parameters: Schema.Struct({ zone: Schema.String }),
  handler: ({ zone }) => Effect.succeed(`12:00 in ${zone}`)
})

class Broken extends Data.TaggedError("Broken")<{ readonly reason: string }> {}

describe("ConversationRunner", () => {
  it.effect("declares the tools as JSON Schema, runs one call and sends its result back", () =>
    Effect.gen(function* () {
      const { provide, recorded } = withFake([
        answer([callEntry("c1", "get_weather", '{"city":"Paris"}')]),
        answer([message("It is 21 degrees in Paris.")])
      ])
      const result = yield* provide(
        ConversationRunner.run({ model: "m", inputs: "weather in Paris?" }, { tools: [weather] })
      )
      expect(result.text).toBe("It is 21 degrees in Paris.")
      expect(result.steps).toHaveLength(2)
      expect(result.steps[0].calls).toEqual([
        {
          toolCallId: "c1",
          name: "get_weather",
          arguments: '{"city":"Paris"}',
          outcome: "ok",
          result: '{"city":"Paris","celsius":21}'
        }
      ])
      const start = bodyOf(recorded[0].body)
      expect(start.tools).toEqual([
        {
          type: "function",
          function: {
            name: "get_weather",
            description: "The weather in a city",
            parameters: {
              type: "object",
              required: ["city"],
              properties: { city: { type: "string" } },
              additionalProperties: false
            }
          }
        }
      ])
      expect(recorded[1].url.pathname).toBe("/v1/conversations/conv_1")
      expect(bodyOf(recorded[1].body)).toEqual({
        inputs: [{ type: "function.result", tool_call_id: "c1", result: '{"city":"Paris","celsius":21}' }]
      })
    })
  )

  it.live("runs parallel calls concurrently (bounded) and answers them in one append", () =>
    Effect.gen(function* () {
      const running = yield* Ref.make(0)
      const peak = yield* Ref.make(0)
      const slow = (name: string) =>
        Tool.make(name, {
          parameters: Schema.Struct({}),
          handler: () =>
            Effect.gen(function* () {
              const now = yield* Ref.updateAndGet(running, (n) => n + 1)
              yield* Ref.update(peak, (p) => Math.max(p, now))
              yield* Effect.sleep("20 millis")
              yield* Ref.update(running, (n) => n - 1)
              return name
            })
        })
      const { provide, recorded } = withFake([
        answer([callEntry("a", "one", "{}"), callEntry("b", "two", "{}"), callEntry("c", "three", "{}")]),
        answer([message("done")])
      ])
      const result = yield* provide(
        ConversationRunner.run(
          { model: "m", inputs: "go" },
          { tools: [slow("one"), slow("two"), slow("three")], concurrency: 2 }
        )
      )
      expect(result.text).toBe("done")
      expect(yield* Ref.get(peak)).toBe(2)
      expect(bodyOf(recorded[1].body).inputs).toEqual([
        { type: "function.result", tool_call_id: "a", result: "one" },
        { type: "function.result", tool_call_id: "b", result: "two" },
        { type: "function.result", tool_call_id: "c", result: "three" }
      ])
    })
  )

  it.effect("arguments that do not decode go back to the model as an error result", () =>
    Effect.gen(function* () {
      const { provide, recorded } = withFake([
        answer([callEntry("c1", "get_weather", '{"town":"Paris"}'), callEntry("c2", "get_weather", "not json")]),
        answer([message("sorry")])
      ])
      const result = yield* provide(ConversationRunner.run({ model: "m", inputs: "x" }, { tools: [weather] }))
      expect(result.steps[0].calls.map((call) => call.outcome)).toEqual(["invalid_arguments", "invalid_arguments"])
      const inputs = bodyOf(recorded[1].body).inputs as Array<{ result: string }>
      expect(inputs[0].result).toContain("invalid arguments for get_weather")
      expect(inputs[0].result).toContain("city")
      expect(inputs[1].result).toContain("not JSON")
    })
  )

  it.effect("a handler that fails ends the run with a typed ToolHandlerError", () =>
    Effect.gen(function* () {
      const failing = Tool.make("explode", {
        parameters: Schema.Struct({}),
        handler: () => Effect.fail(new Broken({ reason: "no power" }))
      })
      const { provide, recorded } = withFake([answer([callEntry("c1", "explode", "{}")])])
      const error = yield* Effect.flip(
        provide(ConversationRunner.run({ model: "m", inputs: "x" }, { tools: [failing] }))
      )
      expect(error._tag).toBe("ToolHandlerError")
      if (error._tag === "ToolHandlerError") {
        expect(error.tool).toBe("explode")
        expect(error.cause).toEqual(new Broken({ reason: "no power" }))
      }
      expect(recorded).toHaveLength(1)
    })
  )

  it.effect("the step limit ends a model that keeps calling tools", () =>
    Effect.gen(function* () {
      const { provide, recorded } = withFake([answer([callEntry("c1", "get_weather", '{"city":"Paris"}')])])
      const error = yield* Effect.flip(
        provide(ConversationRunner.run({ model: "m", inputs: "x" }, { tools: [weather], maxSteps: 3 }))
      )
      expect(error._tag).toBe("StepLimitReached")
      if (error._tag === "StepLimitReached") expect(error.steps).toBe(3)
      expect(recorded).toHaveLength(3)
    })
  )

  it.effect("a tool that requires confirmation runs only when allowed; a denial goes back to the model", () =>
    Effect.gen(function* () {
      const ran = yield* Ref.make(0)
      const transfer = Tool.make("transfer", {
        parameters: Schema.Struct({ amount: Schema.Number }),
        handler: ({ amount }) =>
          Effect.as(
            Ref.update(ran, (n) => n + 1),
            `sent ${amount}`
          ),
        requiresConfirmation: true
      })
      const asked: Array<ConversationRunner.ConfirmationRequest> = []
      const { provide, recorded } = withFake([
        answer([callEntry("c1", "transfer", '{"amount":100}')]),
        answer([message("ok, not sent")])
      ])
      const result = yield* provide(
        ConversationRunner.run(
          { model: "m", inputs: "x" },
          {
            tools: [transfer],
            confirm: (request) => Effect.sync(() => asked.push(request)).pipe(Effect.as("deny" as const))
          }
        )
      )
      expect(asked).toEqual([{ toolCallId: "c1", name: "transfer", arguments: '{"amount":100}', origin: "local" }])
      expect(yield* Ref.get(ran)).toBe(0)
      expect(result.steps[0].calls[0].outcome).toBe("denied")
      expect((bodyOf(recorded[1].body).inputs as Array<{ result: string }>)[0].result).toContain("denied")
    })
  )

  it.effect("a server-side call held as pending is answered with tool_confirmations", () =>
    Effect.gen(function* () {
      const { provide, recorded } = withFake([
        answer([callEntry("c9", "web_search", '{"q":"x"}', { confirmation_status: "pending" })]),
        answer([message("searched")])
      ])
      const result = yield* provide(
        ConversationRunner.run(
          { model: "m", inputs: "x" },
          { tools: [], confirm: () => Effect.succeed("allow" as const) }
        )
      )
      expect(result.text).toBe("searched")
      expect(bodyOf(recorded[1].body)).toEqual({ tool_confirmations: [{ tool_call_id: "c9", confirmation: "allow" }] })
    })
  )

  it.effect("an unknown tool name gets an error result", () =>
    Effect.gen(function* () {
      const { provide, recorded } = withFake([answer([callEntry("c1", "nope", "{}")]), answer([message("ok")])])
      yield* provide(ConversationRunner.run({ model: "m", inputs: "x" }, { tools: [time] }))
      expect((bodyOf(recorded[1].body).inputs as Array<{ result: string }>)[0].result).toContain("no tool named nope")
    })
  )

  it.effect("the streamed run emits every step's events, the calls and the end", () =>
    Effect.gen(function* () {
      const stream1 = sse([
        { data: { type: "conversation.response.started", conversation_id: "conv_1" } },
        {
          data: {
            type: "function.call.delta",
            id: "fc_1",
            name: "get_weather",
            tool_call_id: "c1",
            arguments: '{"city":"Rome"}'
          }
        },
        { data: { type: "conversation.response.done", usage } }
      ])
      const stream2 = sse([
        { data: { type: "conversation.response.started", conversation_id: "conv_1" } },
        { data: { type: "message.output.delta", id: "m1", content: "Sunny in Rome" } },
        { data: { type: "conversation.response.done", usage } }
      ])
      const headers = { "content-type": "text/event-stream" }
      const { provide, recorded } = withFake([
        { headers, body: stream1 },
        { headers, body: stream2 }
      ])
      const events = Chunk.toArray(
        yield* provide(Stream.runCollect(ConversationRunner.stream({ model: "m", inputs: "x" }, { tools: [weather] })))
      )
      expect(
        events.map((event) =>
          event._tag === "Event" ? `${event.step}:${event.event.type}` : `${event.step}:${event._tag}`
        )
      ).toEqual([
        "1:conversation.response.started",
        "1:function.call.delta",
        "1:conversation.response.done",
        "1:ToolCall",
        "2:conversation.response.started",
        "2:message.output.delta",
        "2:conversation.response.done",
        "2:Done"
      ])
      const done = events[events.length - 1]
      expect(done._tag === "Done" && Conversations.outputText(done.response)).toBe("Sunny in Rome")
      expect(bodyOf(recorded[1].body)).toEqual({
        inputs: [{ type: "function.result", tool_call_id: "c1", result: '{"city":"Rome","celsius":21}' }],
        stream: true
      })
    })
  )
})
