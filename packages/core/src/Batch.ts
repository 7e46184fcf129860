/**
 * The Batch API: batch jobs (create, list, read, cancel, delete), and a helper that runs a whole batch from a
 * `Stream` of requests: writes the JSONL input, uploads it, creates the job, polls it with a `Schedule` until it
 * ends, and streams back the decoded results.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import { identity } from "effect/Function"
import * as Stream from "effect/Stream"
import * as Operations from "./generated/batch.js"
import * as FileOperations from "./generated/files.js"
import * as Errors from "./internal/errors.js"
import { accessors, type Body, DEFAULT_PAGE_SIZE, numberedPages, type Query } from "./internal/services.js"
import * as MistralClient from "./MistralClient.js"
import type * as MistralError from "./MistralError.js"

/**
 * @since 0.1.0
 * @category models
 */
export type BatchJob = Operations.BatchJob

/**
 * @since 0.1.0
 * @category models
 */
export type BatchJobStatus = Operations.BatchJobStatus

/**
 * @since 0.1.0
 * @category models
 */
export type CreateRequest = Body<typeof Operations.jobs_api_routes_batch_create_batch_job>

/**
 * @since 0.1.0
 * @category models
 */
export type ListOptions = Query<typeof Operations.jobs_api_routes_batch_get_batch_jobs>

/**
 * One request of a batch: the body the endpoint takes (a chat completion request, an embeddings request…) and the id
 * that comes back with its result (the request's position in the stream when left out).
 *
 * @since 0.1.0
 * @category models
 */
export interface BatchRequest<A extends object = object> {
  readonly custom_id?: string | undefined
  readonly body: A
}

/**
 * One line of a batch's output (or error) file, decoded leniently: `response.body` is the endpoint's answer as sent.
 *
 * @since 0.1.0
 * @category models
 */
export interface BatchResult {
  readonly id?: string | null | undefined
  readonly custom_id?: string | null | undefined
  readonly response?: { readonly status_code?: number | null | undefined; readonly body?: unknown } | null | undefined
  readonly error?: unknown
}

/**
 * The schema of one output line.
 *
 * @since 0.1.0
 * @category schemas
 */
export const BatchResult: Schema.Schema<BatchResult> = Schema.Struct({
  id: Schema.optional(Schema.NullOr(Schema.String)),
  custom_id: Schema.optional(Schema.NullOr(Schema.String)),
  response: Schema.optional(
    Schema.NullOr(
      Schema.Struct({
        status_code: Schema.optional(Schema.NullOr(Schema.Number)),
        body: Schema.optional(Schema.Unknown)
      })
    )
  ),
  error: Schema.optional(Schema.Unknown)
})

/**
 * A batch run whose job ended in another state than `SUCCESS` (failed, timed out, cancelled), or that was still
 * running when the polling schedule gave up. The job tells which, and its `output_file` and `error_file` (when set)
 * can still be read with `results`.
 *
 * @since 0.1.0
 * @category errors
 */
export class BatchJobNotSucceeded extends Data.TaggedError("BatchJobNotSucceeded")<{ readonly job: BatchJob }> {
  override get message(): string {
    return `Batch job ${this.job.id} ended as ${this.job.status} (${this.job.succeeded_requests}/${this.job.total_requests} requests succeeded)`
  }
}

/**
 * The states a job does not leave.
 *
 * @since 0.1.0
 * @category constants
 */
export const terminalStatuses: ReadonlySet<string> = new Set(["SUCCESS", "FAILED", "TIMEOUT_EXCEEDED", "CANCELLED"])

/**
 * @since 0.1.0
 * @category predicates
 */
export const isTerminal = (job: BatchJob): boolean => terminalStatuses.has(job.status)

/**
 * @since 0.1.0
 * @category models
 */
