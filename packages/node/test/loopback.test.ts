import * as Http from "node:http"
import type { AddressInfo } from "node:net"
import * as MistralTransport from "@effect-mistral/core/MistralTransport"
import * as MistralClient from "@effect-mistral/core/MistralClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Operation from "@effect-mistral/core/Operation"
import { describe, expect, it } from "@effect/vitest"
import { Chunk, Context, Deferred, Duration, Effect, Either, Fiber, Layer, Redacted, Schema, Stream } from "effect"
import * as MistralNode from "../src/MistralNode.js"

// A descriptor shaped like the generated conversation stream operations, with an open event union.
const Event = Schema.Struct({ type: Schema.String, content: Schema.optional(Schema.String) })
const streamOperation = Operation.make({
  operationId: "test_stream",
  method: "POST",
  path: "/v1/test",
  tags: ["test"],
  deprecated: false,
  body: { mediaType: "application/json", required: true, schema: Schema.Struct({ stream: Schema.Literal(true) }) },
  response: "sse",
  successStatus: 200,
  successMediaType: "text/event-stream",
  event: Event,
  errors: {}
})

interface TestServer {
  readonly url: string
  readonly closed: Deferred.Deferred<void>
  readonly requests: Array<{ readonly headers: Http.IncomingHttpHeaders; readonly body: string }>
}

/** A real HTTP server on loopback; the handler writes the answer by hand. */
const serve = (handler: (response: Http.ServerResponse, closed: () => void) => void) =>
  Effect.acquireRelease(
    Effect.gen(function* () {
      const closed = yield* Deferred.make<void>()
      const requests: TestServer["requests"] = []
      const server = Http.createServer((request, response) => {
        let body = ""
        request.on("data", (chunk) => {
          body += chunk
        })
        request.on("end", () => {
          requests.push({ headers: request.headers, body })
          response.on("close", () => Deferred.unsafeDone(closed, Effect.void))
          handler(response, () => Deferred.unsafeDone(closed, Effect.void))
        })
      })
      yield* Effect.async<void>((resume) => {
        server.listen(0, "127.0.0.1", () => resume(Effect.void))
      })
      const port = (server.address() as AddressInfo).port
      return { server, value: { url: `http://127.0.0.1:${port}`, closed, requests } satisfies TestServer }
    }),
    ({ server }) =>
      Effect.async<void>((resume) => {
        server.closeAllConnections()
        server.close(() => resume(Effect.void))
      })
  ).pipe(Effect.map(({ value }) => value))

/** The client, alive for the test's scope. */
const clientFor = (url: string, options: MistralClient.Options = {}) =>
  Effect.map(Layer.build(MistralNode.layer({ apiKey: Redacted.make("k"), baseUrl: url, ...options })), (context) =>
    Context.get(context, MistralClient.MistralClient)
  )

const plainOperation = Operation.make({
  operationId: "test_plain",
  method: "GET",
  path: "/v1/plain",
  tags: ["test"],
  deprecated: false,
  response: "json",
  successStatus: 200,
  successMediaType: "application/json",
  success: Schema.Struct({ ok: Schema.Boolean }),
  errors: {}
})

const frames = [
  ": keep-alive\n\n",
  'event: message.output.delta\ndata: {"type":"message.output.delta","content":"héllo 🌍"}\n\n',
  'event: something.new\ndata: {"type":"something.new","x":1}\n\n',
  'event: message.output.delta\r\ndata: {"type":"message.output.delta","content":"wörld"}\r\n\r\n',
  ":ping\n\n",
  'event: conversation.response.done\ndata: {"type":"conversation.response.done"}\n\n'
]

