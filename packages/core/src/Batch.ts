/**
 * The Batch API: batch jobs (create, list, read, cancel, delete), and a helper that runs a whole batch from a
 * `Stream` of requests: streams the JSONL input into the upload as the requests come (in bounded memory, however
 * many there are), creates the job, polls it with a `Schedule` until it ends, and streams back the decoded results,
 * reporting its progress on the way (`BatchProgress`).
 *
 * @since 0.1.0
 */
import * as Chunk from "effect/Chunk"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import { identity } from "effect/Function"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import * as Operations from "./generated/batch.js"
import * as FileOperations from "./generated/files.js"
import * as Errors from "./internal/errors.js"
import * as FastParse from "./internal/fastParse.js"
import { accessors, type Body, DEFAULT_PAGE_SIZE, numberedPages, type Query } from "./internal/services.js"
import * as Upload from "./internal/upload.js"
import * as MistralClient from "./MistralClient.js"
import type * as MistralError from "./MistralError.js"
import * as StreamedFile from "./StreamedFile.js"

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

// =============================================================================
// Progress
// =============================================================================

/**
 * The upload of a run's input, as it goes: the requests and JSONL bytes handed to the transport so far in this
 * `attempt` (1 for the first send; a retry of the upload runs the request stream again from its start, and the
 * counts start again from 0), and the time since the run began. The total is unknown until the stream ends.
 *
 * @since 0.3.0
 * @category progress
 */
export const Uploading = Schema.TaggedStruct("Uploading", {
  attempt: Schema.Number,
  requests: Schema.Number,
  bytesSent: Schema.Number,
  elapsed: Schema.DurationFromSelf
})

/**
 * @since 0.3.0
 * @category progress
 */
export interface Uploading extends Schema.Schema.Type<typeof Uploading> {}

/**
 * The input file is stored: how many requests and bytes it holds.
 *
 * @since 0.3.0
 * @category progress
 */
export const Uploaded = Schema.TaggedStruct("Uploaded", {
  fileId: Schema.String,
  requests: Schema.Number,
  bytes: Schema.Number,
  elapsed: Schema.DurationFromSelf
})

/**
 * @since 0.3.0
 * @category progress
 */
export interface Uploaded extends Schema.Schema.Type<typeof Uploaded> {}

/**
 * The job as just created or polled: its status and request counts (`completed` of `total`, of which `succeeded`
 * and `failed`), the job itself, and the time since the run (or `wait`) began.
 *
 * @since 0.3.0
 * @category progress
 */
export const JobProgress = Schema.TaggedStruct("JobProgress", {
  jobId: Schema.String,
  status: Schema.String,
  total: Schema.Number,
  completed: Schema.Number,
  succeeded: Schema.Number,
  failed: Schema.Number,
  elapsed: Schema.DurationFromSelf,
  job: Operations.BatchJob
})

/**
 * @since 0.3.0
 * @category progress
 */
export interface JobProgress extends Schema.Schema.Type<typeof JobProgress> {}

/**
 * What `run` reports, in this order: `Uploading` for every chunk of input handed to the transport (chunks of about
 * 64 KiB), `Uploaded` once, then `JobProgress` for the created job and after every poll.
 *
 * @since 0.3.0
 * @category progress
 */
export const BatchProgress = Schema.Union(Uploading, Uploaded, JobProgress)

/**
 * @since 0.3.0
 * @category progress
 */
export type BatchProgress = Uploading | Uploaded | JobProgress

/**
 * The progress value of a job seen `elapsed` after the start.
 *
 * @since 0.3.0
 * @category progress
 */
export const jobProgress = (job: BatchJob, elapsed: Duration.Duration): JobProgress =>
  JobProgress.make({
    jobId: job.id,
    status: job.status,
    total: job.total_requests,
    completed: job.completed_requests,
    succeeded: job.succeeded_requests,
    failed: job.failed_requests,
    elapsed,
    job
  })

/**
 * @since 0.1.0
 * @category models
 */
