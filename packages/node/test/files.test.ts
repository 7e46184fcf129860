import * as fs from "node:fs"
import * as Http from "node:http"
import type { AddressInfo } from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import * as Files from "@effect-mistral/core/Files"
import * as MistralClient from "@effect-mistral/core/MistralClient"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Redacted } from "effect"
import * as NodeFiles from "../src/NodeFiles.js"
import * as UndiciHttpClient from "../src/UndiciHttpClient.js"

interface Seen {
  readonly method: string
  readonly url: string
  readonly contentType: string
  readonly body: Buffer
}

const fileJson = (bytes: number) =>
  JSON.stringify({
    id: "file-1",
    object: "file",
    bytes,
    created_at: 1,
    filename: "notes.jsonl",
    purpose: "batch",
    sample_type: "batch_request",
    source: "upload"
  })

const serve = (download: Buffer) =>
  Effect.acquireRelease(
    Effect.async<{ readonly url: string; readonly seen: Array<Seen>; readonly server: Http.Server }>((resume) => {
      const seen: Array<Seen> = []
      const server = Http.createServer((request, response) => {
        const chunks: Array<Buffer> = []
        request.on("data", (chunk: Buffer) => chunks.push(chunk))
        request.on("end", () => {
          const body = Buffer.concat(chunks)
          seen.push({
            method: request.method ?? "",
            url: request.url ?? "",
            contentType: request.headers["content-type"] ?? "",
            body
          })
          if (request.url?.endsWith("/content")) {
            response.writeHead(200, { "content-type": "application/octet-stream" })
            // in two writes, so the client sees more than one chunk
            response.write(download.subarray(0, download.length / 2))
            setTimeout(() => response.end(download.subarray(download.length / 2)), 5)
          } else {
            response.writeHead(200, { "content-type": "application/json" })
            response.end(fileJson(body.length))
          }
        })
      })
      server.listen(0, "127.0.0.1", () =>
        resume(Effect.succeed({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, server }))
      )
    }),
    ({ server }) =>
      Effect.async<void>((resume) => {
        server.close(() => resume(Effect.void))
      })
  )

const filesLayer = (baseUrl: string) =>
  Files.layer.pipe(
    Layer.provide(MistralClient.layer({ baseUrl, apiKey: Redacted.make("sk-test"), retryPolicy: false })),
    Layer.provide(UndiciHttpClient.layer())
  )

const tempDir = () => fs.mkdtempSync(path.join(os.tmpdir(), "effect-mistral-files-"))

describe("NodeFiles", () => {
  it.scoped("uploadFromPath streams the file as a named multipart part", () =>
    Effect.gen(function* () {
      const dir = tempDir()
      const source = path.join(dir, "notes.jsonl")
      const content = Buffer.from('{"custom_id":"1","body":{}}\n'.repeat(1000))
      fs.writeFileSync(source, content)
      const server = yield* serve(Buffer.alloc(0))
      const request = yield* NodeFiles.uploadFromPath(source, { purpose: "batch" })
      expect(request.file).toBeInstanceOf(File)
      expect((request.file as File).name).toBe("notes.jsonl")
      const uploaded = yield* Files.upload(request).pipe(Effect.provide(filesLayer(server.url)))
      expect(uploaded.id).toBe("file-1")
      const seen = server.seen[0]
      expect(seen.method).toBe("POST")
      expect(seen.url).toBe("/v1/files")
      expect(seen.contentType).toMatch(/^multipart\/form-data; boundary=/)
      const body = seen.body.toString("utf8")
      expect(body).toContain('name="purpose"\r\n\r\nbatch')
      expect(body).toContain('name="file"; filename="notes.jsonl"')
      expect(seen.body.includes(content)).toBe(true)
      fs.rmSync(dir, { recursive: true })
    })
  )

  it.scoped("uploadFromPath of a missing path is a NotFound SystemError", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(NodeFiles.uploadFromPath("/no/such/file.jsonl"))
      expect(error._tag).toBe("SystemError")
      expect(error.reason).toBe("NotFound")
    })
  )

  it.scoped("saveDownload pipes the download to a file", () =>
    Effect.gen(function* () {
      const dir = tempDir()
      const target = path.join(dir, "out.bin")
      const payload = Buffer.from(Array.from({ length: 256 * 1024 }, (_, i) => i % 251))
      const server = yield* serve(payload)
      yield* NodeFiles.saveDownload("file-1", target).pipe(Effect.provide(filesLayer(server.url)))
      expect(server.seen[0].url).toBe("/v1/files/file-1/content")
      expect(fs.readFileSync(target).equals(payload)).toBe(true)
      fs.rmSync(dir, { recursive: true })
    })
  )
})