describe("SSE over loopback", () => {
  it.scoped("decodes events split at awkward places: mid-line and inside multi-byte characters", () =>
    Effect.gen(function* () {
      const bytes = Buffer.from(frames.join(""), "utf8")
      const server = yield* serve((response) => {
        response.writeHead(200, { "content-type": "text/event-stream" })
        // one byte at a time through the first multi-byte characters, then uneven slices
        let offset = 0
        const sizes = [1, 1, 1, 2, 3, 5, 7, 11, 13]
        const write = () => {
          if (offset >= bytes.length) return response.end()
          const size = sizes[offset % sizes.length]
          response.write(bytes.subarray(offset, offset + size))
          offset += size
          setImmediate(write)
        }
        write()
      })
      const client = yield* clientFor(server.url)
      const events = yield* Stream.runCollect(client.stream(streamOperation, { body: { stream: true } }))
      expect(Chunk.toArray(events)).toEqual([
        { type: "message.output.delta", content: "héllo 🌍" },
        { type: "something.new" },
        { type: "message.output.delta", content: "wörld" },
        { type: "conversation.response.done" }
      ])
      expect(server.requests[0].headers.accept).toBe("text/event-stream")
    })
  )

  it.scoped("a conversation.response.error event fails the stream with StreamEventError", () =>
    Effect.gen(function* () {
      const server = yield* serve((response) => {
        response.writeHead(200, { "content-type": "text/event-stream", "x-request-id": "req-42" })
        response.write(frames[1])
        response.end(
          'event: conversation.response.error\ndata: {"type":"conversation.response.error","message":"model overloaded","code":3001}\n\n'
        )
      })
      const client = yield* clientFor(server.url)
      const results = Chunk.toArray(
        yield* Stream.runCollect(Stream.either(client.stream(streamOperation, { body: { stream: true } })))
      )
      expect(results).toHaveLength(2)
      const last = results[1]
      expect(Either.isLeft(last) && last.left._tag).toBe("StreamEventError")
      if (Either.isLeft(last) && last.left._tag === "StreamEventError") {
        expect(last.left.detail).toBe("model overloaded")
        expect(last.left.requestId).toBe("req-42")
      }
    })
  )

  it.scoped("interrupting a stream closes its socket", () =>
    Effect.gen(function* () {
      const server = yield* serve((response) => {
        response.writeHead(200, { "content-type": "text/event-stream" })
        response.write(frames[1])
        // keeps the stream open forever
      })
      const client = yield* clientFor(server.url)
      const first = yield* Deferred.make<void>()
      const fiber = yield* client.stream(streamOperation, { body: { stream: true } }).pipe(
        Stream.tap(() => Deferred.succeed(first, undefined)),
        Stream.runDrain,
        Effect.fork
      )
      yield* Deferred.await(first)
      yield* Fiber.interrupt(fiber)
      yield* Deferred.await(server.closed).pipe(Effect.timeout("5 seconds"))
    })
  )

  it.scoped("a connection cut after an event is StreamBroken, with the event delivered and no replay", () =>
    Effect.gen(function* () {
      const server = yield* serve((response) => {
        response.writeHead(200, { "content-type": "text/event-stream" })
        response.write(frames[1], () => setTimeout(() => response.socket?.destroy(), 20))
      })
      const client = yield* clientFor(server.url)
      const results = Chunk.toArray(
        yield* Stream.runCollect(Stream.either(client.stream(streamOperation, { body: { stream: true } })))
      )
      expect(results[0]).toEqual(Either.right({ type: "message.output.delta", content: "héllo 🌍" }))
      const last = results[1]
      expect(Either.isLeft(last) && last.left._tag).toBe("StreamBroken")
      expect(server.requests).toHaveLength(1)
    })
  )

  it.scoped("interrupting a plain call that waits for its answer closes the connection", () =>
    Effect.gen(function* () {
      const server = yield* serve(() => {
        // never answers
      })
      const client = yield* clientFor(server.url)
      const fiber = yield* Effect.fork(client.call(plainOperation))
      yield* Effect.async<void>((resume) => {
        const check = setInterval(() => {
          if (server.requests.length > 0) {
            clearInterval(check)
            resume(Effect.void)
          }
        }, 5)
      })
      yield* Fiber.interrupt(fiber)
      yield* Deferred.await(server.closed).pipe(Effect.timeout("5 seconds"))
    })
  )

  it.live("interrupting a plain call whose body stalls closes the connection", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const headSent = yield* Deferred.make<void>()
        const server = yield* serve((response) => {
          response.writeHead(200, { "content-type": "application/json", "content-length": "100" })
          response.write('{"ok":', () => Deferred.unsafeDone(headSent, Effect.void))
          // the rest never comes
        })
        const client = yield* clientFor(server.url)
        const fiber = yield* Effect.fork(client.call(plainOperation))
        yield* Deferred.await(headSent)
        yield* Effect.sleep("20 millis")
        yield* Fiber.interrupt(fiber)
        yield* Deferred.await(server.closed).pipe(Effect.timeout("5 seconds"))
      })
    )
  )

  it.live("a request timeout aborts the request and fails with RequestTimeout", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const server = yield* serve(() => {
          // never answers
        })
        const client = yield* clientFor(server.url, { requestTimeout: "200 millis", retryPolicy: false })
        const error = yield* Effect.flip(client.call(plainOperation))
        expect(error._tag).toBe("RequestTimeout")
        yield* Deferred.await(server.closed).pipe(Effect.timeout("5 seconds"))
      })
    )
  )

  it.live("a body that stops arriving is bounded by the same request timeout", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const server = yield* serve((response) => {
          response.writeHead(200, { "content-type": "application/json", "content-length": "100" })
          response.write('{"ok":')
          // the rest never comes
        })
        const client = yield* clientFor(server.url, { requestTimeout: "200 millis", retryPolicy: false })
        const started = Date.now()
        const error = yield* Effect.flip(client.call(plainOperation))
        expect(error._tag).toBe("RequestTimeout")
        expect(Date.now() - started).toBeLessThan(2000)
        yield* Deferred.await(server.closed).pipe(Effect.timeout("5 seconds"))
      })
    )
  )

  it.live("a stream whose next bytes are late fails with StreamIdleTimeout and closes the connection", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const server = yield* serve((response) => {
          response.writeHead(200, { "content-type": "text/event-stream" })
          response.write(frames[1])
          // then nothing
        })
        const client = yield* clientFor(server.url, { streamIdleTimeout: "150 millis", retryPolicy: false })
        const started = Date.now()
        const results = Chunk.toArray(
          yield* Stream.runCollect(Stream.either(client.stream(streamOperation, { body: { stream: true } })))
        )
        expect(results[0]).toEqual(Either.right({ type: "message.output.delta", content: "héllo 🌍" }))
        const last = results[1]
        expect(Either.isLeft(last) && last.left._tag).toBe("StreamIdleTimeout")
        expect(Either.isLeft(last) && last.left._tag === "StreamIdleTimeout" && last.left.eventsReceived).toBe(1)
        expect(Date.now() - started).toBeLessThan(2000)
        yield* Deferred.await(server.closed).pipe(Effect.timeout("5 seconds"))
      })
    )
  )

  it.live("a reader slower than the idle timeout is not timed out while bytes are waiting for it", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const server = yield* serve((response) => {
          response.writeHead(200, { "content-type": "text/event-stream" })
          // one frame every 10 ms: the reader, sleeping 450 ms per event, always finds bytes waiting
          let index = 0
          const next = () => {
            if (index === frames.length) return response.end()
            response.write(frames[index++])
            setTimeout(next, 10)
          }
          next()
        })
        const client = yield* clientFor(server.url, { streamIdleTimeout: "300 millis", retryPolicy: false })
        const events = yield* client.stream(streamOperation, { body: { stream: true } }).pipe(
          Stream.tap(() => Effect.sleep("450 millis")),
          Stream.runCollect
        )
        expect(Chunk.size(events)).toBe(4)
      })
    )
  )

  it.live("the transport keeps the limits itself: a text body is read in the same wait as the head", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const server = yield* serve((response) => {
          response.writeHead(200, { "content-type": "application/json" })
          response.end('{"ok":true}')
        })
        const client = yield* clientFor(server.url)
        const transport = Context.get(yield* Layer.build(MistralNode.transportLayer), MistralTransport.MistralTransport)
        const response = yield* transport.send(HttpClientRequest.get(`${server.url}/plain`), {
          timeout: Duration.seconds(5),
          read: "text"
        })
        // no second wait: the body is at hand
        expect(Effect.runSync(response.text)).toBe('{"ok":true}')
        expect(yield* client.call(plainOperation)).toEqual({ ok: true })
      })
    )
  )
})

