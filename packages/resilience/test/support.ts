/**
 * Shared pieces of the resilience suite: the client under test, a capture of every log line, span and error (scanned
 * for the API key), and a raw TCP server for the faults the emulator cannot express.
 */
import * as Net from "node:net"
import type * as AudioRealtime from "@effect-mistral/core/AudioRealtime"
import type * as Conversations from "@effect-mistral/core/Conversations"
import type * as MistralClient from "@effect-mistral/core/MistralClient"
import * as MistralError from "@effect-mistral/core/MistralError"
import * as RetryPolicy from "@effect-mistral/core/RetryPolicy"
import * as MistralNode from "@effect-mistral/node/MistralNode"
import {
  Cause,
  Deferred,
  Effect,
  Exit,
  Layer,
  Logger,
  LogLevel,
  Option,
  Redacted,
  type Scope,
  Stream,
  Tracer
} from "effect"

/** The API key every client of the suite uses; nothing the suite captures may contain it. */
export const KEY = "sk-resilience-7Qz3vN9pL2xW8kR4tY6u"

/** Short, deterministic retries so the suite stays fast: 10, 20, 40 ms. */
export const MAX_RETRIES = 3
export const shortPolicy = RetryPolicy.exponential({ base: "10 millis", jitter: false, maxRetries: MAX_RETRIES })

export const model = "mistral-small-latest"
/** An input long enough for the emulator to stream it in several events. */
export const longInput = "Tell me a story long enough to be cut into several streamed events, one after another"

// ---------------------------------------------------------------------------------------------------------------------
// Capture: every log line, span and error the suite produces.

export interface CapturedSpan {
  readonly name: string
  readonly attributes: Map<string, unknown>
  readonly events: Array<{ readonly name: string; readonly attributes: Record<string, unknown> | undefined }>
  exit: Exit.Exit<unknown, unknown> | undefined
}

export const captured = {
  lines: [] as Array<string>,
  spans: [] as Array<CapturedSpan>,
  errors: [] as Array<unknown>,
  causes: [] as Array<Cause.Cause<unknown>>
}

const lineLogger = Logger.zip(
  Logger.map(Logger.logfmtLogger, (line) => {
    captured.lines.push(line)
  }),
  Logger.map(Logger.jsonLogger, (line) => {
    captured.lines.push(line)
  })
)

let spanCounter = 0

const captureTracer = Tracer.make({
  span: (name, parent, context, links, startTime, kind) => {
    const record: CapturedSpan = { name, attributes: new Map(), events: [], exit: undefined }
    captured.spans.push(record)
    const spanId = `span${++spanCounter}`
    let status: Tracer.SpanStatus = { _tag: "Started", startTime }
    const span: Tracer.Span = {
      _tag: "Span",
      name,
      spanId,
      traceId: parent._tag === "Some" ? parent.value.traceId : `trace${spanCounter}`,
      parent,
      context,
      get status() {
        return status
      },
      attributes: record.attributes,
      links: [...links],
      sampled: true,
      kind,
      end: (endTime, exit) => {
        status = { _tag: "Ended", startTime, endTime, exit }
        record.exit = exit
      },
      attribute: (key, value) => {
        record.attributes.set(key, value)
      },
      event: (eventName, _time, attributes) => {
        record.events.push({ name: eventName, attributes })
      },
      addLinks: () => {}
    }
    return span
  },
  context: (f) => f()
})

/** Every log line at every level (retry lines are at Debug), and every span, go to `captured`. */
export const observability = Layer.mergeAll(
  Logger.replace(Logger.defaultLogger, lineLogger),
  Logger.minimumLogLevel(LogLevel.All),
  Layer.setTracer(captureTracer)
)

/** Everything captured, as text, for the secret scan. */
export const capturedTexts = (): Array<string> => {
  const texts: Array<string> = [...captured.lines]
  for (const error of captured.errors) {
    texts.push(String(error), JSON.stringify(error))
    if (error instanceof Error) texts.push(error.message, error.stack ?? "")
    texts.push(Cause.pretty(Cause.fail(error)))
  }
  for (const cause of captured.causes) texts.push(Cause.pretty(cause), JSON.stringify(cause), String(cause))
  for (const span of captured.spans) {
    texts.push(span.name, JSON.stringify([...span.attributes]), JSON.stringify(span.events))
    if (span.exit !== undefined) {
      texts.push(String(span.exit), JSON.stringify(span.exit))
      if (Exit.isFailure(span.exit)) texts.push(Cause.pretty(span.exit.cause))
    }
  }
  return texts
}

