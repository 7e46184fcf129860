// Lists the models (their ids, the known kinds only) and asks for one completion. Reads MISTRAL_API_KEY (and
// MISTRAL_BASE_URL, for another server such as the emulator) from the environment.
import { Chat, MistralSchema, Models } from "@effect-mistral/core"
import { MistralNode } from "@effect-mistral/node"
import { NodeRuntime } from "@effect/platform-node"
import { Console, Effect } from "effect"

const program = Effect.gen(function* () {
  const models = yield* Models.list()
  // `data` may hold kinds of model this version does not know yet: `isKnown` keeps the ones it does
  const ids = (models.data ?? []).filter(MistralSchema.isKnown).map((m) => m.id)
  yield* Console.log(`models: ${ids.join(", ")}`)

  const reply = yield* Chat.complete({
    model: "mistral-small-latest",
    messages: [{ role: "user", content: "Say hello in French" }]
  })
  yield* Console.log(`reply: ${Chat.outputText(reply)}`)
})

program.pipe(Effect.provide(MistralNode.layerConfig()), NodeRuntime.runMain)
