/**
 * A batch job that survives restarts: submitted once (an `Activity` with its own `Idempotency-Key`), polled on a
 * `DurableClock` until it ends (each look an activity), its results collected in a last activity. A process that dies
 * while the job runs resumes polling the job it already created; it never submits it again.
 *
 * @since 0.1.0
 */
import * as Batch from "@effect-mistral/core/Batch"
import { BatchJob, CreateBatchJobRequest } from "@effect-mistral/core/generated/batch"
import * as MistralClient from "@effect-mistral/core/MistralClient"
import type * as MistralError from "@effect-mistral/core/MistralError"
import * as Activity from "@effect/workflow/Activity"
import * as DurableClock from "@effect/workflow/DurableClock"
import * as Workflow from "@effect/workflow/Workflow"
import type * as WorkflowEngine from "@effect/workflow/WorkflowEngine"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import { idempotencyHeader } from "./DurableConversation.js"

/**
 * @since 0.1.0
 * @category models
 */
export const Payload = Schema.Struct({
  /** Names the job: the same id is the same durable run. */
  id: Schema.String,
  job: CreateBatchJobRequest
})

/**
 * @since 0.1.0
 * @category models
 */
export type Payload = typeof Payload.Type

/**
 * The job as it ended, and its result lines (output file, then error file).
 *
 * @since 0.1.0
 * @category models
 */
export class Finished extends Schema.Class<Finished>("Finished")({
  job: BatchJob,
  results: Schema.Array(Batch.BatchResult)
}) {}

/**
 * A call of the API failed after the client's retries.
 *
 * @since 0.1.0
 * @category errors
 */
export class BatchCallFailed extends Schema.TaggedError<BatchCallFailed>()("BatchCallFailed", {
  activity: Schema.String,
  reason: Schema.String,
  detail: Schema.String
}) {
  override get message(): string {
    return `${this.activity} failed (${this.reason}): ${this.detail}`
  }
}

/**
 * The job ended in another state than `SUCCESS`.
 *
 * @since 0.1.0
 * @category errors
 */
export class BatchJobNotSucceeded extends Schema.TaggedError<BatchJobNotSucceeded>()("BatchJobNotSucceeded", {
  job: BatchJob
}) {
  override get message(): string {
    return `Batch job ${this.job.id} ended as ${this.job.status}`
  }
}

/**
 * @since 0.1.0
 * @category errors
 */
export const BatchError = Schema.Union(BatchCallFailed, BatchJobNotSucceeded)

/**
 * @since 0.1.0
 * @category errors
 */
export type BatchError = typeof BatchError.Type

/**
 * What a run reports as it goes: `replayed` is true when the step's stored result was read back instead of run.
 *
 * @since 0.1.0
 * @category models
 */
export type Progress =
  | { readonly _tag: "Submitted"; readonly jobId: string; readonly replayed: boolean }
  | { readonly _tag: "Polled"; readonly poll: number; readonly job: BatchJob; readonly replayed: boolean }
  | { readonly _tag: "Collected"; readonly results: number; readonly replayed: boolean }

/**
 * @since 0.1.0
 * @category models
 */
export interface Options<R = never> {
  /** The workflow's name; every process that runs or resumes these jobs must use the same one. */
  readonly name: string
  /** Between two looks at the job. Default 30 seconds. */
  readonly pollInterval?: Duration.DurationInput | undefined
  /** Waits up to this long stay in memory; longer ones are a `DurableClock`. Default 60 seconds. */
  readonly durableWaitThreshold?: Duration.DurationInput | undefined
  /** Told of every step as it finishes or is read back. */
  readonly onProgress?: ((progress: Progress) => Effect.Effect<void, never, R>) | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface DurableBatch<R> {
  readonly workflow: Workflow.Workflow<string, typeof Payload, typeof Finished, typeof BatchError>
  /** Registers the workflow with the engine. */
  readonly layer: Layer.Layer<never, never, WorkflowEngine.WorkflowEngine | Batch.Batch | R>
  /** Runs (or joins, or resumes) the job for this payload and waits for its results. */
  readonly run: (payload: Payload) => Effect.Effect<Finished, BatchError, WorkflowEngine.WorkflowEngine>
}

const failed = (activity: string) => (error: MistralError.MistralError) =>
  new BatchCallFailed({ activity, reason: error._tag, detail: error.message })

/**
 * Declares a durable batch job.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = <R = never>(options: Options<R>): DurableBatch<R> => {
  const workflow = Workflow.make({
    name: options.name,
    payload: Payload,
    success: Finished,
    error: BatchError,
    idempotencyKey: (payload) => payload.id
  })
  const pollInterval = Duration.decode(options.pollInterval ?? "30 seconds")
  const threshold = Duration.decode(options.durableWaitThreshold ?? "60 seconds")
  const report = (progress: Progress) => (options.onProgress === undefined ? Effect.void : options.onProgress(progress))

  // An activity that tells whether it ran here or was read back from storage.
  const step = <A, I>(
    name: string,
    success: Schema.Schema<A, I>,
    execute: (batch: Batch.Service) => Effect.Effect<A, MistralError.MistralError>
  ) =>
    Effect.suspend(() => {
      let executed = false
      return Effect.map(
        Activity.make({
          name,
          success,
          error: BatchCallFailed,
          execute: Effect.flatMap(Batch.Batch, (batch) => {
            executed = true
            return Effect.mapError(execute(batch), failed(name))
          })
        }),
        (value) => ({ value, replayed: !executed })
      )
    })

  const execute = (payload: Payload, executionId: string) =>
    Effect.gen(function* () {
      const submitted = yield* step("submit", Schema.String, (batch) =>
        Effect.map(
          batch
            .create({ ...payload.job, metadata: { ...payload.job.metadata, durable_execution: executionId } })
            .pipe(MistralClient.withHeaders({ [idempotencyHeader]: `${executionId}-submit` })),
          (job) => job.id
        )
      )
      const jobId = submitted.value
      yield* report({ _tag: "Submitted", jobId, replayed: submitted.replayed })
      let job: BatchJob
      for (let poll = 1; ; poll++) {
        const seen = yield* step(`poll/${poll}`, BatchJob, (batch) => batch.get(jobId))
        job = seen.value
        yield* report({ _tag: "Polled", poll, job, replayed: seen.replayed })
        if (Batch.isTerminal(job)) break
        yield* DurableClock.sleep({ name: `poll/${poll}`, duration: pollInterval, inMemoryThreshold: threshold })
      }
      if (job.status !== "SUCCESS") return yield* Effect.fail(new BatchJobNotSucceeded({ job }))
      const ended = job
      const collected = yield* step("results", Schema.Array(Batch.BatchResult), (batch) =>
        Effect.map(Stream.runCollect(batch.results(ended)), (chunk) => Array.from(chunk))
      )
      yield* report({ _tag: "Collected", results: collected.value.length, replayed: collected.replayed })
      return new Finished({ job: ended, results: collected.value })
    })

  return {
    workflow,
    layer: workflow.toLayer(execute) as DurableBatch<R>["layer"],
    run: (payload) => workflow.execute(payload)
  }
}
