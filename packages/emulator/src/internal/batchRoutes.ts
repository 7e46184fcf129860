/**
 * Batch jobs. A job indexes its requests when it is created (JSONL lines
 * `{"custom_id", "body"}` of its input files, parsed one by one when they
 * run, or inline `requests`) and moves one step each time it is retrieved:
 * QUEUED → RUNNING on the first retrieval, then each retrieval of a RUNNING
 * job runs the next `batchStep` requests (10,000 by default) through the same
 * handlers as the HTTP routes, and the one that runs the last stores the
 * output (and error) file and ends the job as SUCCESS (or FAILED when no
 * request succeeded). A cancelled job becomes CANCELLATION_REQUESTED, then
 * CANCELLED on its next retrieval. Time plays no part, so polling clients see
 * the same sequence at any polling rate.
 */
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Effect from "effect/Effect"
import { notFound, validation } from "./errors.js"
import { endpoints } from "./endpoints.js"
import { addFile } from "./fileRoutes.js"
import {
  booleanQuery,
  integerQuery,
  matchesMetadata,
  metadataQuery,
  nowSeconds,
  page,
  pathParam,
  queryParam,
  queryParams,
  validBody
} from "./http.js"
import type { BatchJobRecord, BatchLine, BatchRequests, State } from "./state.js"
import * as Validation from "./validation.js"

const decoder = new TextDecoder()
const encoder = new TextEncoder()

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

const isBlank = (byte: number) => byte === 32 || (byte >= 9 && byte <= 13)

/** Where the non-blank lines of a JSONL file are: `[start, end, start, end, …]`. */
const lineRanges = (content: Uint8Array): Array<number> => {
  const ranges: Array<number> = []
  let start = 0
  while (start < content.length) {
    let end = content.indexOf(10, start)
    if (end === -1) end = content.length
    let blank = true
    for (let index = start; index < end && blank; index++) blank = isBlank(content[index]!)
    if (!blank) ranges.push(start, end)
    start = end + 1
  }
  return ranges
}

/** A line of a JSONL file as a request; a line that is not a request is kept as an error. */
const parseLine = (text: string, number: number): BatchLine => {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    return { custom_id: null, error: `Line ${number} is not valid JSON` }
  }
  const customId = isRecord(parsed) && typeof parsed.custom_id === "string" ? parsed.custom_id : null
  return isRecord(parsed) && isRecord(parsed.body)
    ? { custom_id: customId, body: parsed.body }
    : { custom_id: customId, error: `Line ${number} has no "body" object` }
}

/** The requests of the files' lines (in order), then the inline ones. */
const batchRequests = (contents: ReadonlyArray<Uint8Array>, inline: ReadonlyArray<BatchLine>): BatchRequests => {
  const files = contents.map((content) => ({ content, ranges: lineRanges(content) }))
  const length = files.reduce((total, file) => total + file.ranges.length / 2, 0) + inline.length
  return {
    length,
    at: (index) => {
      let rest = index
      for (const { content, ranges } of files) {
        const lines = ranges.length / 2
        if (rest < lines)
          return parseLine(decoder.decode(content.subarray(ranges[2 * rest], ranges[2 * rest + 1])), rest + 1)
        rest -= lines
      }
      return inline[rest]!
    }
  }
}

/** The results in a stored file's JSONL lines. */
const fileLines = (state: State, fileId: string | null): Array<Record<string, unknown>> => {
  const file = fileId === null ? undefined : state.files.get(fileId)
  if (file === undefined) return []
  const ranges = lineRanges(file.content)
  const lines: Array<Record<string, unknown>> = []
  for (let index = 0; index < ranges.length; index += 2) {
    lines.push(JSON.parse(decoder.decode(file.content.subarray(ranges[index], ranges[index + 1]))))
  }
  return lines
}

const concat = (chunks: ReadonlyArray<Uint8Array>): Uint8Array => {
  const all = new Uint8Array(chunks.reduce((total, chunk) => total + chunk.length, 0))
  let offset = 0
  for (const chunk of chunks) {
    all.set(chunk, offset)
    offset += chunk.length
  }
  return all
}

const terminal = new Set(["SUCCESS", "FAILED", "CANCELLED", "TIMEOUT_EXCEEDED"])

