import { createHash, randomBytes } from "node:crypto"
import * as DiagnosticsChannel from "node:diagnostics_channel"
import * as fs from "node:fs"
import * as Http from "node:http"
import type { AddressInfo, Socket } from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import * as Files from "@effect-mistral/core/Files"
import * as MistralClient from "@effect-mistral/core/MistralClient"
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Exit, Fiber, Layer, Redacted } from "effect"
import * as Undici from "undici"
import * as Multipart from "../src/internal/multipart.js"
import * as MistralNode from "../src/MistralNode.js"
import * as NodeFiles from "../src/NodeFiles.js"
import * as UndiciHttpClient from "../src/UndiciHttpClient.js"

interface Part {
  readonly headers: ReadonlyArray<string>
  readonly content: Buffer
}

interface Received {
  readonly headers: Http.IncomingHttpHeaders
  readonly body: Buffer
  readonly parts: ReadonlyArray<Part>
}

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex")

/** Splits a multipart/form-data body, checking its framing on the way. */
const parseMultipart = (body: Buffer, contentType: string): Array<Part> => {
  const boundary = /^multipart\/form-data; boundary=(.+)$/.exec(contentType)?.[1]
  expect(boundary).toBeDefined()
  const delimiter = Buffer.from(`--${boundary}`)
  const next = Buffer.from(`\r\n--${boundary}`)
  expect(body.subarray(0, delimiter.length).equals(delimiter)).toBe(true)
  const parts: Array<Part> = []
  let at = delimiter.length
  while (body.subarray(at, at + 2).toString("latin1") === "\r\n") {
    const headerEnd = body.indexOf("\r\n\r\n", at)
    const end = body.indexOf(next, headerEnd + 4)
    expect(end).toBeGreaterThan(-1)
    parts.push({
      headers: body
        .subarray(at + 2, headerEnd)
        .toString("utf8")
        .split("\r\n"),
      content: body.subarray(headerEnd + 4, end)
    })
    at = end + next.length
  }
  expect(body.subarray(at).toString("latin1")).toBe("--\r\n")
  return parts
}

interface ServeOptions {
  /** How long the server reads nothing at first, so the client's socket buffers fill. */
  readonly stallMillis?: number
  /** A pause after each chunk read. */
  readonly delayMillis?: number
  /** Never answer: read slowly forever. */
  readonly hang?: boolean
}

/** A loopback server that reads uploads slowly (pausing the request) and parses them. */
const serve = (options: ServeOptions = {}) =>
  Effect.acquireRelease(
    Effect.async<{
      readonly url: string
      readonly received: Array<Received>
      readonly firstBytes: Deferred.Deferred<void>
      readonly aborted: Deferred.Deferred<void>
      readonly server: Http.Server
    }>((resume) => {
      const received: Array<Received> = []
      const firstBytes = Deferred.unsafeMake<void>(undefined as never)
      const aborted = Deferred.unsafeMake<void>(undefined as never)
      const server = Http.createServer((request, response) => {
        const chunks: Array<Buffer> = []
        const pauseFor = (millis: number) => {
          request.pause()
          setTimeout(() => request.resume(), millis)
        }
        if (options.stallMillis !== undefined) pauseFor(options.stallMillis)
        request.on("data", (chunk: Buffer) => {
          chunks.push(chunk)
          Deferred.unsafeDone(firstBytes, Effect.void)
          if (options.delayMillis !== undefined) pauseFor(options.delayMillis)
        })
        request.on("close", () => {
          if (!request.complete) Deferred.unsafeDone(aborted, Effect.void)
        })
        request.on("end", () => {
          if (options.hang) return
          const body = Buffer.concat(chunks)
          const contentType = request.headers["content-type"] ?? ""
          received.push({ headers: request.headers, body, parts: parseMultipart(body, contentType) })
          response.writeHead(200, { "content-type": "application/json" })
          response.end(
            JSON.stringify({
              id: `file-${received.length}`,
              object: "file",
              bytes: body.length,
              created_at: 1,
              filename: "upload",
              purpose: "batch",
              sample_type: "batch_request",
              source: "upload"
            })
          )
        })
      })
      server.listen(0, "127.0.0.1", () =>
        resume(
          Effect.succeed({
            url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
            received,
            firstBytes,
            aborted,
            server
          })
        )
      )
    }),
    ({ server }) =>
      Effect.async<void>((resume) => {
        server.closeAllConnections()
        server.close(() => resume(Effect.void))
      })
  )