// ---------------------------------------------------------------------------------------------------------------------
// The client under test.

export interface ClientOptions extends MistralClient.Options {}

export const clientLayer = (baseUrl: string, options: ClientOptions = {}) =>
  Layer.merge(
    MistralNode.layer({
      apiKey: Redacted.make(KEY),
      baseUrl,
      retryPolicy: shortPolicy,
      requestTimeout: "5 seconds",
      streamIdleTimeout: "5 seconds",
      // every line and attribute the client can write, so that the key check below covers them
      log: "trace",
      captureContent: true,
      ...options
    }),
    observability
  )

type Services = MistralClient.MistralClient | Conversations.Conversations | AudioRealtime.AudioRealtime

/** Runs `program` with a fresh client (its own connection pool, closed afterwards), logging any failure. */
export const withClient = <A, E>(
  baseUrl: string,
  program: Effect.Effect<A, E, Services>,
  options: ClientOptions = {}
): Effect.Effect<A, E | MistralError.ConfigurationError> =>
  program.pipe(
    Effect.tapErrorCause((cause) =>
      Effect.sync(() => {
        captured.causes.push(cause)
      }).pipe(Effect.zipRight(Effect.logError("call failed", cause)))
    ),
    Effect.provide(clientLayer(baseUrl, options))
  )

/** The failure of an effect that must fail with a `MistralError` (a defect or a success fails the test). */
export const failure = <A, E>(effect: Effect.Effect<A, E>): Effect.Effect<MistralError.MistralError> =>
  Effect.flatMap(Effect.exit(effect), (exit) => {
    if (Exit.isSuccess(exit)) return Effect.dieMessage(`expected a failure, got ${JSON.stringify(exit.value)}`)
    const error = Cause.failureOption(exit.cause)
    if (Option.isSome(error) && MistralError.isMistralError(error.value)) {
      captured.errors.push(error.value)
      return Effect.succeed(error.value)
    }
    return Effect.dieMessage(`expected a typed MistralError, got ${Cause.pretty(exit.cause)}`)
  })

/** The elements a stream delivered before it ended, and how it ended. */
export const drain = <A, E, R>(
  stream: Stream.Stream<A, E, R>
): Effect.Effect<{ readonly items: ReadonlyArray<A>; readonly exit: Exit.Exit<void, E> }, never, R> =>
  Effect.suspend(() => {
    const items: Array<A> = []
    return Effect.map(
      Effect.exit(
        Stream.runForEach(stream, (item) =>
          Effect.sync(() => {
            items.push(item)
          })
        )
      ),
      (exit) => ({ items, exit })
    )
  })

/** The `MistralError` a drained stream ended with (a defect or a clean end fails the test). */
export const streamFailure = <E>(exit: Exit.Exit<void, E>): Effect.Effect<MistralError.MistralError> =>
  failure(Effect.suspend(() => exit))

/** Wall-clock milliseconds an effect takes. */
export const timed = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function* () {
    const begin = performance.now()
    const result = yield* effect
    return [result, performance.now() - begin] as const
  })

