import { describe, expect, it } from "@effect/vitest"
import { Chunk, Duration, Effect, Fiber, Schedule, Stream, TestClock } from "effect"
import * as Batch from "../../src/Batch.js"
import * as MistralError from "../../src/MistralError.js"
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

  it.effect("wait: onProgress sees the job after every poll, with its counts and the time since the start", () =>
    Effect.gen(function* () {
      let polls = 0
      const { client } = clientOf((request) => {
        if (request.url.pathname !== "/v1/batch/jobs/job-1") return json({ message: "unexpected" }, 404)
        polls++
        return polls < 3
          ? json(job("RUNNING", { completed_requests: polls, succeeded_requests: polls }))
          : json(job("SUCCESS", { completed_requests: 3, succeeded_requests: 2, failed_requests: 1 }))
      })
      const seen: Array<Batch.JobProgress> = []
      const fiber = yield* Effect.fork(
        Batch.fromClient(client).wait("job-1", {
          schedule: Schedule.spaced("10 seconds"),
          onProgress: (p) => Effect.sync(() => seen.push(p))
        })
      )
      yield* TestClock.adjust("10 seconds")
      expect(seen).toHaveLength(2)
      yield* TestClock.adjust("10 seconds")
      const last = yield* Fiber.join(fiber)
      expect(last.status).toBe("SUCCESS")
      expect(seen.map((p) => [p._tag, p.status, p.completed, p.succeeded, p.failed, p.total])).toEqual([
        ["JobProgress", "RUNNING", 1, 1, 0, 3],
        ["JobProgress", "RUNNING", 2, 2, 0, 3],
        ["JobProgress", "SUCCESS", 3, 2, 1, 3]
      ])
      expect(seen.map((p) => Duration.toMillis(p.elapsed))).toEqual([0, 10_000, 20_000])
      expect(seen[2].job.id).toBe("job-1")
    })
  )

  it.effect("run: progress in order — uploading (growing), uploaded, the job as created and polled", () =>
    Effect.gen(function* () {
      const fake = server("SUCCESS")
      const { client } = clientOf(fake.script)
      const many = Stream.map(Stream.range(0, 1_999), (i) => ({
        body: { messages: [{ role: "user", content: `${i} ${"x".repeat(100)}` }] }
      }))
      const seen: Array<Batch.BatchProgress> = []
      const fiber = yield* Effect.fork(
        Stream.runCollect(
          Batch.fromClient(client).run(many, {
            endpoint: "/v1/chat/completions",
            schedule: Schedule.spaced("1 minute"),
            onProgress: (p) => Effect.sync(() => seen.push(p))
          })
        )
      )
      yield* TestClock.adjust("1 minute")
      yield* TestClock.adjust("1 minute")
      expect(Chunk.size(yield* Fiber.join(fiber))).toBe(3)
      const form = fake.uploaded()
      if (form === undefined) throw new Error("nothing uploaded")
      const input = yield* Effect.promise(() => (form.get("file") as File).text())
      const lines = input.split("\n").filter((l) => l.length > 0)
      expect(lines).toHaveLength(2_000)
      expect(JSON.parse(lines[1_999])).toEqual({
        custom_id: "1999",
        body: { messages: [{ role: "user", content: `1999 ${"x".repeat(100)}` }] }
      })
      const tags = seen.map((p) => p._tag)
      const uploadedAt = tags.indexOf("Uploaded")
      expect(tags.slice(0, uploadedAt).every((t) => t === "Uploading")).toBe(true)
      expect(tags.slice(uploadedAt + 1)).toEqual(["JobProgress", "JobProgress", "JobProgress", "JobProgress"])
      const uploading = seen.slice(0, uploadedAt) as Array<Batch.Uploading>
      // 2,000 lines of ~150 bytes: several 64 KiB chunks, each counted as the transport took it
      expect(uploading.length).toBeGreaterThan(3)
      expect(uploading.map((p) => p.requests)).toEqual([...uploading.map((p) => p.requests)].sort((a, b) => a - b))
      expect(uploading.at(-1)?.requests).toBe(2_000)
      expect(uploading.at(-1)?.bytesSent).toBe(new TextEncoder().encode(input).length)
      expect(seen[uploadedAt]).toMatchObject({ _tag: "Uploaded", fileId: "file-in", requests: 2_000 })
      const jobs = seen.slice(uploadedAt + 1) as Array<Batch.JobProgress>
      expect(jobs.map((p) => p.status)).toEqual(["QUEUED", "RUNNING", "RUNNING", "SUCCESS"])
      expect(jobs.map((p) => Duration.toMillis(p.elapsed))).toEqual([0, 0, 60_000, 120_000])
    })
  )

  it.effect("run: bad input is a RequestEncodeError — bad options send nothing; a bad request stops the upload", () =>
    Effect.gen(function* () {
      const fake = server("SUCCESS")
      const { client, recorded } = clientOf(fake.script)
      const batch = Batch.fromClient(client)
      const badOptions = yield* Effect.flip(
        Stream.runDrain(batch.run(requests, { endpoint: "/v1/chat/completions", metadata: { n: 1 as never } }))
      )
      expect(badOptions._tag).toBe("RequestEncodeError")
      expect(badOptions._tag === "RequestEncodeError" && badOptions.field).toContain("body.metadata")
      expect(recorded).toHaveLength(0)

      const cyclic: Record<string, unknown> = {}
      cyclic.self = cyclic
      const bad = yield* Effect.flip(
        Stream.runDrain(batch.run(Stream.make({ body: {} }, { body: cyclic }), { endpoint: "/v1/chat/completions" }))
      )
      expect(bad._tag === "RequestEncodeError" && [bad.field, bad.operationId]).toEqual([
        "requests[1].body",
        "files_api_routes_upload_file"
      ])
      const noBody = yield* Effect.flip(
        Stream.runDrain(batch.run(Stream.make({ custom_id: "x" } as never), { endpoint: "/v1/chat/completions" }))
      )
      expect(noBody._tag === "RequestEncodeError" && noBody.field).toBe("requests[0].body")
      const empty = yield* Effect.flip(Stream.runDrain(batch.run(Stream.empty, { endpoint: "/v1/chat/completions" })))
      expect(empty._tag === "RequestEncodeError" && empty.issue).toContain("empty")
      // the fake reads the whole body before answering: a broken body never reached it, and no job was created
      expect(recorded).toHaveLength(0)
    })
  )

  it.effect("run: a failing request stream fails the run with its own error", () =>
    Effect.gen(function* () {
      const { client, recorded } = clientOf(server("SUCCESS").script)
      const failing = Stream.concat(
        requests,
        Stream.fail(
          new MistralError.TransportError({
            operationId: "source",
            method: "GET",
            path: "/source",
            detail: "the source broke"
          })
        )
      )
      const error = yield* Effect.flip(
        Stream.runDrain(Batch.fromClient(client).run(failing, { endpoint: "/v1/chat/completions" }))
      )
      expect(error._tag !== "BatchJobNotSucceeded" && error.operationId).toBe("source")
      expect(recorded).toHaveLength(0)
    })
  )
})
