/**
 * The worker process of `pnpm demo durable`: runs (or resumes) one durable conversation on a SQLite file and prints
 * each step, saying whether it ran or came from storage. Started by `Durable.ts`, which kills it mid-way.
 *
 * Arguments: a JSON `{ url, model, filename, id, holdAfterStep? }`; the API key comes from `MISTRAL_API_KEY` (never from arguments).
 */
import { DurableConversation, DurableTool } from "@effect-mistral/durable"
import * as DurableSqlite from "@effect-mistral/durable/DurableSqlite"
import * as MistralNode from "@effect-mistral/node/MistralNode"
import * as Config from "effect/Config"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"

export interface WorkerArguments {
  readonly url: string
  readonly model: string
  readonly filename: string
  readonly id: string
  /** Stay put after this model call has run (and been stored), until the parent kills the process. */
  readonly holdAfterStep?: number | undefined
}

/** What the worker tells its parent. */
export type WorkerEvent =
  | { readonly type: "step"; readonly step: number; readonly replayed: boolean; readonly at: number }
  | { readonly type: "done"; readonly text: string }

const args = JSON.parse(process.argv[2] ?? "{}") as WorkerArguments
const tell = (event: WorkerEvent) =>
  Effect.async<void>((resume) => {
    if (process.send === undefined) return resume(Effect.void)
    process.send(event, () => resume(Effect.void))
  })

const add = DurableTool.make("add", {
  description: "Adds two numbers",
  parameters: Schema.Struct({ a: Schema.Number, b: Schema.Number }),
  success: Schema.Struct({ sum: Schema.Number }),
  handler: ({ a, b }) => Effect.as(Console.log(`      ⚙ add(${a}, ${b}) runs`), { sum: a + b })
})

const population = DurableTool.make("population", {
  description: "The population of a city",
  parameters: Schema.Struct({ city: Schema.String }),
  success: Schema.Struct({ city: Schema.String, population: Schema.Number }),
  handler: ({ city }) =>
    Effect.as(Console.log(`      ⚙ population(${city}) runs`), { city, population: city.length * 310_000 })
})

const conversation = DurableConversation.make({
  name: "DemoDurableConversation",
  tools: [add, population],
  onProgress: (progress) => {
    const origin = (replayed: boolean) => (replayed ? "from storage" : "ran")
    switch (progress._tag) {
      case "ModelCall":
        return Console.log(`    step ${progress.step}: model call ${origin(progress.replayed)}`).pipe(
          Effect.zipRight(tell({ type: "step", step: progress.step, replayed: progress.replayed, at: Date.now() })),
          Effect.zipRight(!progress.replayed && progress.step === args.holdAfterStep ? Effect.never : Effect.void)
        )
      case "ToolCall":
        return Console.log(
          `    step ${progress.step}: ${progress.call.name} ${progress.call.arguments} ${origin(progress.replayed)}`
        )
      case "Waiting":
        return Console.log(`    waiting (${progress.reason})`)
    }
  }
})

const program = Effect.gen(function* () {
  const outcome = yield* conversation.run({
    id: args.id,
    model: args.model,
    inputs: ["Please call add with a=2 b=3 and population with city=Paris", "Now call add with a=10 b=20"]
  })
  const text = outcome._tag === "Completed" ? outcome.text : `stopped: ${outcome.denied.map((call) => call.name)}`
  yield* tell({ type: "done", text })
})

const mistral = Layer.unwrapEffect(
  Effect.map(Config.redacted("MISTRAL_API_KEY"), (apiKey) => MistralNode.layer({ apiKey, baseUrl: args.url }))
)

program
  .pipe(
    Effect.provide(
      conversation.layer.pipe(
        Layer.provideMerge(DurableSqlite.layer({ filename: args.filename })),
        Layer.provide(mistral)
      )
    ),
    Effect.runPromise
  )
  .then(
    () => process.exit(0),
    (error) => {
      console.error(`the durable worker failed: ${error instanceof Error ? error.message : String(error)}`)
      process.exit(1)
    }
  )