/** A job as `BatchJob`; `outputs` for inline jobs, and when asked for (read back from a file job's files). */
const jobWire = (state: State, record: BatchJobRecord, showOutputs: boolean) => {
  const { requests: _, inline, outputs, progress: __, ...job } = record
  if (inline) return { ...job, outputs }
  if (!showOutputs || outputs === null) return { ...job, outputs: null }
  return { ...job, outputs: [...fileLines(state, job.output_file), ...fileLines(state, job.error_file)] }
}

const errorMessage = (body: unknown): string => {
  if (isRecord(body) && typeof body.message === "string") return body.message
  if (isRecord(body) && Array.isArray(body.detail)) {
    return body.detail
      .map((issue) => `${(issue as { loc?: unknown }).loc}: ${(issue as { msg?: unknown }).msg}`)
      .join("; ")
  }
  return "Request failed"
}

export const batchRoutes = (state: State) => {
  const findJob = Effect.flatMap(pathParam("job_id"), (id) => {
    const job = state.batchJobs.get(id)
    return job === undefined ? Effect.fail(notFound(`Batch job ${id} not found`)) : Effect.succeed(job)
  })

  /** Runs the job's next `batchStep` requests; after its last, stores the output and error files and ends it. */
  const run = (job: BatchJobRecord, now: number) => {
    const handler = endpoints[job.endpoint]
    const progress = job.progress
    const outputs: Array<string> = []
    const failures: Array<string> = []
    const end = Math.min(job.requests.length, job.completed_requests + state.batchStep)
    for (let index = job.completed_requests; index < end; index++) {
      const request = job.requests.at(index)
      const id = `batch-${state.ids.hex("batch_request")}`
      let status: number
      let body: unknown
      if ("error" in request) {
        status = 400
        body = { object: "error", message: request.error, type: "invalid_request_error", param: null, code: "400" }
      } else {
        const answer = handler(
          state,
          { ...request.body, model: request.body.model ?? job.model ?? undefined, stream: false },
          now
        )
        status = answer.status
        body = answer.body
      }
      let line: Record<string, unknown>
      if (status === 200) {
        line = { id, custom_id: request.custom_id, response: { status_code: status, body }, error: null }
        outputs.push(JSON.stringify(line))
        job.succeeded_requests++
        if (job.inline) progress.inlineOutputs.push(line)
      } else {
        const message = errorMessage(body)
        progress.errorCounts.set(message, (progress.errorCounts.get(message) ?? 0) + 1)
        line = {
          id,
          custom_id: request.custom_id,
          response: { status_code: status, body },
          error: { message, code: String(status) }
        }
        failures.push(JSON.stringify(line))
        job.failed_requests++
        if (job.inline) progress.inlineFailures.push(line)
      }
    }
    if (outputs.length > 0) progress.outputChunks.push(encoder.encode(`${outputs.join("\n")}\n`))
    if (failures.length > 0) progress.errorChunks.push(encoder.encode(`${failures.join("\n")}\n`))
    job.completed_requests = end
    job.errors = [...progress.errorCounts].map(([message, count]) => ({ message, count }))
    if (end < job.requests.length) return
    const file = (name: string, sampleType: string, chunks: Array<Uint8Array>) => {
      const content = concat(chunks)
      chunks.length = 0
      return addFile(state, {
        filename: `${job.id}_${name}.jsonl`,
        content,
        purpose: "batch",
        sampleType,
        source: "mistral",
        mimetype: "application/jsonl",
        createdAt: now
      }).id
    }
    job.output_file = job.succeeded_requests > 0 ? file("output", "batch_result", progress.outputChunks) : null
    job.error_file = job.failed_requests > 0 ? file("error", "batch_error", progress.errorChunks) : null
    // shown inline for inline jobs; a file job's are read back from its files when asked for
    job.outputs = job.inline ? [...progress.inlineOutputs, ...progress.inlineFailures] : []
    job.status = job.requests.length > 0 && job.succeeded_requests === 0 ? "FAILED" : "SUCCESS"
    job.completed_at = now
  }

  /** One step of the job's life, taken when someone looks at it. */
  const advance = (job: BatchJobRecord, now: number) => {
    switch (job.status) {
      case "QUEUED":
        job.status = "RUNNING"
        job.started_at = now
        break
      case "RUNNING":
        run(job, now)
        break
      case "CANCELLATION_REQUESTED":
        job.status = "CANCELLED"
        job.completed_at = now
        break
    }
  }

  const create = Effect.gen(function* () {
    const body = yield* validBody(Validation.checkCreateBatch)
    const endpoint = body.endpoint as string
    if (endpoints[endpoint] === undefined) {
      return yield* Effect.fail(
        validation([
          {
            loc: ["body", "endpoint"],
            msg: `The Mistral emulator runs batches for ${Object.keys(endpoints).join(", ")}`,
            type: "value_error"
          }
        ])
      )
    }
    const inputFiles = (body.input_files as ReadonlyArray<string> | null | undefined) ?? []
    const inline =
      (body.requests as
        | ReadonlyArray<{ custom_id?: string | null; body: Record<string, unknown> }>
        | null
        | undefined) ?? []
    if (inputFiles.length > 0 === inline.length > 0) {
      return yield* Effect.fail(
        validation([
          { loc: ["body"], msg: "Exactly one of input_files and requests must be given", type: "value_error" }
        ])
      )
    }
    const contents: Array<Uint8Array> = []
    for (const fileId of inputFiles) {
      const file = state.files.get(fileId)
      if (file === undefined) return yield* Effect.fail(notFound(`File ${fileId} not found`))
      contents.push(file.content)
    }
    const requests = batchRequests(
      contents,
      inline.map((request): BatchLine => ({ custom_id: request.custom_id ?? null, body: request.body }))
    )
    const now = yield* nowSeconds
    const job: BatchJobRecord = {
      id: state.ids.uuid("batch"),
      object: "batch",
      input_files: inputFiles,
      metadata: (body.metadata as Record<string, unknown> | null | undefined) ?? null,
      endpoint,
      model: (body.model as string | null | undefined) ?? null,
      agent_id: (body.agent_id as string | null | undefined) ?? null,
      output_file: null,
      error_file: null,
      errors: [],
      outputs: null,
      status: "QUEUED",
      created_at: now,
      total_requests: requests.length,
      completed_requests: 0,
      succeeded_requests: 0,
      failed_requests: 0,
      started_at: null,
      completed_at: null,
      requests,
      inline: inline.length > 0,
      progress: { outputChunks: [], errorChunks: [], errorCounts: new Map(), inlineOutputs: [], inlineFailures: [] }
    }
    state.batchJobs.set(job.id, job)
    return HttpServerResponse.unsafeJson(jobWire(state, job, false))
  })

  const list = Effect.gen(function* () {
    const pageIndex = yield* integerQuery("page", 0, 0)
    const pageSize = yield* integerQuery("page_size", 100, 1)
    const metadata = yield* metadataQuery
    const model = yield* queryParam("model")
    const agentId = yield* queryParam("agent_id")
    const statuses = yield* queryParams("status")
    const createdAfter = yield* queryParam("created_after")
    const orderBy = yield* queryParam("order_by")
    const after = createdAfter === undefined || createdAfter === "" ? undefined : Date.parse(createdAfter) / 1000
    const jobs = [...state.batchJobs.values()].filter(
      (job) =>
        (model === undefined || model === "" || job.model === model) &&
        (agentId === undefined || agentId === "" || job.agent_id === agentId) &&
        (statuses.length === 0 || statuses.includes(job.status)) &&
        (after === undefined || job.created_at > after) &&
        matchesMetadata(job.metadata, metadata)
    )
    if (orderBy !== "created") jobs.reverse()
    return HttpServerResponse.unsafeJson({
      data: page(jobs, pageIndex, pageSize).map((job) => jobWire(state, job, false)),
      object: "list",
      total: jobs.length
    })
  })

  const get = Effect.gen(function* () {
    const job = yield* findJob
    const inline = yield* booleanQuery("inline", false)
    advance(job, yield* nowSeconds)
    return HttpServerResponse.unsafeJson(jobWire(state, job, inline))
  })

  const cancel = Effect.map(findJob, (job) => {
    if (!terminal.has(job.status)) job.status = "CANCELLATION_REQUESTED"
    return HttpServerResponse.unsafeJson(jobWire(state, job, false))
  })

  const remove = Effect.map(findJob, (job) => {
    state.batchJobs.delete(job.id)
    return HttpServerResponse.unsafeJson({ id: job.id, object: "batch", deleted: true })
  })

  return HttpRouter.empty.pipe(
    HttpRouter.post("/v1/batch/jobs", create),
    HttpRouter.get("/v1/batch/jobs", list),
    HttpRouter.get("/v1/batch/jobs/:job_id", get),
    HttpRouter.del("/v1/batch/jobs/:job_id", remove),
    HttpRouter.post("/v1/batch/jobs/:job_id/cancel", cancel)
  )
}