const layerFor = (baseUrl: string) =>
  MistralNode.layer({ baseUrl, apiKey: Redacted.make("sk-test"), retryPolicy: false })

/** A temporary directory, removed with the scope. */
const tempDir = Effect.acquireRelease(
  Effect.sync(() => fs.mkdtempSync(path.join(os.tmpdir(), "effect-mistral-upload-"))),
  (dir) => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true }))
)

const writeRandom = (dir: string, name: string, size: number) => {
  const file = path.join(dir, name)
  const bytes = randomBytes(size)
  fs.writeFileSync(file, bytes)
  return { file, bytes }
}

const header = (part: Part, name: string) =>
  part.headers.find((line) => line.toLowerCase().startsWith(`${name.toLowerCase()}:`))

/** The largest amount of data undici's socket held unsent during `effect`. */
const watchSocketBacklog = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.suspend(() => {
    const channel = DiagnosticsChannel.channel("undici:client:sendHeaders")
    const sockets: Array<Socket> = []
    const onHeaders = (message: unknown) => sockets.push((message as { socket: Socket }).socket)
    let most = 0
    const timer = setInterval(() => {
      for (const socket of sockets) most = Math.max(most, socket.writableLength)
    }, 1)
    channel.subscribe(onHeaders)
    return effect.pipe(
      Effect.map((result) => ({ result, mostUnsent: most })),
      Effect.ensuring(
        Effect.sync(() => {
          clearInterval(timer)
          channel.unsubscribe(onHeaders)
        })
      )
    )
  })

const openDescriptors = () => fs.readdirSync("/proc/self/fd").length

