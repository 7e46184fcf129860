/**
 * A worker process for the kill tests: runs (or resumes) one durable conversation against the emulator and reports
 * over IPC. Bundled by `support.ts` and started with `fork`; the test kills it with SIGKILL.
 */
import * as fs from "node:fs"
import * as MistralNode from "@effect-mistral/node/MistralNode"
import { Deferred, Effect, Exit, Layer, Redacted, Schema } from "effect"
import * as DurableSqlite from "../src/DurableSqlite.js"
import { DurableConversation, DurableTool } from "../src/index.js"
import * as DurablePostgres from "../src/DurablePostgres.js"

export interface WorkerConfig {
  readonly emulatorUrl: string
  readonly storage:
    | { readonly _tag: "sqlite"; readonly filename: string }
    | { readonly _tag: "postgres"; readonly url: string; readonly runnerPort: number }
    /** A client of the Postgres runners: runs nothing itself. */
    | { readonly _tag: "postgres-client"; readonly url: string }
  /** Every tool handler appends `<tool> <arguments>` here. */
  readonly counterFile: string
  readonly payload: DurableConversation.Payload
  /** Hang inside the `lookup` handler (after it counted itself), waiting to be killed. */
  readonly hangInLookup?: boolean | undefined
  /** Stop (hang, waiting to be killed) right after this model call finished for real. */
  readonly hangAfterModelStep?: number | undefined
  /** Decide this call before waiting for the outcome. */
  readonly decide?: { readonly toolCallId: string; readonly decision: DurableConversation.Decision } | undefined
  /** Decide, then exit without waiting for the outcome. */
  readonly decideOnly?: boolean | undefined
  /** Wait for a `go` message from the parent before joining the run (so that the runners can settle first). */
  readonly waitForGo?: boolean | undefined
}

export type WorkerMessage =
  | { readonly type: "ready"; readonly at: number }
  | { readonly type: "progress"; readonly at: number; readonly progress: unknown }
  | { readonly type: "hanging"; readonly at: number; readonly step: number }
  | { readonly type: "confirmation"; readonly at: number; readonly request: DurableConversation.ConfirmationRequest }
  | { readonly type: "decided"; readonly at: number }
  | { readonly type: "done"; readonly at: number; readonly exit: unknown }

const config = JSON.parse(process.argv[2]!) as WorkerConfig
const send = (message: WorkerMessage) =>
  Effect.async<void>((resume) => {
    process.send!(message, () => resume(Effect.void))
  })

// Every handler appends `<tool> <arguments>` to the counter file each time it really runs.
const counted = (tool: string, args: unknown) =>
  Effect.sync(() => fs.appendFileSync(config.counterFile, `${tool} ${JSON.stringify(args)}\n`))

const addStored = Effect.runSync(Deferred.make<void>())

const add = DurableTool.make("add", {
  description: "Adds two numbers",
  parameters: Schema.Struct({ a: Schema.Number, b: Schema.Number }),
  success: Schema.Struct({ sum: Schema.Number }),
  handler: (args) => Effect.as(counted("add", args), { sum: args.a + args.b })
})

const lookup = DurableTool.make("lookup", {
  description: "The population of a city",
  parameters: Schema.Struct({ city: Schema.String }),
  success: Schema.Struct({ city: Schema.String, population: Schema.Number }),
  error: Schema.TaggedStruct("UnknownCity", { city: Schema.String }),
  handler: (args) =>
    Effect.zipRight(
      counted("lookup", args),
      config.hangInLookup === true
        ? // hang only once add's result is stored (its progress is told after that), so that add is finished
          Deferred.await(addStored).pipe(
            Effect.zipRight(send({ type: "hanging", at: Date.now(), step: 0 })),
            Effect.zipRight(Effect.never)
          )
        : args.city === "Atlantis"
          ? Effect.fail({ _tag: "UnknownCity" as const, city: args.city })
          : Effect.succeed({ city: args.city, population: args.city.length * 100_000 })
    )
})

const transfer = DurableTool.make("transfer", {
  description: "Moves money; a person confirms every call",
  parameters: Schema.Struct({ amount: Schema.Number }),
  success: Schema.String,
  requiresConfirmation: true,
  handler: (args) => Effect.as(counted("transfer", args), `transferred ${args.amount}`)
})

const conversation = DurableConversation.make({
  name: "KillTestConversation",
  tools: [add, lookup, transfer],
  onConfirmationRequest: (request) => send({ type: "confirmation", at: Date.now(), request }),
  onProgress: (progress) =>
    Effect.zipRight(
      Effect.zipRight(
        progress._tag === "ToolCall" && progress.call.name === "add"
          ? Deferred.succeed(addStored, undefined)
          : Effect.void,
        send({ type: "progress", at: Date.now(), progress: { ...progress, response: undefined } })
      ),
      progress._tag === "ModelCall" && !progress.replayed && progress.step === config.hangAfterModelStep
        ? Effect.zipRight(send({ type: "hanging", at: Date.now(), step: progress.step }), Effect.never)
        : Effect.void
    )
})

const storage = (() => {
  switch (config.storage._tag) {
    case "sqlite":
      return DurableSqlite.layer({ filename: config.storage.filename })
    case "postgres":
      return DurablePostgres.layer({
        url: Redacted.make(config.storage.url),
        runnerAddress: { host: "127.0.0.1", port: config.storage.runnerPort },
        shardingConfig: { shardsPerGroup: 30 }
      })
    case "postgres-client":
      return DurablePostgres.layerClient({
        url: Redacted.make(config.storage.url),
        shardingConfig: { shardsPerGroup: 30 }
      })
  }
})()

const mistral = MistralNode.layer({ apiKey: Redacted.make("sk-durable-test"), baseUrl: config.emulatorUrl })

const program = Effect.gen(function* () {
  yield* send({ type: "ready", at: Date.now() })
  if (config.decide !== undefined) {
    const executionId = yield* conversation.executionId(config.payload)
    yield* conversation.decide({ executionId, ...config.decide })
    yield* send({ type: "decided", at: Date.now() })
    if (config.decideOnly === true) return
  }
  if (config.waitForGo === true) {
    yield* Effect.async<void>((resume) => {
      const onMessage = (message: unknown) => {
        if ((message as { readonly type?: unknown }).type !== "go") return
        process.off("message", onMessage)
        resume(Effect.void)
      }
      process.on("message", onMessage)
    })
  }
  const exit = yield* Effect.exit(conversation.run(config.payload))
  yield* send({
    type: "done",
    at: Date.now(),
    exit: Schema.encodeSync(
      Schema.Exit({
        success: DurableConversation.Outcome,
        failure: DurableConversation.RunError,
        defect: Schema.Defect
      })
    )(exit)
  })
  return Exit.isSuccess(exit)
})

program
  .pipe(
    Effect.provide(conversation.layer.pipe(Layer.provideMerge(storage), Layer.provide(mistral))),
    Effect.provide(mistral),
    Effect.runPromise
  )
  .then(
    () => process.exit(0),
    (error) => {
      console.error(error)
      process.exit(1)
    }
  )