describe("whole answers over undici's handler API", () => {
  const transportIn = Effect.map(Layer.build(MistralNode.transportLayer), (context) =>
    Context.get(context, MistralTransport.MistralTransport)
  )

  it.live("repeated headers are joined, names lower-cased; a leading BOM is dropped from text, kept in bytes", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const server = yield* serve((response) => {
          response.setHeader("Set-Cookie", ["a=1", "b=2"])
          response.setHeader("X-Request-ID", "req-1")
          response.writeHead(200, { "content-type": "application/json" })
          response.end('\uFEFF{"ok":true}')
        })
        const transport = yield* transportIn
        const text = yield* transport.send(HttpClientRequest.get(`${server.url}/plain`), {
          timeout: Duration.seconds(5),
          read: "text"
        })
        expect(text.status).toBe(200)
        expect(text.headers["set-cookie"]).toBe("a=1, b=2")
        expect(text.headers["x-request-id"]).toBe("req-1")
        expect(yield* text.text).toBe('{"ok":true}')
        const bytes = yield* transport.send(HttpClientRequest.get(`${server.url}/plain`), {
          timeout: Duration.seconds(5),
          read: "bytes"
        })
        const body = yield* bytes.bytes
        // a buffer of its own, not a view into undici's
        expect(body.byteOffset).toBe(0)
        expect(body.buffer.byteLength).toBe(body.length)
        expect([...body.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf])
        expect(new TextDecoder().decode(body.slice(3))).toBe('{"ok":true}')
      })
    )
  )

  it.live("a body in many chunks (multi-byte characters across them) arrives whole", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const piece = "héllo 🌍 ".repeat(4096)
        const server = yield* serve((response) => {
          response.writeHead(200, { "content-type": "text/plain" })
          const bytes = Buffer.from(piece.repeat(8))
          // cut inside characters, written as separate chunks
          let offset = 0
          const next = () => {
            if (offset >= bytes.length) return void response.end()
            const end = Math.min(bytes.length, offset + 7919)
            response.write(bytes.subarray(offset, end))
            offset = end
            setImmediate(next)
          }
          next()
        })
        const transport = yield* transportIn
        const response = yield* transport.send(HttpClientRequest.get(`${server.url}/plain`), {
          timeout: Duration.seconds(10),
          read: "text"
        })
        expect(yield* response.text).toBe(piece.repeat(8))
      })
    )
  )

  it.live("a connection cut before the body ends is a TransportFailure, not a short answer", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const server = yield* serve((response) => {
          response.writeHead(200, { "content-type": "application/json", "content-length": "100" })
          response.write('{"ok":')
          setTimeout(() => response.socket?.destroy(), 20)
        })
        const transport = yield* transportIn
        const failure = yield* Effect.flip(
          transport.send(HttpClientRequest.get(`${server.url}/plain`), { timeout: Duration.seconds(5), read: "text" })
        )
        expect(failure._tag).toBe("TransportFailure")
        expect(failure.reason).toBe("Connection")
      })
    )
  )
})