export interface WaitOptions {
  /** When to look again. Default: every 5 seconds, without end. */
  readonly schedule?: Schedule.Schedule<unknown, BatchJob> | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface RunOptions extends WaitOptions {
  readonly endpoint: CreateRequest["endpoint"]
  readonly model?: string | undefined
  readonly agent_id?: string | undefined
  readonly metadata?: { readonly [key: string]: string } | undefined
  readonly timeout_hours?: number | undefined
  /** The input file's name. Default `batch.jsonl`. */
  readonly fileName?: string | undefined
}

type Effected<A> = Effect.Effect<A, MistralError.MistralError>

/**
 * @since 0.1.0
 * @category models
 */
export interface Service {
  readonly create: (request: CreateRequest) => Effected<BatchJob>
  readonly list: (options?: ListOptions) => Effected<Operations.ListBatchJobsResponse>
  /** Every job, page after page (`page` zero-based), until a page comes back short. */
  readonly listAll: (options?: Omit<ListOptions, "page">) => Stream.Stream<BatchJob, MistralError.MistralError>
  readonly get: (
    jobId: string,
    options?: Query<typeof Operations.jobs_api_routes_batch_get_batch_job>
  ) => Effected<BatchJob>
  readonly cancel: (jobId: string) => Effected<BatchJob>
  readonly delete: (jobId: string) => Effected<Operations.DeleteBatchJobResponse>
  /** Polls the job until it reaches a terminal state (or the schedule gives up), and returns it as last seen. */
  readonly wait: (jobId: string, options?: WaitOptions) => Effected<BatchJob>
  /** The lines of the job's output file, then of its error file, as they download. */
  readonly results: (job: BatchJob) => Stream.Stream<BatchResult, MistralError.MistralError>
  /**
   * Runs a batch: the requests are written as JSONL, uploaded (purpose `batch`), a job is created for them and polled
   * until it ends, and its results stream back. A job that does not succeed fails the stream with
   * `BatchJobNotSucceeded`.
   */
  readonly run: <A extends object>(
    requests: Stream.Stream<BatchRequest<A>, MistralError.MistralError>,
    options: RunOptions
  ) => Stream.Stream<BatchResult, MistralError.MistralError | BatchJobNotSucceeded>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class Batch extends Context.Tag("@effect-mistral/core/Batch")<Batch, Service>() {}

const encoder = new TextEncoder()
const decodeResult = Schema.decodeUnknownEither(BatchResult)

/**
 * Builds the service on a client.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromClient = (client: MistralClient.Service): Service => {
  const list = (options: ListOptions = {}) =>
    client.call(Operations.jobs_api_routes_batch_get_batch_jobs, { query: options })
  const get = (jobId: string, options: Query<typeof Operations.jobs_api_routes_batch_get_batch_job> = {}) =>
    client.call(Operations.jobs_api_routes_batch_get_batch_job, { path: { job_id: jobId }, query: options })
  const create = (request: CreateRequest) =>
    client.call(Operations.jobs_api_routes_batch_create_batch_job, { body: request })

  const wait = (jobId: string, options: WaitOptions = {}) =>
    Effect.repeat(
      get(jobId),
      // the job as last seen comes out, whether it ended or the schedule gave up
      Schedule.passthrough(
        Schedule.whileInput(options.schedule ?? Schedule.spaced("5 seconds"), (job: BatchJob) => !isTerminal(job))
      )
    )

  const lines = (fileId: string): Stream.Stream<BatchResult, MistralError.MistralError> => {
    const context: MistralError.RequestContext = {
      operationId: FileOperations.files_api_routes_download_file.operationId,
      method: "GET",
      path: `/v1/files/${encodeURIComponent(fileId)}/content`
    }
    const failure = (line: string, issue: string) =>
      Errors.responseDecode({ ...context, status: 200 }, line, issue, identity)
    return client.bytes(FileOperations.files_api_routes_download_file, { path: { file_id: fileId } }).pipe(
      Stream.decodeText(),
      Stream.splitLines,
      Stream.filter((line) => line.trim().length > 0),
      Stream.mapEffect((line) => {
        let json: unknown
        try {
          json = JSON.parse(line)
        } catch (cause) {
          return Effect.fail(failure(line, `a line of the output is not JSON: ${String(cause)}`))
        }
        const decoded = decodeResult(json)
        if (decoded._tag === "Right") return Effect.succeed(decoded.right)
        const { field, issue } = Errors.describeParseError(decoded.left, "line")
        return Effect.fail(failure(line, `${field}: ${issue}`))
      })
    )
  }

  const results = (job: BatchJob) => {
    const files = [job.output_file, job.error_file].filter(
      (id): id is string => typeof id === "string" && id.length > 0
    )
    return Stream.flatMap(Stream.fromIterable(files), lines, { concurrency: 1 })
  }

  const jsonl = <A extends object>(requests: Stream.Stream<BatchRequest<A>, MistralError.MistralError>) =>
    Stream.runCollect(
      Stream.mapAccum(requests, 0, (index, request) => [
        index + 1,
        encoder.encode(`${JSON.stringify({ custom_id: request.custom_id ?? String(index), body: request.body })}\n`)
      ])
    )

  return {
    create,
    list,
    listAll: (options = {}) => {
      const pageSize = options.page_size ?? DEFAULT_PAGE_SIZE
      return numberedPages(pageSize, (page) =>
        Effect.map(list({ ...options, page, page_size: pageSize }), (answer) => ({ items: answer.data ?? [] }))
      )
    },
    get,
    cancel: (jobId) => client.call(Operations.jobs_api_routes_batch_cancel_batch_job, { path: { job_id: jobId } }),
    delete: (jobId) => client.call(Operations.jobs_api_routes_batch_delete_batch_job, { path: { job_id: jobId } }),
    wait,
    results,
    run: (requests, options) =>
      Stream.unwrap(
        Effect.gen(function* () {
          const parts = yield* jsonl(requests)
          const name = options.fileName ?? "batch.jsonl"
          const content = [...parts] as Array<Uint8Array<ArrayBuffer>>
          const file =
            typeof File === "undefined"
              ? new Blob(content, { type: "application/jsonl" })
              : new File(content, name, { type: "application/jsonl" })
          const uploaded = yield* client.call(FileOperations.files_api_routes_upload_file, {
            body: { file, purpose: "batch" }
          })
          const created = yield* create({
            input_files: [uploaded.id],
            endpoint: options.endpoint,
            ...(options.model === undefined ? {} : { model: options.model }),
            ...(options.agent_id === undefined ? {} : { agent_id: options.agent_id }),
            ...(options.metadata === undefined ? {} : { metadata: options.metadata }),
            ...(options.timeout_hours === undefined ? {} : { timeout_hours: options.timeout_hours })
          })
          const job = isTerminal(created) ? created : yield* wait(created.id, options)
          if (job.status !== "SUCCESS") return yield* Effect.fail(new BatchJobNotSucceeded({ job }))
          return results(job)
        })
      )
  }
}

/**
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<Service, never, MistralClient.MistralClient> = Effect.map(
  MistralClient.MistralClient,
  fromClient
)

/**
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<Batch, never, MistralClient.MistralClient> = Layer.effect(Batch, make)

/**
 * Calls `run` on the service in context.
 *
 * @since 0.1.0
 * @category accessors
 */
export const run = <A extends object>(
  requests: Stream.Stream<BatchRequest<A>, MistralError.MistralError>,
  options: RunOptions
) => Stream.unwrap(Effect.map(Batch, (service) => service.run(requests, options)))

// =============================================================================
// Accessors
// =============================================================================

const methods = accessors(Batch, {
  effects: ["create", "list", "get", "cancel", "delete", "wait"],
  streams: ["listAll", "results"]
})

/**
 * Calls `create` on the service in context.
 *
 * @since 0.2.0
 * @category accessors
 */
export const create = methods.create

/**
 * Calls `list` on the service in context.
 *
 * @since 0.2.0
 * @category accessors
 */
export const list = methods.list

/**
 * Calls `get` on the service in context.
 *
 * @since 0.2.0
 * @category accessors
 */
export const get = methods.get

/**
 * Calls `cancel` on the service in context.
 *
 * @since 0.2.0
 * @category accessors
 */
export const cancel = methods.cancel

/**
 * Calls `delete` on the service in context.
 *
 * @since 0.2.0
 * @category accessors
 */
const delete_ = methods.delete

/**
 * Calls `wait` on the service in context.
 *
 * @since 0.2.0
 * @category accessors
 */
export const wait = methods.wait

/**
 * Calls `listAll` on the service in context.
 *
 * @since 0.2.0
 * @category accessors
 */
export const listAll = methods.listAll

/**
 * Calls `results` on the service in context.
 *
 * @since 0.2.0
 * @category accessors
 */
export const results = methods.results

export {
  /**
   * Calls `delete` on the service in context.
   *
   * @since 0.2.0
   * @category accessors
   */
  delete_ as delete
}