/** A retry observer that counts retries. */
export const retryCounter = () => {
  const attempts: Array<RetryPolicy.RetryAttempt> = []
  return {
    attempts,
    onRetry: (attempt: RetryPolicy.RetryAttempt) =>
      Effect.sync(() => {
        attempts.push(attempt)
      })
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// A raw TCP server on loopback: the handler writes whatever bytes it likes.

export interface RawRequest {
  readonly head: string
  readonly method: string
  readonly path: string
  readonly body: string
  readonly time: number
}

export interface RawExchange {
  readonly socket: Net.Socket
  readonly request: RawRequest
  /** 0 for the first request the server received. */
  readonly index: number
}

export interface RawServer {
  readonly url: string
  readonly port: number
  readonly requests: Array<RawRequest>
  /** Sockets currently open on the server side. */
  readonly openConnections: () => number
  /** Completes when a connection the server accepted has closed. */
  readonly closed: Deferred.Deferred<void>
}

const headEnd = "\r\n\r\n"

/** Listens on 127.0.0.1; reads one request per connection, then hands the socket to `handler`. */
export const rawServer = (handler: (exchange: RawExchange) => void): Effect.Effect<RawServer, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.gen(function* () {
      const closed = yield* Deferred.make<void>()
      const requests: Array<RawRequest> = []
      const sockets = new Set<Net.Socket>()
      const server = Net.createServer((socket) => {
        sockets.add(socket)
        socket.on("error", () => {})
        socket.on("close", () => {
          sockets.delete(socket)
          Deferred.unsafeDone(closed, Exit.void)
        })
        let buffer = Buffer.alloc(0)
        let handled = false
        socket.on("data", (chunk: Buffer) => {
          if (handled) return
          buffer = Buffer.concat([buffer, chunk])
          const end = buffer.indexOf(headEnd)
          if (end === -1) return
          const head = buffer.subarray(0, end).toString("latin1")
          const lengthMatch = /\r\ncontent-length:\s*(\d+)/i.exec(head)
          const length = lengthMatch === null ? 0 : Number(lengthMatch[1])
          if (buffer.length < end + headEnd.length + length) return
          handled = true
          const [method = "", path = ""] = head.split("\r\n")[0].split(" ")
          const request: RawRequest = {
            head,
            method,
            path,
            body: buffer.subarray(end + headEnd.length, end + headEnd.length + length).toString("utf8"),
            time: Date.now()
          }
          requests.push(request)
          handler({ socket, request, index: requests.length - 1 })
        })
      })
      yield* Effect.async<void>((resume) => {
        server.listen(0, "127.0.0.1", () => resume(Effect.void))
      })
      const port = (server.address() as Net.AddressInfo).port
      const value: RawServer = {
        url: `http://127.0.0.1:${port}`,
        port,
        requests,
        openConnections: () => sockets.size,
        closed
      }
      return { server, sockets, value }
    }),
    ({ server, sockets }) =>
      Effect.async<void>((resume) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resume(Effect.void))
      })
  ).pipe(Effect.map(({ value }) => value))

/** Writes a complete answer and closes the connection. */
export const respond = (
  socket: Net.Socket,
  status: string,
  headers: Record<string, string>,
  body: string | Buffer = ""
): void => {
  const bytes = typeof body === "string" ? Buffer.from(body, "utf8") : body
  const lines = [`HTTP/1.1 ${status}`, "connection: close", `content-length: ${bytes.length}`]
  for (const [key, value] of Object.entries(headers)) lines.push(`${key}: ${value}`)
  socket.end(Buffer.concat([Buffer.from(`${lines.join("\r\n")}${headEnd}`, "latin1"), bytes]))
}

/** Writes the head of a server-sent event stream whose body lasts until the connection closes. */
export const sseHead = (socket: Net.Socket): void => {
  socket.write(
    "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\nconnection: close\r\n\r\n"
  )
}

export const frame = (data: unknown, event?: string): string =>
  `${event === undefined ? "" : `event: ${event}\n`}data: ${JSON.stringify(data)}\n\n`

export const conversationResponse = {
  object: "conversation.response",
  conversation_id: "conv_raw_1",
  outputs: [
    {
      object: "entry",
      type: "message.output",
      id: "msg_raw_1",
      role: "assistant",
      content: "Hello from the raw server"
    }
  ],
  usage: { prompt_tokens: 1, completion_tokens: 5, total_tokens: 6 }
}

export const started = { type: "conversation.response.started", conversation_id: "conv_raw_1" }
export const delta = (text: string) => ({
  type: "message.output.delta",
  id: "msg_raw_1",
  output_index: 0,
  content_index: 0,
  role: "assistant",
  content: text
})
export const done = { type: "conversation.response.done", usage: { prompt_tokens: 1, completion_tokens: 2 } }

/** A port nothing listens on: bound, then released. */
export const closedPort: Effect.Effect<number> = Effect.async<number>((resume) => {
  const server = Net.createServer()
  server.listen(0, "127.0.0.1", () => {
    const port = (server.address() as Net.AddressInfo).port
    server.close(() => resume(Effect.succeed(port)))
  })
})

/** Narrows an error to the expected tag, or fails the test showing what came instead. */
export const expectTag = <T extends MistralError.MistralError["_tag"]>(
  error: MistralError.MistralError,
  tag: T
): Extract<MistralError.MistralError, { readonly _tag: T }> => {
  if (error._tag !== tag) throw new Error(`expected ${tag}, got ${error._tag}: ${error.message}`)
  return error as Extract<MistralError.MistralError, { readonly _tag: T }>
}
