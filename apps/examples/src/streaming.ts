// Streams a conversation's reply to the terminal as it arrives, then folds the same kind of stream into the value
// the plain call returns.
import { Conversations } from "@effect-mistral/core"
import { MistralNode } from "@effect-mistral/node"
import { NodeRuntime } from "@effect/platform-node"
import { Console, Effect, Stream } from "effect"

const program = Effect.gen(function* () {
  yield* Conversations.startStream({ model: "mistral-small-latest", inputs: "Tell me a short story" }).pipe(
    Conversations.textDeltas,
    Stream.runForEach((text) => Effect.sync(() => process.stdout.write(text)))
  )
  yield* Console.log("")

  const response = yield* Conversations.collect(
    Conversations.startStream({ model: "mistral-small-latest", inputs: "And another" })
  )
  yield* Console.log(`collected: ${Conversations.outputText(response)}`)
})

program.pipe(Effect.provide(MistralNode.layerConfig()), NodeRuntime.runMain)