describe("uploads over MistralNode.layer", () => {
  const chunk = Multipart.CHUNK_SIZE
  const sizes = [0, 1, 1000, chunk - 1, chunk, chunk + 1, 3 * chunk + 12_345, 6 * 1024 * 1024 + 7]

  it.scoped("NodeFiles.upload sends byte-identical files of every size, the server reading slowly", () =>
    Effect.gen(function* () {
      const dir = yield* tempDir
      const server = yield* serve({ stallMillis: 20, delayMillis: 1 })
      const layer = layerFor(server.url)
      for (const size of sizes) {
        const { file, bytes } = writeRandom(dir, `file-${size}.jsonl`, size)
        const uploaded = yield* NodeFiles.upload(file, { purpose: "fine-tune" }).pipe(Effect.provide(layer))
        const seen = server.received[server.received.length - 1]
        expect(uploaded.bytes).toBe(seen.body.length)
        expect(seen.headers["content-length"]).toBe(String(seen.body.length))
        expect(seen.headers["transfer-encoding"]).toBeUndefined()
        const [purpose, filePart] = seen.parts
        expect(seen.parts).toHaveLength(2)
        expect(purpose.headers).toEqual(['Content-Disposition: form-data; name="purpose"'])
        expect(purpose.content.toString()).toBe("fine-tune")
        expect(header(filePart, "content-disposition")).toBe(
          `Content-Disposition: form-data; name="file"; filename="file-${size}.jsonl"`
        )
        expect(header(filePart, "content-type")).toBe("Content-Type: application/octet-stream")
        expect(filePart.content.length).toBe(size)
        expect(sha256(filePart.content)).toBe(sha256(bytes))
      }
      // the socket is learnt per upload; nothing stays subscribed to undici's diagnostics
      expect(DiagnosticsChannel.channel("undici:client:sendHeaders").hasSubscribers).toBe(false)
    })
  )

  it.scoped("a request built with uploadFromPath and sent with Files.upload reads the file from disk", () =>
    Effect.gen(function* () {
      const dir = yield* tempDir
      const server = yield* serve({ stallMillis: 0, delayMillis: 0 })
      const { file, bytes } = writeRandom(dir, "batch.jsonl", 3 * chunk + 7)
      const opened: Array<string> = []
      const open = fs.promises.open
      yield* Effect.acquireRelease(
        Effect.sync(() => {
          fs.promises.open = ((...args: Parameters<typeof open>) => {
            opened.push(String(args[0]))
            return open(...args)
          }) as typeof open
        }),
        () =>
          Effect.sync(() => {
            fs.promises.open = open
          })
      )
      const request = yield* NodeFiles.uploadFromPath(file, { purpose: "batch" })
      const uploaded = yield* Files.upload(request).pipe(Effect.provide(layerFor(server.url)))
      const filePart = server.received[server.received.length - 1].parts[1]
      expect(uploaded.bytes).toBeGreaterThan(bytes.length)
      expect(sha256(filePart.content)).toBe(sha256(bytes))
      expect(opened).toEqual([path.resolve(file)])
    })
  )

  it.scoped("a large upload stays byte-identical while the socket holds unsent data (buffers in flight)", () =>
    Effect.gen(function* () {
      const dir = yield* tempDir
      // stall long enough for the kernel's buffers to fill, then read in small steps
      const server = yield* serve({ stallMillis: 150, delayMillis: 2 })
      const { file, bytes } = writeRandom(dir, "big.bin", 12 * 1024 * 1024 + 321)
      const { mostUnsent } = yield* watchSocketBacklog(
        NodeFiles.upload(file, { purpose: "batch", type: "application/x-ndjson" }).pipe(
          Effect.provide(layerFor(server.url))
        )
      )
      // the scenario a reused buffer could corrupt did happen
      expect(mostUnsent).toBeGreaterThan(0)
      const filePart = server.received[0].parts[1]
      expect(header(filePart, "content-type")).toBe("Content-Type: application/x-ndjson")
      expect(filePart.content.length).toBe(bytes.length)
      expect(sha256(filePart.content)).toBe(sha256(bytes))
    })
  )

  it.scoped("concurrent uploads over one client keep their bytes apart", () =>
    Effect.gen(function* () {
      const dir = yield* tempDir
      const server = yield* serve({ delayMillis: 1 })
      const files = [1, 2, 3].map((n) => writeRandom(dir, `part-${n}.bin`, n * chunk * 5 + n))
      yield* Effect.forEach(files, ({ file }) => NodeFiles.upload(file, { purpose: "batch" }), {
        concurrency: "unbounded"
      }).pipe(Effect.provide(layerFor(server.url)))
      const seen = server.received.map((received) => sha256(received.parts[1].content)).sort()
      expect(seen).toEqual(files.map(({ bytes }) => sha256(bytes)).sort())
    })
  )

  it.scoped("a file name with quotes, line breaks and non-ASCII characters is escaped as browsers do", () =>
    Effect.gen(function* () {
      const dir = yield* tempDir
      const server = yield* serve()
      const { file, bytes } = writeRandom(dir, "plain.bin", 5000)
      const fileName = 'ré"sumé\r\n✓ 📄.jsonl'
      yield* NodeFiles.upload(file, { purpose: "batch", fileName }).pipe(Effect.provide(layerFor(server.url)))
      const filePart = server.received[0].parts[1]
      expect(header(filePart, "content-disposition")).toBe(
        'Content-Disposition: form-data; name="file"; filename="ré%22sumé%0D%0A✓ 📄.jsonl"'
      )
      expect(sha256(filePart.content)).toBe(sha256(bytes))
    })
  )

  it.scoped("in-memory Blobs and byte arrays are sent with the string fields", () =>
    Effect.gen(function* () {
      const server = yield* serve({ delayMillis: 1 })
      const layer = layerFor(server.url)
      const bytes = randomBytes(3 * chunk + 17)
      yield* Files.upload({ file: new Blob([bytes], { type: "text/plain" }), purpose: "ocr" }).pipe(
        Effect.provide(layer)
      )
      yield* Files.upload({ file: new File([bytes], "named.txt"), purpose: "batch" }).pipe(Effect.provide(layer))
      yield* Files.upload({ file: new Uint8Array(bytes), purpose: "batch" }).pipe(Effect.provide(layer))
      const [blob, named, array] = server.received
      expect(blob.parts[0].content.toString()).toBe("ocr")
      expect(header(blob.parts[1], "content-type")).toBe("Content-Type: text/plain")
      expect(header(named.parts[1], "content-disposition")).toBe(
        'Content-Disposition: form-data; name="file"; filename="named.txt"'
      )
      for (const received of [blob, named, array]) expect(sha256(received.parts[1].content)).toBe(sha256(bytes))
    })
  )

  it.scoped("a dispatcher of the caller's own sends the same bytes", () =>
    Effect.gen(function* () {
      const dir = yield* tempDir
      const server = yield* serve({ stallMillis: 50, delayMillis: 1 })
      const agent = yield* Effect.acquireRelease(
        Effect.sync(() => new Undici.Agent()),
        (agent) => Effect.promise(() => agent.close())
      )
      const { file, bytes } = writeRandom(dir, "other.bin", 2 * 1024 * 1024 + 3)
      yield* NodeFiles.upload(file, { purpose: "batch" }).pipe(
        Effect.provide(
          Files.layer.pipe(
            Layer.provide(MistralClient.layer({ baseUrl: server.url, apiKey: Redacted.make("k"), retryPolicy: false })),
            Layer.provide(UndiciHttpClient.layerWithoutDispatcher),
            Layer.provide(Layer.succeed(UndiciHttpClient.Dispatcher, agent))
          )
        )
      )
      expect(sha256(server.received[0].parts[1].content)).toBe(sha256(bytes))
    })
  )

  it.scoped("a buffer is not refilled while the socket still holds written chunks", () =>
    Effect.gen(function* () {
      const dir = yield* tempDir
      const server = yield* serve({ stallMillis: 150, delayMillis: 2 })
      // with a high-water mark above the chunk size, write() returns true and undici asks for the next chunk while
      // the previous ones are still queued: reusing them here would corrupt the upload
      const agent = yield* Effect.acquireRelease(
        Effect.sync(
          () => new Undici.Agent({ connect: { highWaterMark: 64 * 1024 * 1024 } as Undici.buildConnector.BuildOptions })
        ),
        (agent) => Effect.promise(() => agent.close())
      )
      const { file, bytes } = writeRandom(dir, "unbounded.bin", 12 * 1024 * 1024 + 5)
      const stat = fs.statSync(file)
      const form = new FormData()
      const part = new File([yield* Effect.promise(() => fs.openAsBlob(file))], "unbounded.bin")
      Multipart.registerFileSource(part, { path: file, size: bytes.length, mtimeMs: stat.mtimeMs })
      form.append("file", part)
      const encoded = Multipart.encode(form)
      const { mostUnsent } = yield* watchSocketBacklog(
        Effect.promise(async () => {
          const stopListening = encoded.listen()
          const response = await agent.request({
            origin: server.url,
            path: "/v1/files",
            method: "POST",
            headers: { "content-type": encoded.contentType, "content-length": String(encoded.contentLength) },
            body: encoded.body as unknown as Uint8Array
          })
          stopListening()
          return response.body.text()
        })
      )
      expect(mostUnsent).toBeGreaterThan(Multipart.CHUNK_SIZE)
      expect(sha256(server.received[0].parts[0].content)).toBe(sha256(bytes))
    })
  )

  it.scopedLive("interrupting an upload mid-body closes the connection and the file", () =>
    Effect.gen(function* () {
      const dir = yield* tempDir
      const server = yield* serve({ delayMillis: 20, hang: true })
      const { file } = writeRandom(dir, "interrupted.bin", 16 * 1024 * 1024)
      const before = openDescriptors()
      const fiber = yield* NodeFiles.upload(file, { purpose: "batch" }).pipe(
        Effect.provide(layerFor(server.url)),
        Effect.fork
      )
      yield* Deferred.await(server.firstBytes)
      yield* Effect.sleep("50 millis")
      const exit = yield* Fiber.interrupt(fiber)
      expect(Exit.isInterrupted(exit)).toBe(true)
      yield* Deferred.await(server.aborted).pipe(Effect.timeout("2 seconds"))
      // the file handle closes as undici returns the body's iterator
      yield* Effect.sleep("50 millis")
      expect(openDescriptors()).toBeLessThanOrEqual(before)
    })
  )
})

