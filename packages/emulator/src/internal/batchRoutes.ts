/**
 * Batch jobs. A job reads its requests when it is created (JSONL lines
 * `{"custom_id", "body"}` of its input files, or inline `requests`) and moves
 * one step each time it is retrieved: QUEUED → RUNNING on the first
 * retrieval, then RUNNING → SUCCESS (or FAILED when no request succeeded) on
 * the next, when every request runs through the same handlers as the HTTP
 * routes and the output (and error) file is stored. A cancelled job becomes
 * CANCELLATION_REQUESTED, then CANCELLED on its next retrieval. Time plays no
 * part, so polling clients see the same sequence at any polling rate.
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
import type { BatchJobRecord, BatchLine, State } from "./state.js"
import * as Validation from "./validation.js"

const decoder = new TextDecoder()
const encoder = new TextEncoder()

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

/** The request lines of a JSONL file; a line that is not a request is kept as an error. */
const readLines = (content: Uint8Array): Array<BatchLine> =>
  decoder
    .decode(content)
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line, index): BatchLine => {
      let parsed: unknown
      try {
        parsed = JSON.parse(line)
      } catch {
        return { custom_id: null, error: `Line ${index + 1} is not valid JSON` }
      }
      const customId = isRecord(parsed) && typeof parsed.custom_id === "string" ? parsed.custom_id : null
      return isRecord(parsed) && isRecord(parsed.body)
        ? { custom_id: customId, body: parsed.body }
        : { custom_id: customId, error: `Line ${index + 1} has no "body" object` }
    })

const terminal = new Set(["SUCCESS", "FAILED", "CANCELLED", "TIMEOUT_EXCEEDED"])

/** A job as `BatchJob`; `outputs` only for inline jobs or when asked for. */
const jobWire = ({ requests: _, inline, outputs, ...job }: BatchJobRecord, showOutputs: boolean) => ({
  ...job,
  outputs: showOutputs || inline ? outputs : null
})

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

  /** Runs every request of the job and stores the output and error files. */
  const run = (job: BatchJobRecord, now: number) => {
    const handler = endpoints[job.endpoint]
    const outputs: Array<Record<string, unknown>> = []
    const failures: Array<Record<string, unknown>> = []
    const errors = new Map<string, number>()
    for (const request of job.requests) {
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
      if (status === 200) {
        outputs.push({ id, custom_id: request.custom_id, response: { status_code: status, body }, error: null })
      } else {
        const message = errorMessage(body)
        errors.set(message, (errors.get(message) ?? 0) + 1)
        failures.push({
          id,
          custom_id: request.custom_id,
          response: { status_code: status, body },
          error: { message, code: String(status) }
        })
      }
    }
    const jsonl = (lines: ReadonlyArray<unknown>) =>
      encoder.encode(`${lines.map((line) => JSON.stringify(line)).join("\n")}\n`)
    const file = (name: string, sampleType: string, lines: ReadonlyArray<unknown>) =>
      addFile(state, {
        filename: `${job.id}_${name}.jsonl`,
        content: jsonl(lines),
        purpose: "batch",
        sampleType,
        source: "mistral",
        mimetype: "application/jsonl",
        createdAt: now
      }).id
    job.output_file = outputs.length > 0 ? file("output", "batch_result", outputs) : null
    job.error_file = failures.length > 0 ? file("error", "batch_error", failures) : null
    job.outputs = [...outputs, ...failures]
    job.errors = [...errors].map(([message, count]) => ({ message, count }))
    job.completed_requests = job.requests.length
    job.succeeded_requests = outputs.length
    job.failed_requests = failures.length
    job.status = job.requests.length > 0 && outputs.length === 0 ? "FAILED" : "SUCCESS"
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
    const requests: Array<BatchLine> = []
    for (const fileId of inputFiles) {
      const file = state.files.get(fileId)
      if (file === undefined) return yield* Effect.fail(notFound(`File ${fileId} not found`))
      requests.push(...readLines(file.content))
    }
    for (const request of inline) requests.push({ custom_id: request.custom_id ?? null, body: request.body })
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
      inline: inline.length > 0
    }
    state.batchJobs.set(job.id, job)
    return HttpServerResponse.unsafeJson(jobWire(job, false))
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
      data: page(jobs, pageIndex, pageSize).map((job) => jobWire(job, false)),
      object: "list",
      total: jobs.length
    })
  })

  const get = Effect.gen(function* () {
    const job = yield* findJob
    const inline = yield* booleanQuery("inline", false)
    advance(job, yield* nowSeconds)
    return HttpServerResponse.unsafeJson(jobWire(job, inline))
  })

  const cancel = Effect.map(findJob, (job) => {
    if (!terminal.has(job.status)) job.status = "CANCELLATION_REQUESTED"
    return HttpServerResponse.unsafeJson(jobWire(job, false))
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
