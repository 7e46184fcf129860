// A function tool run by ConversationRunner: the model asks for get_weather, the handler answers, the result goes
// back and the model replies. (The emulator calls a declared tool only when the prompt names it, with the
// `key=value` pairs after the name as arguments: hence the prompt below. A real model needs no such hint.)
import { ConversationRunner, Tool } from "@effect-mistral/core"
import { MistralNode } from "@effect-mistral/node"
import { NodeRuntime } from "@effect/platform-node"
import { Console, Effect, Schema } from "effect"

const getWeather = Tool.make("get_weather", {
  description: "Current weather for a city",
  parameters: Schema.Struct({ city: Schema.String }),
  handler: ({ city }) => Effect.as(Console.log(`tool: get_weather(${city})`), { city, forecast: "sunny", celsius: 21 })
})

const program = ConversationRunner.run(
  { model: "mistral-small-latest", inputs: "What's the weather? Use get_weather city=Paris" },
  { tools: [getWeather], maxSteps: 4, concurrency: 4 }
).pipe(Effect.tap((result) => Console.log(`answer: ${result.text}`)))

program.pipe(Effect.provide(MistralNode.layerConfig()), NodeRuntime.runMain)
