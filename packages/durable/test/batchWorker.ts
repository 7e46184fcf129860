/**
 * A worker process for the batch kill test: runs (or resumes) one durable batch job against the emulator on SQLite
 * and reports over IPC.
 */
import * as MistralNode from "@effect-mistral/node/MistralNode"
import { Effect, Layer, Redacted, Schema } from "effect"
import * as DurableSqlite from "../src/DurableSqlite.js"
import { DurableBatch } from "../src/index.js"
import type { WorkerMessage } from "./worker.js"

export interface BatchWorkerConfig {
  readonly emulatorUrl: string
  readonly filename: string
  readonly payload: DurableBatch.Payload
  /** Hang (waiting to be killed) right after this poll was made for real. */
  readonly hangAfterPoll?: number | undefined
}

const config = JSON.parse(process.argv[2]!) as BatchWorkerConfig
const send = (message: WorkerMessage) =>
  Effect.async<void>((resume) => {
    process.send!(message, () => resume(Effect.void))
  })

const batch = DurableBatch.make({
  name: "KillTestBatch",
  pollInterval: "200 millis",
  onProgress: (progress) =>
    Effect.zipRight(
      send({ type: "progress", at: Date.now(), progress }),
      progress._tag === "Polled" && !progress.replayed && progress.poll === config.hangAfterPoll
        ? Effect.zipRight(send({ type: "hanging", at: Date.now(), step: progress.poll }), Effect.never)
        : Effect.void
    )
})

const mistral = MistralNode.layer({ apiKey: Redacted.make("sk-durable-batch"), baseUrl: config.emulatorUrl })

Effect.gen(function* () {
  yield* send({ type: "ready", at: Date.now() })
  const exit = yield* Effect.exit(batch.run(config.payload))
  yield* send({
    type: "done",
    at: Date.now(),
    exit: Schema.encodeSync(
      Schema.Exit({ success: DurableBatch.Finished, failure: DurableBatch.BatchError, defect: Schema.Defect })
    )(exit)
  })
})
  .pipe(
    Effect.provide(
      batch.layer.pipe(Layer.provideMerge(DurableSqlite.layer({ filename: config.filename })), Layer.provide(mistral))
    ),
    Effect.runPromise
  )
  .then(
    () => process.exit(0),
    (error) => {
      console.error(error)
      process.exit(1)
    }
  )
