import * as ConversationRunner from "@effect-mistral/core/ConversationRunner"
import * as RetryPolicy from "@effect-mistral/core/RetryPolicy"
import * as Tool from "@effect-mistral/core/Tool"
import * as MistralEmulator from "@effect-mistral/emulator/MistralEmulator"
import * as MistralNode from "@effect-mistral/node/MistralNode"
import { expect, layer } from "@effect/vitest"
import { Chunk, Data, Effect, Layer, Redacted, Ref, Schema, Stream } from "effect"

const TestLayer = Layer.unwrapEffect(
  Effect.map(MistralEmulator.MistralEmulator, (emulator) =>
    MistralNode.layer({
      apiKey: Redacted.make("sk-runner"),
      baseUrl: emulator.url,
      retryPolicy: RetryPolicy.exponential({ base: "20 millis", jitter: false })
    })
  )
).pipe(Layer.provideMerge(MistralEmulator.layer()))

const getWeather = Tool.make("get_weather", {
  description: "The weather in a city",
  parameters: Schema.Struct({ city: Schema.String }),
  handler: ({ city }) => Effect.succeed({ city, sky: "clear" })
})

const getTime = Tool.make("get_time", {
  parameters: Schema.Struct({ zone: Schema.String }),
  handler: ({ zone }) => Effect.succeed(`noon in ${zone}`)
})

class Unavailable extends Data.TaggedError("Unavailable")<{ readonly service: string }> {}

const request = (inputs: string) => ({ model: "mistral-small-latest", inputs })

layer(TestLayer, { excludeTestServices: true })("ConversationRunner against the emulator", (it) => {
  it.effect("one call: the model calls the tool, gets its result and answers", () =>
    Effect.gen(function* () {
      const result = yield* ConversationRunner.run(request("use get_weather city=Paris"), { tools: [getWeather] })
      expect(result.steps).toHaveLength(2)
      expect(result.steps[0].calls).toMatchObject([{ name: "get_weather", outcome: "ok" }])
      expect(result.text).toBe('The result of get_weather is {"city":"Paris","sky":"clear"}.')
    })
  )

  it.effect("parallel calls run in one step and are answered together", () =>
    Effect.gen(function* () {
      const result = yield* ConversationRunner.run(request("get_weather city=Rome and get_time zone=CET"), {
        tools: [getWeather, getTime]
      })
      expect(result.steps[0].calls.map((call) => [call.name, call.arguments])).toEqual([
        ["get_weather", '{"city":"Rome"}'],
        ["get_time", '{"zone":"CET"}']
      ])
      expect(result.text).toContain("noon in CET")
      expect(result.text).toContain('"city":"Rome"')
    })
  )

  it.effect("arguments that do not decode go back to the model as an error result", () =>
    Effect.gen(function* () {
      const ran = yield* Ref.make(0)
      const counted = Tool.make("get_weather", {
        parameters: Schema.Struct({ city: Schema.String }),
        handler: () => Ref.update(ran, (n) => n + 1)
      })
      const result = yield* ConversationRunner.run(request("use get_weather town=Paris"), { tools: [counted] })
      expect(result.steps[0].calls[0].outcome).toBe("invalid_arguments")
      expect(yield* Ref.get(ran)).toBe(0)
      expect(result.text).toContain("invalid arguments for get_weather")
    })
  )

  it.effect("a handler that fails ends the run with ToolHandlerError", () =>
    Effect.gen(function* () {
      const broken = Tool.make("get_weather", {
        parameters: Schema.Struct({ city: Schema.String }),
        handler: () => Effect.fail(new Unavailable({ service: "weather" }))
      })
      const error = yield* Effect.flip(
        ConversationRunner.run(request("use get_weather city=Oslo"), { tools: [broken] })
      )
      expect(error._tag).toBe("ToolHandlerError")
      if (error._tag === "ToolHandlerError") expect(error.cause).toEqual(new Unavailable({ service: "weather" }))
    })
  )

  it.effect("the step limit is reached when the model still calls tools", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(
        ConversationRunner.run(request("use get_weather city=Oslo"), { tools: [getWeather], maxSteps: 1 })
      )
      expect(error._tag).toBe("StepLimitReached")
      if (error._tag === "StepLimitReached") expect(error.last.outputs[0].type).toBe("function.call")
    })
  )

  it.effect("a denied confirmation never runs the handler and tells the model", () =>
    Effect.gen(function* () {
      const ran = yield* Ref.make(0)
      const transfer = Tool.make("transfer", {
        parameters: Schema.Struct({ amount: Schema.Number }),
        handler: () => Ref.update(ran, (n) => n + 1),
        requiresConfirmation: true
      })
      const result = yield* ConversationRunner.run(request("please transfer amount=100"), {
        tools: [transfer],
        confirm: () => Effect.succeed("deny")
      })
      expect(yield* Ref.get(ran)).toBe(0)
      expect(result.steps[0].calls[0].outcome).toBe("denied")
      expect(result.text).toContain("denied")
    })
  )

  it.effect("the streamed run emits each step's events, the calls, then the end", () =>
    Effect.gen(function* () {
      const events = Chunk.toArray(
        yield* Stream.runCollect(
          ConversationRunner.stream(request("use get_weather city=Nice"), { tools: [getWeather] })
        )
      )
      const tags = events.map((event) => `${event.step}:${event._tag}`)
      expect(tags[0]).toBe("1:Event")
      expect(tags).toContain("1:ToolCall")
      expect(tags[tags.length - 1]).toBe("2:Done")
      const done = events[events.length - 1]
      expect(done._tag === "Done" && done.response.outputs[0].type).toBe("message.output")
    })
  )
})
