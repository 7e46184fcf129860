import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Schedule, Stream } from "effect"
import * as Batch from "../../src/Batch.js"
import type { Recorded } from "../fixtures/fakeHttp.js"
import { batchJob as job, bodyOf, clientOf, completion, fileObject, json, line } from "./helpers.js"

const outputLines = [
  { id: "r1", custom_id: "a", response: { status_code: 200, body: completion("one") }, error: null },
  { id: "r2", custom_id: "1", response: { status_code: 200, body: completion("two") }, error: null, extra: true }
]
  .map((l) => JSON.stringify(l))
  .join("\r\n")
const errorLines = `${JSON.stringify({ id: "r3", custom_id: "2", response: null, error: { message: "bad request" } })}\n`

const server = (final: string) => {
  let polls = 0
  let uploaded: FormData | undefined
  const script = (request: Recorded) => {
    const path = request.url.pathname
    if (path === "/v1/files" && request.method === "POST") {
      uploaded = request.body as FormData
      return json(fileObject("file-in"))
    }
    if (path === "/v1/batch/jobs" && request.method === "POST") return json(job("QUEUED"))
    if (path === "/v1/batch/jobs/job-1") {
      polls++
      return polls < 3
        ? json(job("RUNNING"))
        : json(job(final, { output_file: "file-out", error_file: "file-err", succeeded_requests: 2 }))
    }
    if (path === "/v1/files/file-out/content") return { body: outputLines }
    if (path === "/v1/files/file-err/content") return { body: errorLines }
    return json({ message: "unexpected" }, 404)
  }
  return { script, uploaded: () => uploaded }
}

const requests = Stream.make(
  { custom_id: "a", body: { messages: [{ role: "user", content: "1" }], max_tokens: 10 } },
  { body: { messages: [{ role: "user", content: "2" }] } },
  { body: { messages: [{ role: "user", content: "3" }] } }
)

describe("Batch", () => {
  it.effect("run: writes JSONL, uploads it for batch, creates the job, polls to the end, streams the results", () =>
    Effect.gen(function* () {
      const fake = server("SUCCESS")
      const { client, recorded } = clientOf(fake.script)
      const batch = Batch.fromClient(client)
      const results = yield* Stream.runCollect(
        batch.run(requests, {
          endpoint: "/v1/chat/completions",
          model: "mistral-small-latest",
          metadata: { job: "test" },
          schedule: Schedule.forever
        })
      )
      expect(recorded.map(line)).toEqual([
        "POST /v1/files",
        "POST /v1/batch/jobs",
        "GET /v1/batch/jobs/job-1",
        "GET /v1/batch/jobs/job-1",
        "GET /v1/batch/jobs/job-1",
        "GET /v1/files/file-out/content",
        "GET /v1/files/file-err/content"
      ])
      const form = fake.uploaded()
      expect(form?.get("purpose")).toBe("batch")
      const part = form?.get("file") as File
      expect(part.name).toBe("batch.jsonl")
      const input = (yield* Effect.promise(() => part.text()))
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l))
      expect(input).toEqual([
        { custom_id: "a", body: { messages: [{ role: "user", content: "1" }], max_tokens: 10 } },
        { custom_id: "1", body: { messages: [{ role: "user", content: "2" }] } },
        { custom_id: "2", body: { messages: [{ role: "user", content: "3" }] } }
      ])
      expect(bodyOf(recorded[1])).toEqual({
        input_files: ["file-in"],
        endpoint: "/v1/chat/completions",
        model: "mistral-small-latest",
        metadata: { job: "test" }
      })
      const decoded = Chunk.toReadonlyArray(results)
      expect(decoded.map((r) => r.custom_id)).toEqual(["a", "1", "2"])
      expect(decoded[0].response?.status_code).toBe(200)
      expect(decoded[0].response?.body).toEqual(completion("one"))
      expect(decoded[2].error).toEqual({ message: "bad request" })
    })
  )

  it.effect("run: a job that does not succeed fails with BatchJobNotSucceeded, carrying the job", () =>
    Effect.gen(function* () {
      const { client } = clientOf(server("TIMEOUT_EXCEEDED").script)
      const error = yield* Effect.flip(
        Stream.runCollect(
          Batch.fromClient(client).run(requests, { endpoint: "/v1/chat/completions", schedule: Schedule.forever })
        )
      )
      expect(error._tag).toBe("BatchJobNotSucceeded")
      if (error._tag !== "BatchJobNotSucceeded") return
      expect(error.job.status).toBe("TIMEOUT_EXCEEDED")
      expect(error.message).toContain("job-1")
      // partial results stay readable
      const partial = yield* Stream.runCollect(Batch.fromClient(client).results(error.job))
      expect(Chunk.size(partial)).toBe(3)
    })
  )

  it.effect("wait returns the job as last seen when the schedule gives up", () =>
    Effect.gen(function* () {
      const { client, recorded } = clientOf([json(job("RUNNING"))])
      const seen = yield* Batch.fromClient(client).wait("job-1", { schedule: Schedule.recurs(2) })
      expect(seen.status).toBe("RUNNING")
      expect(recorded).toHaveLength(3)
    })
  )

  it.effect("a line that is not JSON is a ResponseDecodeError naming the download", () =>
    Effect.gen(function* () {
      const { client } = clientOf([{ body: "{not json}\n" }])
      const error = yield* Effect.flip(
        Stream.runCollect(Batch.fromClient(client).results(job("SUCCESS", { output_file: "out" }) as Batch.BatchJob))
      )
      expect(error._tag).toBe("ResponseDecodeError")
      expect(error.operationId).toBe("files_api_routes_download_file")
    })
  )

  it.effect("create, list, listAll, get, cancel, delete", () =>
    Effect.gen(function* () {
      const { client, recorded } = clientOf((request) => {
        const path = request.url.pathname
        if (path === "/v1/batch/jobs" && request.method === "GET") {
          const page = Number(request.url.searchParams.get("page") ?? "0")
          return json({ object: "list", data: page === 0 ? [job("RUNNING")] : [], total: 1 })
        }
        if (request.method === "DELETE") return json({ id: "job-1", object: "batch", deleted: true })
        if (path.endsWith("/cancel")) return json(job("CANCELLATION_REQUESTED"))
        return json(job("QUEUED"))
      })
      const batch = Batch.fromClient(client)
      yield* batch.create({ input_files: ["f"], endpoint: "/v1/embeddings", model: "mistral-embed" })
      expect((yield* batch.list({ status: ["RUNNING", "QUEUED"] })).total).toBe(1)
      expect(Chunk.size(yield* Stream.runCollect(batch.listAll({ page_size: 1 })))).toBe(1)
      yield* batch.get("job-1", { inline: true })
      expect((yield* batch.cancel("job-1")).status).toBe("CANCELLATION_REQUESTED")
      expect((yield* batch.delete("job-1")).deleted).toBe(true)
      expect(recorded.map(line)).toEqual([
        "POST /v1/batch/jobs",
        "GET /v1/batch/jobs?status=RUNNING&status=QUEUED",
        "GET /v1/batch/jobs?page=0&page_size=1",
        "GET /v1/batch/jobs?page=1&page_size=1",
        "GET /v1/batch/jobs/job-1?inline=true",
        "POST /v1/batch/jobs/job-1/cancel",
        "DELETE /v1/batch/jobs/job-1"
      ])
      expect(bodyOf(recorded[0])).toEqual({ input_files: ["f"], endpoint: "/v1/embeddings", model: "mistral-embed" })
    })
  )
})