export interface WaitOptions {
  /** When to look again. Default: every 5 seconds, without end. */
  readonly schedule?: Schedule.Schedule<unknown, BatchJob> | undefined
  /** Called after every poll with the job as seen (the wait waits for it). */
  readonly onProgress?: ((progress: JobProgress) => Effect.Effect<void>) | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface RunOptions extends Omit<WaitOptions, "onProgress"> {
  readonly endpoint: CreateRequest["endpoint"]
  readonly model?: string | undefined
  readonly agent_id?: string | undefined
  readonly metadata?: { readonly [key: string]: string } | undefined
  readonly timeout_hours?: number | undefined
  /** The input file's name. Default `batch.jsonl`. */
  readonly fileName?: string | undefined
  /**
   * Called with every step of the run (see `BatchProgress`); the run waits for it, so keep it quick (a slow callback
   * slows the upload).
   */
  readonly onProgress?: ((progress: BatchProgress) => Effect.Effect<void>) | undefined
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
  /**
   * Polls the job until it reaches a terminal state (or the schedule gives up), and returns it as last seen;
   * `onProgress` sees it after every poll.
   */
  readonly wait: (jobId: string, options?: WaitOptions) => Effected<BatchJob>
  /** The lines of the job's output file, then of its error file, as they download. */
  readonly results: (job: BatchJob) => Stream.Stream<BatchResult, MistralError.MistralError>
  /**
   * Runs a batch: the requests are written as JSONL into the upload (purpose `batch`) as the transport pulls them (in
   * chunks of about 64 KiB, chunked transfer encoding: memory stays bounded however many requests there are), a job
   * is created for them and polled until it ends, and its results stream back as they download.
   *
   * Bad input is a `RequestEncodeError`: options that do not encode fail before anything is sent; a request whose
   * body is not a JSON object (or whose `custom_id` is not a string), or an empty stream, stops the upload
   * (the server keeps no file and no job is created). A failure of `requests` fails the run as it is. When the upload
   * is retried (after a 5xx, a 429 or a broken connection), `requests` runs again from its start: give a stream that
   * can (any Effect stream built from values or effects does; one over a single-use source does not, then run under
   * `MistralConfig.withoutRetry`). Large uploads over slow links may need a longer `MistralConfig.withRequestTimeout`:
   * the timeout runs until the answer's head, that is past the whole body.
   *
   * A job that does not succeed fails the stream with `BatchJobNotSucceeded`.
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

/** The size of the chunks the JSONL input is written in. */
const CHUNK_SIZE = 64 * 1024

const isPlainObject = (value: unknown): value is object =>
  typeof value === "object" && value !== null && !Array.isArray(value)

/**
 * The JSONL lines of `requests` in chunks of about `CHUNK_SIZE` bytes (a longer line is a chunk of its own), each
 * recorded in `linesOf` with the number of lines it holds. A request that does not encode, or no request at all,
 * fails the stream with a `RequestEncodeError`.
 */
const jsonlChunks = <A extends object>(
  requests: Stream.Stream<BatchRequest<A>, MistralError.MistralError>,
  context: MistralError.RequestContext,
  linesOf: WeakMap<Uint8Array, number>
): Stream.Stream<Uint8Array, MistralError.MistralError> =>
  Stream.suspend(() => {
    let index = 0
    let buffer = new Uint8Array(CHUNK_SIZE)
    let used = 0
    let lines = 0
    const take = (out: Array<Uint8Array>) => {
      if (used === 0) return
      const chunk = buffer.subarray(0, used)
      linesOf.set(chunk, lines)
      out.push(chunk)
      buffer = new Uint8Array(CHUNK_SIZE)
      used = 0
      lines = 0
    }
    const lineOf = (request: BatchRequest<A>): string | MistralError.RequestEncodeError => {
      const at = `requests[${index}]`
      if (!isPlainObject(request)) return Errors.requestEncode(context, at, "must be an object with a body")
      if (!isPlainObject(request.body)) return Errors.requestEncode(context, `${at}.body`, "must be a JSON object")
      const customId = request.custom_id ?? String(index)
      if (typeof customId !== "string" || customId.length === 0) {
        return Errors.requestEncode(context, `${at}.custom_id`, "must be a non-empty string")
      }
      try {
        return `${JSON.stringify({ custom_id: customId, body: request.body })}\n`
      } catch (cause) {
        return Errors.requestEncode(context, `${at}.body`, `does not encode as JSON: ${Errors.describeCause(cause)}`)
      }
    }
    const encoded = Stream.mapChunksEffect(
      // at most a chunk or two of output per step, however large the chunks of `requests`
      Stream.rechunk(requests, 32),
      (chunk) => {
        const out: Array<Uint8Array> = []
        for (const request of chunk) {
          const line = lineOf(request)
          if (typeof line !== "string") return Effect.fail(line)
          index++
          // UTF-8 takes at most 3 bytes per UTF-16 unit
          if (line.length * 3 > CHUNK_SIZE - used) {
            take(out)
            if (line.length * 3 > CHUNK_SIZE) {
              const bytes = encoder.encode(line)
              linesOf.set(bytes, 1)
              out.push(bytes)
              continue
            }
          }
          used += encoder.encodeInto(line, buffer.subarray(used)).written
          lines++
        }
        return Effect.succeed(Chunk.unsafeFromArray(out))
      }
    )
    const rest = Stream.suspend(() => {
      if (index === 0)
        return Stream.fail(Errors.requestEncode(context, "requests", "is empty: a batch needs a request"))
      const out: Array<Uint8Array> = []
      take(out)
      return Stream.fromIterable(out)
    })
    // one chunk per pull, so that progress follows what the transport took
    return Stream.rechunk(Stream.concat(encoded, rest), 1)
  })

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

  const waitFrom = (jobId: string, options: WaitOptions, start: number) => {
    const onProgress = options.onProgress
    const poll =
      onProgress === undefined
        ? get(jobId)
        : Effect.tap(get(jobId), (job) =>
            Effect.flatMap(Clock.currentTimeMillis, (now) => onProgress(jobProgress(job, Duration.millis(now - start))))
          )
    return Effect.repeat(
      poll,
      // the job as last seen comes out, whether it ended or the schedule gave up
      Schedule.passthrough(
        Schedule.whileInput(options.schedule ?? Schedule.spaced("5 seconds"), (job: BatchJob) => !isTerminal(job))
      )
    )
  }

  const wait = (jobId: string, options: WaitOptions = {}) =>
    Effect.flatMap(Clock.currentTimeMillis, (start) => waitFrom(jobId, options, start))

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

  const uploadContext: MistralError.RequestContext = {
    operationId: FileOperations.files_api_routes_upload_file.operationId,
    method: "POST",
    path: FileOperations.files_api_routes_upload_file.path
  }
  const createOperation = Operations.jobs_api_routes_batch_create_batch_job
  const createContext: MistralError.RequestContext = {
    operationId: createOperation.operationId,
    method: createOperation.method,
    path: createOperation.path
  }

  const createRequest = (options: RunOptions, fileId: string): CreateRequest => ({
    input_files: [fileId],
    endpoint: options.endpoint,
    ...(options.model === undefined ? {} : { model: options.model }),
    ...(options.agent_id === undefined ? {} : { agent_id: options.agent_id }),
    ...(options.metadata === undefined ? {} : { metadata: options.metadata }),
    ...(options.timeout_hours === undefined ? {} : { timeout_hours: options.timeout_hours })
  })

  /** The options checked by the create request's schema before anything is sent. */
  const checkOptions = (options: RunOptions) => {
    const encoded = FastParse.encoderFor(createOperation.body!.schema)(createRequest(options, "file"))
    return encoded._tag === "Right"
      ? Effect.void
      : Effect.fail(Errors.requestEncodeParse(createContext, encoded.left, "body", identity))
  }

  const run = <A extends object>(
    requests: Stream.Stream<BatchRequest<A>, MistralError.MistralError>,
    options: RunOptions
  ): Stream.Stream<BatchResult, MistralError.MistralError | BatchJobNotSucceeded> =>
    Stream.unwrap(
      Effect.gen(function* () {
        yield* checkOptions(options)
        const start = yield* Clock.currentTimeMillis
        const onProgress = options.onProgress
        const elapsed = Effect.map(Clock.currentTimeMillis, (now) => Duration.millis(now - start))
        const report = (progress: (elapsed: Duration.Duration) => BatchProgress) =>
          onProgress === undefined ? Effect.void : Effect.flatMap(elapsed, (at) => onProgress(progress(at)))
        // lines per chunk of the attempt being sent, in order; the chunk's bytes say which chunk is which
        const linesOf = new WeakMap<Uint8Array, number>()
        let requestsSent = 0
        let bytesSent = 0
        let lastAttempt = 0
        const input = StreamedFile.make(jsonlChunks(requests, uploadContext, linesOf), {
          name: options.fileName ?? "batch.jsonl",
          type: "application/jsonl"
        })
        const watched = yield* Upload.watch(input, uploadContext, "requests", (attempt, sent, chunk) => {
          if (attempt !== lastAttempt) {
            lastAttempt = attempt
            requestsSent = 0
          }
          requestsSent += linesOf.get(chunk) ?? 0
          bytesSent = sent
          return report((at) => Uploading.make({ attempt, requests: requestsSent, bytesSent: sent, elapsed: at }))
        })
        const uploaded = yield* watched.send(
          client.call(FileOperations.files_api_routes_upload_file, { body: { file: watched.file, purpose: "batch" } })
        )
        yield* report((at) =>
          Uploaded.make({ fileId: uploaded.id, requests: requestsSent, bytes: bytesSent, elapsed: at })
        )
        const created = yield* create(createRequest(options, uploaded.id))
        yield* report((at) => jobProgress(created, at))
        const job = isTerminal(created)
          ? created
          : yield* waitFrom(created.id, { schedule: options.schedule, onProgress }, start)
        if (job.status !== "SUCCESS") return yield* Effect.fail(new BatchJobNotSucceeded({ job }))
        return results(job)
      })
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
    run
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
