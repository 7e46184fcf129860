import * as Batch from "@effect-mistral/core/Batch"
import * as Files from "@effect-mistral/core/Files"
import * as RetryPolicy from "@effect-mistral/core/RetryPolicy"
import * as StreamedFile from "@effect-mistral/core/StreamedFile"
import * as Fault from "@effect-mistral/emulator/Fault"
import * as MistralEmulator from "@effect-mistral/emulator/MistralEmulator"
import * as MistralNode from "@effect-mistral/node/MistralNode"
import { expect, layer } from "@effect/vitest"
import { Chunk, Data, Effect, Layer, Redacted, Schedule, Stream } from "effect"

const TestLayer = Layer.unwrapEffect(
  Effect.map(MistralEmulator.MistralEmulator, (emulator) =>
    MistralNode.layer({
      apiKey: Redacted.make("sk-batch-streaming"),
      baseUrl: emulator.url,
      retryPolicy: RetryPolicy.exponential({ base: "20 millis", jitter: false })
    })
  )
).pipe(Layer.provideMerge(MistralEmulator.layer({ batchStep: 2_500 })))

const COUNT = 10_000

const requestOf = (index: number) => ({
  custom_id: `r-${index}`,
  body: { messages: [{ role: "user" as const, content: `question ${index} ${"é".repeat(index % 7)}` }], max_tokens: 8 }
})

const expectedJsonl = (count: number) => {
  let text = ""
  for (let index = 0; index < count; index++) text += `${JSON.stringify(requestOf(index))}\n`
  return new TextEncoder().encode(text)
}

const joined = (chunks: Chunk.Chunk<Uint8Array>) => Buffer.concat(Chunk.toArray(chunks))

class SourceFailed extends Data.TaggedError("SourceFailed")<{ readonly at: number }> {}

