import { describe, expect, it } from "@effect/vitest"
import { Chunk, Data, Duration, Effect, Either, Stream } from "effect"
import * as Files from "../../src/Files.js"
import { Operations } from "../../src/generated/Operations.js"
import * as MistralClient from "../../src/MistralClient.js"
import type * as MistralError from "../../src/MistralError.js"
import * as RetryPolicy from "../../src/RetryPolicy.js"
import * as StreamedFile from "../../src/StreamedFile.js"
import { brokenStream } from "../fixtures/fakeHttp.js"
import { clientOf, fileObject, json, line } from "./helpers.js"

const text = (chunks: Chunk.Chunk<Uint8Array>) =>
  new TextDecoder().decode(Buffer.concat(Chunk.toReadonlyArray(chunks).map((c) => Buffer.from(c))))

describe("Files", () => {
  it.effect("upload: multipart with the Blob as a named file part and the other fields as text", () =>
    Effect.gen(function* () {
      const { client, recorded } = clientOf([json(fileObject("file-1"))])
      const files = Files.fromClient(client)
      const file = new File(['{"a":1}\n'], "data.jsonl", { type: "application/jsonl" })
      const uploaded = yield* files.upload({ file, purpose: "batch", expiry: 24 })
      expect(uploaded.id).toBe("file-1")
      expect(line(recorded[0])).toBe("POST /v1/files")
      const form = recorded[0].body
      expect(form).toBeInstanceOf(FormData)
      if (!(form instanceof FormData)) return
      expect(form.get("purpose")).toBe("batch")
      expect(form.get("expiry")).toBe("24")
      const part = form.get("file")
      expect(part).toBeInstanceOf(Blob)
      if (!(part instanceof File)) throw new Error("not a file part")
      expect(part.name).toBe("data.jsonl")
      // the part is the caller's Blob itself (or a view of it), never a copy read into memory
      expect(yield* Effect.promise(() => part.text())).toBe('{"a":1}\n')
    })
  )

  it.effect("upload: a Uint8Array becomes a file part; a missing file is a typed error and nothing is sent", () =>
    Effect.gen(function* () {
      const { client, recorded } = clientOf([json(fileObject("file-2"))])
      const files = Files.fromClient(client)
      yield* files.upload({ file: new TextEncoder().encode("abc") })
      const form = recorded[0].body as FormData
      const part = form.get("file") as File
      expect(yield* Effect.promise(() => part.text())).toBe("abc")
      const error = yield* Effect.flip(files.upload({} as Files.UploadRequest))
      expect(error._tag).toBe("RequestEncodeError")
      expect(recorded).toHaveLength(1)
    })
  )

  it.effect("list, listAll (pages until a short one), get, delete, signedUrl", () =>
    Effect.gen(function* () {
      const { client, recorded } = clientOf((request) => {
        const path = request.url.pathname
        if (path === "/v1/files") {
          const page = Number(request.url.searchParams.get("page") ?? "0")
          const data = page === 0 ? [fileObject("a"), fileObject("b")] : [fileObject("c")]
          return json({ object: "list", data, total: 3 })
        }
        if (path.endsWith("/url")) return json({ url: "https://signed.example/x" })
        if (request.method === "DELETE") return json({ id: "a", object: "file", deleted: true })
        return json({ ...fileObject("a"), deleted: false })
      })
      const files = Files.fromClient(client)
      const listed = yield* files.list({ purpose: "batch", page_size: 5 })
      expect(listed.data).toHaveLength(2)
      const all = yield* Stream.runCollect(files.listAll({ page_size: 2 }))
      expect(Chunk.toReadonlyArray(all).map((f) => f.id)).toEqual(["a", "b", "c"])
      expect((yield* files.get("a")).deleted).toBe(false)
      expect((yield* files.delete("a")).deleted).toBe(true)
      expect((yield* files.signedUrl("a", { expiry: 2 })).url).toBe("https://signed.example/x")
      expect(recorded.map(line)).toEqual([
        "GET /v1/files?page_size=5&purpose=batch",
        "GET /v1/files?page=0&page_size=2",
        "GET /v1/files?page=1&page_size=2",
        "GET /v1/files/a",
        "DELETE /v1/files/a",
        "GET /v1/files/a/url?expiry=2"
      ])
    })
  )

  it.effect("download streams the body's chunks as they arrive", () =>
    Effect.gen(function* () {
      const encoder = new TextEncoder()
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(encoder.encode("line 1\n"))
          controller.enqueue(encoder.encode("line 2\n"))
          controller.close()
        }
      })
      const { client, recorded } = clientOf([{ headers: { "content-type": "application/octet-stream" }, body }])
      const chunks = yield* Stream.runCollect(Files.fromClient(client).download("file 1"))
      expect(text(chunks)).toBe("line 1\nline 2\n")
      expect(line(recorded[0])).toBe("GET /v1/files/file%201/content")
      expect(recorded[0].headers.accept).toBe("application/octet-stream")
    })
  )

  it.effect("download maps statuses to typed errors", () =>
    Effect.gen(function* () {
      const { client } = clientOf([json({ message: "No file", type: "not_found" }, 404)])
      const error = yield* Effect.flip(Stream.runCollect(Files.fromClient(client).download("nope")))
      expect(error._tag).toBe("NotFound")
      expect(error.operationId).toBe("files_api_routes_download_file")
      expect(error.path).toBe("/v1/files/nope/content")
    })
  )

  it.live("download is retried before its first chunk, never after", () =>
    Effect.gen(function* () {
      const quick = RetryPolicy.exponential({ base: "1 millis", cap: "1 millis", jitter: false, maxRetries: 3 })
      const first = clientOf([json({ message: "busy" }, 503), { body: "payload" }], { retryPolicy: quick })
      const chunks = yield* Stream.runCollect(Files.fromClient(first.client).download("f"))
      expect(text(chunks)).toBe("payload")
      expect(first.recorded).toHaveLength(2)

      const broken = clientOf([{ body: brokenStream("partial") }, { body: "again" }], { retryPolicy: quick })
      const result = yield* Effect.either(Stream.runCollect(Files.fromClient(broken.client).download("f")))
      expect(Either.isLeft(result)).toBe(true)
      if (Either.isLeft(result)) expect(result.left._tag).toBe("StreamBroken")
      expect(broken.recorded).toHaveLength(1)
    })
  )

  it.effect("the generic MistralClient.bytes works for any bytes operation through the context", () =>
    Effect.gen(function* () {
      const { client } = clientOf([{ body: "RIFF" }])
      const chunks = yield* Stream.runCollect(
        MistralClient.bytes(Operations.get_voice_sample_audio_v1_audio_voices__voice_id__sample_get, {
          path: { voice_id: "v1" }
        }).pipe(Stream.provideService(MistralClient.MistralClient, client))
      )
      expect(text(chunks)).toBe("RIFF")
    })
  )

  it.effect(
    "upload: a StreamedFile is a multipart part written from its stream, chunked when its size is unknown",
    () =>
      Effect.gen(function* () {
        const { client, recorded } = clientOf([json(fileObject("file-s"))])
        const files = Files.fromClient(client)
        const encoder = new TextEncoder()
        const file = StreamedFile.make(Stream.make(encoder.encode("line 1\n"), encoder.encode("line 2\n")), {
          name: 'in "quotes".jsonl',
          type: "application/jsonl"
        })
        const seen: Array<Files.UploadProgress> = []
        yield* files.upload({ file, purpose: "batch" }, { onProgress: (p) => Effect.sync(() => seen.push(p)) })
        expect(recorded[0].headers["content-type"]).toMatch(/^multipart\/form-data; boundary=/)
        expect(recorded[0].headers["content-length"]).toBeUndefined()
        const form = recorded[0].body as FormData
        expect(form.get("purpose")).toBe("batch")
        const part = form.get("file") as File
        expect(part.name).toBe('in "quotes".jsonl')
        expect(part.type).toBe("application/jsonl")
        expect(yield* Effect.promise(() => part.text())).toBe("line 1\nline 2\n")
        expect(seen.map((p) => [p._tag, p.attempt, p.bytesSent, p.bytesTotal])).toEqual([
          ["UploadProgress", 1, 7, undefined],
          ["UploadProgress", 1, 14, undefined]
        ])
        expect(Duration.toMillis(seen[0].elapsed)).toBe(0)
      })
  )

  it.effect("upload: with a size, the request has a content-length; a Blob with onProgress reports its total", () =>
    Effect.gen(function* () {
      const { client, recorded } = clientOf([json(fileObject("file-s"))])
      const files = Files.fromClient(client)
      const bytes = new Uint8Array(100_000).map((_, i) => i % 256)
      yield* files.upload({ file: StreamedFile.make(Stream.make(bytes), { name: "a.bin", size: bytes.length }) })
      const length = Number(recorded[0].headers["content-length"])
      expect(length).toBeGreaterThan(bytes.length)
      const seen: Array<Files.UploadProgress> = []
      yield* files.upload(
        { file: new File([bytes], "b.bin"), purpose: "ocr" },
        { onProgress: (p) => Effect.sync(() => seen.push(p)) }
      )
      expect(seen.at(-1)).toMatchObject({ bytesSent: 100_000, bytesTotal: 100_000 })
      const part = (recorded[1].body as FormData).get("file") as File
      expect(part.name).toBe("b.bin")
      expect(new Uint8Array(yield* Effect.promise(() => part.arrayBuffer()))).toEqual(bytes)
    })
  )

  it.live("upload: a retried upload runs the StreamedFile's stream again from the start (attempt 2)", () =>
    Effect.gen(function* () {
      const { client, recorded } = clientOf([json({ message: "busy" }, 503), json(fileObject("file-r"))], {
        retryPolicy: RetryPolicy.exponential({ base: "1 millis", jitter: false })
      })
      let runs = 0
      const source = Stream.suspend(() => {
        runs++
        return Stream.make(new TextEncoder().encode("abc"))
      })
      const seen: Array<Files.UploadProgress> = []
      const uploaded = yield* Files.fromClient(client).upload(
        { file: StreamedFile.make(source, { name: "r.txt" }) },
        { onProgress: (p) => Effect.sync(() => seen.push(p)) }
      )
      expect(uploaded.id).toBe("file-r")
      expect(runs).toBe(2)
      expect(recorded).toHaveLength(2)
      expect(seen.map((p) => [p.attempt, p.bytesSent])).toEqual([
        [1, 3],
        [2, 3]
      ])
      const part = (recorded[1].body as FormData).get("file") as File
      expect(yield* Effect.promise(() => part.text())).toBe("abc")
    })
  )

  it.effect(
    "upload: a StreamedFile's failure is the upload's failure, typed; a wrong size is a RequestEncodeError",
    () =>
      Effect.gen(function* () {
        const { client } = clientOf([json(fileObject("file-x"))], {
          retryPolicy: RetryPolicy.exponential({ base: "1 millis", jitter: false })
        })
        const files = Files.fromClient(client)
        class Unreadable extends Data.TaggedError("Unreadable")<{}> {}
        const failing = StreamedFile.make(
          Stream.concat(Stream.make(new Uint8Array(3)), Stream.fail(new Unreadable())),
          {
            name: "x.bin"
          }
        )
        const error: Unreadable | MistralError.MistralError = yield* Effect.flip(files.upload({ file: failing }))
        expect(error._tag).toBe("Unreadable")
        const long = StreamedFile.make(Stream.make(new Uint8Array(30)), { name: "x.bin", size: 20 })
        const mismatch = yield* Effect.flip(files.upload({ file: long }))
        expect(mismatch._tag === "RequestEncodeError" && [mismatch.field, mismatch.issue]).toEqual([
          "body.file",
          "the stream gave 30 bytes where its size says 20"
        ])
      })
  )
})