describe("multipart encoding", () => {
  const readAll = async (body: AsyncIterable<Uint8Array>) => {
    const chunks: Array<Buffer> = []
    for await (const chunk of body) chunks.push(Buffer.from(chunk))
    return Buffer.concat(chunks)
  }

  it.effect("matches undici's encoding byte for byte, escaping and line breaks included", () =>
    Effect.promise(async () => {
      const form = new FormData()
      form.append('we"ird\nname', "line\none\r\ntwo\rthree")
      form.append("plain", "ünïcode ✓")
      form.append("file", new Blob(['{"n":1}\n'.repeat(3)], { type: "application/jsonl" }), 'a"b\r\nc ✓.jsonl')
      form.append("empty", new Blob([]), "empty.bin")
      form.append("untyped", new Blob([Buffer.from("x")]))
      const encoded = Multipart.encode(form)
      const ours = await readAll(encoded.body)
      expect(ours.length).toBe(encoded.contentLength)
      const copy = new Undici.FormData()
      for (const [key, value] of form) copy.append(key, value)
      const response = new Undici.Response(copy)
      const theirs = Buffer.from(await response.arrayBuffer())
      const theirBoundary = /boundary=(.+)$/.exec(response.headers.get("content-type") ?? "")?.[1] ?? ""
      const ourBoundary = /boundary=(.+)$/.exec(encoded.contentType)?.[1] ?? ""
      expect(ours.toString("latin1").replaceAll(ourBoundary, "B")).toBe(
        theirs.toString("latin1").replaceAll(theirBoundary, "B")
      )
    })
  )

  it.effect("reads a registered file from disk, a changed one and an unregistered one through their Blobs", () =>
    Effect.promise(async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "effect-mistral-multipart-"))
      try {
        const blobBytes = randomBytes(200_000)
        const diskBytes = randomBytes(200_000)
        const onDisk = path.join(dir, "disk.bin")
        fs.writeFileSync(onDisk, diskBytes)
        const stat = fs.statSync(onDisk)
        const source = { path: onDisk, size: 200_000, mtimeMs: stat.mtimeMs }
        const formOf = (file: File) => {
          const form = new FormData()
          form.append("file", file)
          return form
        }
        // the path is read when its size and modification time still match what was opened
        const registered = new File([blobBytes], "f.bin")
        Multipart.registerFileSource(registered, source)
        expect((await readAll(Multipart.encode(formOf(registered)).body)).includes(diskBytes)).toBe(true)
        const changed = new File([blobBytes], "f.bin")
        Multipart.registerFileSource(changed, { ...source, mtimeMs: stat.mtimeMs - 1000 })
        expect((await readAll(Multipart.encode(formOf(changed)).body)).includes(blobBytes)).toBe(true)
        const unregistered = new File([blobBytes], "f.bin")
        expect((await readAll(Multipart.encode(formOf(unregistered)).body)).includes(blobBytes)).toBe(true)
        // a File appended under a new name is another File: read through its Blob
        const renamed = new FormData()
        renamed.append("file", registered, "g.bin")
        expect((await readAll(Multipart.encode(renamed).body)).includes(blobBytes)).toBe(true)
      } finally {
        fs.rmSync(dir, { recursive: true })
      }
    })
  )

  it.effect("a file that shrank after it was opened fails the body", () =>
    Effect.promise(async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "effect-mistral-multipart-"))
      try {
        const onDisk = path.join(dir, "disk.bin")
        fs.writeFileSync(onDisk, randomBytes(300_000))
        const form = new FormData()
        const part = new File([new Uint8Array(300_000)], "f.bin")
        Multipart.registerFileSource(part, { path: onDisk, size: 300_000, mtimeMs: fs.statSync(onDisk).mtimeMs })
        form.append("file", part)
        const iterator = Multipart.encode(form).body[Symbol.asyncIterator]()
        await iterator.next() // the part header
        await iterator.next() // the first chunk, read from the opened file
        fs.truncateSync(onDisk, 1000)
        await expect(
          (async () => {
            for (;;) if ((await iterator.next()).done) return
          })()
        ).rejects.toThrow(/ended before/)
      } finally {
        fs.rmSync(dir, { recursive: true })
      }
    })
  )
})