layer(TestLayer, { excludeTestServices: true })("Batch.run streams its input and its results", (it) => {
  it.effect("10,000 requests: the upload is chunked and arrives byte for byte; progress in order", () =>
    Effect.gen(function* () {
      const emulator = yield* MistralEmulator.MistralEmulator
      yield* emulator.reset
      const progress: Array<Batch.BatchProgress> = []
      const results = yield* Stream.runCollect(
        Batch.run(Stream.map(Stream.range(0, COUNT - 1), requestOf), {
          endpoint: "/v1/chat/completions",
          model: "mistral-small-latest",
          schedule: Schedule.spaced("5 millis"),
          onProgress: (p) => Effect.sync(() => progress.push(p))
        })
      )
      expect(Chunk.size(results)).toBe(COUNT)
      expect(new Set(Chunk.toArray(results).map((r) => r.custom_id)).size).toBe(COUNT)

      const log = yield* emulator.requests
      const upload = log.find((r) => r.operation === "files_api_routes_upload_file")
      expect(upload?.headers["transfer-encoding"]).toBe("chunked")
      expect(upload?.headers["content-length"]).toBeUndefined()

      const uploaded = progress.find((p): p is Batch.Uploaded => p._tag === "Uploaded")
      expect(uploaded?.requests).toBe(COUNT)
      const stored = joined(yield* Stream.runCollect(Files.download(uploaded!.fileId)))
      const expected = expectedJsonl(COUNT)
      expect(stored.length).toBe(expected.length)
      expect(Buffer.compare(stored, Buffer.from(expected))).toBe(0)
      expect(uploaded?.bytes).toBe(expected.length)

      // Uploading (growing), then Uploaded, then the job from QUEUED to SUCCESS with its counts growing
      const tags = progress.map((p) => p._tag)
      const firstJob = tags.indexOf("JobProgress")
      expect(tags.indexOf("Uploaded")).toBe(firstJob - 1)
      expect(tags.slice(0, firstJob - 1).every((tag) => tag === "Uploading")).toBe(true)
      const uploading = progress.filter((p): p is Batch.Uploading => p._tag === "Uploading")
      expect(uploading.length).toBeGreaterThan(10)
      for (let i = 1; i < uploading.length; i++) {
        expect(uploading[i]!.bytesSent).toBeGreaterThan(uploading[i - 1]!.bytesSent)
        expect(uploading[i]!.requests).toBeGreaterThanOrEqual(uploading[i - 1]!.requests)
      }
      expect(uploading.at(-1)?.bytesSent).toBe(expected.length)
      const jobs = progress.filter((p): p is Batch.JobProgress => p._tag === "JobProgress")
      expect(jobs.map((p) => p.completed)).toEqual([0, 0, 2_500, 5_000, 7_500, 10_000])
      expect(jobs.map((p) => p.status)).toEqual(["QUEUED", "RUNNING", "RUNNING", "RUNNING", "RUNNING", "SUCCESS"])
      expect(jobs.every((p) => p.total === COUNT)).toBe(true)
      expect(jobs.at(-1)?.succeeded).toBe(COUNT)
    })
  )

  it.effect("the results are read as they download: the first lines come long before the file's end", () =>
    Effect.gen(function* () {
      const emulator = yield* MistralEmulator.MistralEmulator
      const batch = yield* Batch.Batch
      const job = yield* Batch.create({
        endpoint: "/v1/embeddings",
        model: "mistral-embed",
        requests: Array.from({ length: 200 }, (_, i) => ({ custom_id: String(i), body: { input: `text ${i}` } }))
      })
      const done = yield* batch.wait(job.id, { schedule: Schedule.spaced("5 millis") })
      expect(done.status).toBe("SUCCESS")
      const output = yield* Files.get(done.output_file!)
      // the emulator sends a file in 64 KiB chunks: here a second between chunks, so the whole file takes minutes
      expect(output.bytes).toBeGreaterThan(64 * 1024 * 60)
      yield* emulator.inject(Fault.eventDelay("1 second"), { match: { path: `/v1/files/${done.output_file}/content` } })
      const first = yield* Stream.runCollect(Stream.take(batch.results(done), 2)).pipe(Effect.timeout("20 seconds"))
      expect(Chunk.toArray(first).map((r) => r.custom_id)).toEqual(["0", "1"])
    })
  )

  it.effect("bad input is a typed error: options before anything is sent; a bad request stops the upload", () =>
    Effect.gen(function* () {
      const emulator = yield* MistralEmulator.MistralEmulator
      yield* emulator.reset
      const before = (yield* Files.list({ purpose: "batch" })).total ?? 0
      yield* emulator.reset
      const badOptions = yield* Effect.flip(
        Stream.runDrain(
          Batch.run(Stream.make(requestOf(0)), { endpoint: "/v1/chat/completions", timeout_hours: "x" as never })
        )
      )
      expect(badOptions._tag).toBe("RequestEncodeError")
      expect(yield* emulator.requests).toEqual([])

      const requests = Stream.map(Stream.range(0, 5_000), (i) =>
        i === 3_000 ? { body: [1, 2] as unknown as object } : requestOf(i)
      )
      const badRequest = yield* Effect.flip(Stream.runDrain(Batch.run(requests, { endpoint: "/v1/chat/completions" })))
      expect(badRequest._tag).toBe("RequestEncodeError")
      expect(badRequest._tag === "RequestEncodeError" && badRequest.field).toBe("requests[3000].body")
      const empty = yield* Effect.flip(Stream.runDrain(Batch.run(Stream.empty, { endpoint: "/v1/chat/completions" })))
      expect(empty._tag === "RequestEncodeError" && empty.field).toBe("requests")
      // the upload broke off: the server kept no file and no job was created
      expect((yield* Files.list({ purpose: "batch" })).total ?? 0).toBe(before)
      const log = yield* emulator.requests
      expect(log.some((r) => r.operation === "jobs_api_routes_batch_create_batch_job")).toBe(false)
    })
  )

  it.effect("Files.upload: a StreamedFile of unknown size, chunked, with progress and its typed failure", () =>
    Effect.gen(function* () {
      const files = yield* Files.Files
      const chunk = (i: number) => new Uint8Array(50_000).fill(i % 256)
      const source = Stream.map(Stream.range(0, 39), chunk)
      const progress: Array<Files.UploadProgress> = []
      const uploaded = yield* files.upload(
        { file: StreamedFile.make(source, { name: "data.bin" }), purpose: "batch" },
        { onProgress: (p) => Effect.sync(() => progress.push(p)) }
      )
      expect(uploaded.bytes).toBe(2_000_000)
      expect(progress.map((p) => p.bytesSent)).toEqual(Array.from({ length: 40 }, (_, i) => (i + 1) * 50_000))
      expect(progress.every((p) => p.attempt === 1 && p.bytesTotal === undefined)).toBe(true)
      const stored = joined(yield* Stream.runCollect(files.download(uploaded.id)))
      const expected = Buffer.concat(Array.from({ length: 40 }, (_, i) => chunk(i)))
      expect(Buffer.compare(stored, expected)).toBe(0)

      const failing = Stream.concat(Stream.map(Stream.range(0, 9), chunk), Stream.fail(new SourceFailed({ at: 10 })))
      const error = yield* Effect.flip(files.upload({ file: StreamedFile.make(failing, { name: "broken.bin" }) }))
      expect(error).toEqual(new SourceFailed({ at: 10 }))

      const short = StreamedFile.make(Stream.make(new Uint8Array(10)), { name: "short.bin", size: 20 })
      const mismatch = yield* Effect.flip(files.upload({ file: short, purpose: "batch" }))
      expect(mismatch._tag === "RequestEncodeError" && mismatch.field).toBe("body.file")
    })
  )
})
