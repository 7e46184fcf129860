/**
 * What the undici `HttpClient` and the undici transport share: sending one request through a dispatcher (with an
 * optional deadline, reading the whole body in the same wait when asked), and reading a body whole or as a stream
 * (with an optional idle timer armed only while a read waits for bytes).
 *
 * @internal
 */
import { Readable } from "node:stream"
import * as Headers from "@effect/platform/Headers"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as UrlParams from "@effect/platform/UrlParams"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import type * as Fiber from "effect/Fiber"
import type * as FiberStatus from "effect/FiberStatus"
import * as Option from "effect/Option"
import * as Runtime from "effect/Runtime"
import * as Stream from "effect/Stream"
import type * as Undici from "undici"
import * as Multipart from "./multipart.js"

/** The body of an undici answer. */
export type Body = Undici.Dispatcher.ResponseData["body"]

const noop = () => {}

/** A timer for a deadline (epoch ms), or none when there is no finite deadline. */
const startDeadline = (
  deadline: number | undefined,
  onExpiry: () => void
): ReturnType<typeof setTimeout> | undefined =>
  deadline === undefined || !Number.isFinite(deadline)
    ? undefined
    : setTimeout(onExpiry, Math.max(0, deadline - Date.now()))

/** Why a body or a request failed underneath: its deadline or idle timer, or the cause undici gave. */
export type Failure =
  | { readonly _tag: "Deadline" }
  | { readonly _tag: "Idle" }
  | { readonly _tag: "Cause"; readonly cause: unknown }

class Interrupted extends Error {
  constructor() {
    super("the request was interrupted")
  }
}

class Expired extends Error {
  constructor(readonly failure: Failure) {
    super(failure._tag === "Deadline" ? "the request deadline passed" : "no bytes came within the idle timeout")
  }
}

const failureOf = (cause: unknown): Failure => (cause instanceof Expired ? cause.failure : { _tag: "Cause", cause })

/**
 * The smallest abort signal undici accepts (an emitter of one `abort` event). `Effect.async` with a signal parameter
 * builds an `AbortController` for every request, which costs more than the request's own bookkeeping.
 */
class AbortHandle {
  aborted = false
  private listeners: Array<() => void> = []
  on(_event: "abort", listener: () => void): this {
    this.listeners.push(listener)
    return this
  }
  once(event: "abort", listener: () => void): this {
    return this.on(event, listener)
  }
  removeListener(_event: "abort", listener: () => void): this {
    const index = this.listeners.indexOf(listener)
    if (index !== -1) this.listeners.splice(index, 1)
    return this
  }
  abort(): void {
    if (this.aborted) return
    this.aborted = true
    for (const listener of this.listeners.splice(0)) listener()
  }
}

const splitUrl = (url: string): { readonly origin: string; readonly path: string } => {
  const schemeEnd = url.indexOf("://")
  const pathStart = schemeEnd === -1 ? -1 : url.indexOf("/", schemeEnd + 3)
  return pathStart === -1 ? { origin: url, path: "/" } : { origin: url.slice(0, pathStart), path: url.slice(pathStart) }
}

/** The path with its query; a fragment is never sent. */
const withQuery = (path: string, params: UrlParams.UrlParams): string => {
  if (params.length === 0) return path
  let query = ""
  for (const [key, value] of params) {
    query += `${query.length === 0 ? "" : "&"}${encodeURIComponent(key)}=${encodeURIComponent(value)}`
  }
  return path + (path.includes("?") ? "&" : "?") + query
}

type UndiciBody = string | Uint8Array | Readable | AsyncIterable<Uint8Array> | null

interface Outgoing {
  readonly headers: Headers.Headers
  readonly body: UndiciBody
  /** Called right before the request is handed to undici; what it returns, once the request settled. */
  readonly listen?: (() => () => void) | undefined
}

/**
 * The body as undici takes it, with the request's headers. A body's `content-type` and `content-length` headers are
 * already on the request (set with the body), except for `FormData`, which is encoded here.
 */
const outgoingOf = (
  request: HttpClientRequest.HttpClientRequest,
  /** The runtime a streamed body runs in (the sending fiber's). */
  runtimeOf: (() => Runtime.Runtime<never>) | undefined
): Outgoing => {
  const body = request.body
  const headers = request.headers
  switch (body._tag) {
    case "Empty":
      return { headers, body: null }
    case "Uint8Array":
      return { headers, body: body.body }
    case "FormData": {
      // encoded here rather than by undici: a file from NodeFiles.uploadFromPath is read into reused buffers
      const form = Multipart.encode(body.formData)
      return {
        headers: { ...headers, "content-type": form.contentType, "content-length": String(form.contentLength) },
        body: form.body,
        listen: form.listen
      }
    }
    case "Raw":
      return { headers, body: body.body as UndiciBody }
    case "Stream": {
      const runtime = runtimeOf?.() ?? Runtime.defaultRuntime
      return {
        headers,
        body: Readable.from(Stream.toAsyncIterableRuntime(runtime)(body.stream as Stream.Stream<Uint8Array, unknown>))
      }
    }
  }
}

const runtimeOf = (fiber: Fiber.RuntimeFiber<unknown, unknown>, status: FiberStatus.Running): Runtime.Runtime<never> =>
  Runtime.make({ context: fiber.currentContext, runtimeFlags: status.runtimeFlags, fiberRefs: fiber.getFiberRefs() })

/** How to send: the deadline (epoch ms) for the head, and the whole body when `read` asks for it. */
export interface SendOptions {
  readonly deadline?: number | undefined
  readonly read?: "text" | "bytes" | undefined
}

/** An answer's head, and its whole body when it was read in the same wait. */
export interface Answer {
  readonly data: Undici.Dispatcher.ResponseData
  readonly text?: string | undefined
  readonly bytes?: Uint8Array | undefined
}

const readAnswer = (data: Undici.Dispatcher.ResponseData, read: SendOptions["read"]): Promise<Answer> => {
  switch (read) {
    case "text":
      return data.body.text().then((text) => ({ data, text }))
    case "bytes":
      return data.body.arrayBuffer().then((buffer) => ({ data, bytes: new Uint8Array(buffer) }))
    case undefined:
      return Promise.resolve({ data })
  }
}

/**
 * Sends `request` through `dispatcher`. Past the deadline the request is aborted (and its connection closed); so it is
 * when the fiber is interrupted before the answer.
 */
export const send = <A, E>(
  dispatcher: Undici.Dispatcher,
  request: HttpClientRequest.HttpClientRequest,
  options: SendOptions,
  onAnswer: (answer: Answer) => A,
  onFailure: (failure: Failure) => E
): Effect.Effect<A, E> => {
  const { origin, path } = splitUrl(request.url)
  return Effect.withFiberRuntime<A, E>((fiber, status) => {
    const { body, headers, listen } = outgoingOf(request, () => runtimeOf(fiber, status))
    return Effect.async<A, E>((resume) => {
      const signal = new AbortHandle()
      let settled = false
      const timer = startDeadline(options.deadline, () => {
        settled = true
        signal.abort()
        resume(Effect.fail(onFailure({ _tag: "Deadline" })))
      })
      const stopListening = listen?.()
      dispatcher
        .request({
          origin,
          path: withQuery(path, request.urlParams),
          method: request.method as Undici.Dispatcher.HttpMethod,
          headers,
          // an AsyncIterable body is supported (and documented) but missing from undici's types
          body: body as Exclude<Undici.Dispatcher.RequestOptions["body"], undefined>,
          signal
        })
        // a body the caller reads whole right away is read in the same wait, under the same deadline
        .then((data) => readAnswer(data, options.read))
        .then(
          (answer) => {
            if (settled) return void answer.data.body.destroy()
            settled = true
            // a body dropped early (a chat stream stopped at [DONE]) emits an abort error nobody listens to
            answer.data.body.on("error", noop)
            resume(Effect.succeed(onAnswer(answer)))
          },
          (cause: unknown) => {
            if (settled) return
            settled = true
            resume(Effect.fail(onFailure({ _tag: "Cause", cause })))
          }
        )
        .finally(() => {
          clearTimeout(timer)
          stopListening?.()
        })
      // interrupted before the head: abort the request (and its connection)
      return Effect.sync(() => {
        settled = true
        clearTimeout(timer)
        signal.abort()
      })
    })
  })
}

/** A whole answer read by `sendWhole`: its status, headers and body. */
export interface WholeAnswer {
  readonly status: number
  readonly headers: Headers.Headers
  readonly text?: string | undefined
  readonly bytes?: Uint8Array | undefined
}

const latin1 = (value: Buffer | string): string => (typeof value === "string" ? value : value.toString("latin1"))

/** An answer's raw headers as `Headers`: names lower-cased, a repeated header's values joined with `, `. */
const headersOfRaw = (raw: ReadonlyArray<Buffer | string | ReadonlyArray<Buffer | string>>): Headers.Headers => {
  const out: Record<string, string> = {}
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = latin1(raw[i] as Buffer | string).toLowerCase()
    const item = raw[i + 1]
    const value = Array.isArray(item) ? item.map(latin1).join(", ") : latin1(item as Buffer | string)
    const previous = Object.hasOwn(out, name) ? out[name] : undefined
    if (name === "__proto__") {
      Object.defineProperty(out, name, { value, enumerable: true, configurable: true, writable: true })
    } else {
      out[name] = previous === undefined ? value : `${previous}, ${value}`
    }
  }
  return Headers.unsafeFromRecord(out)
}

const BOM = 0xfeff

/** The body's chunks as one buffer. */
const concat = (chunks: ReadonlyArray<Buffer>, length: number): Buffer =>
  chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks as Array<Buffer>, length)

/**
 * Sends `request` through `dispatcher` and reads the whole answer (as text, UTF-8 with a leading BOM dropped, like
 * `body.text()`, or as bytes) in the same wait, under the deadline (epoch ms, if any). Past the deadline, or when the
 * fiber is interrupted, the request is aborted (and its connection closed).
 *
 * Written on undici's handler API (`dispatch`) rather than `request`: no abort signal, no `Readable` for the body and
 * no promise per step — about a third of undici's cost per request.
 */
export const sendWhole = <A, E>(
  dispatcher: Undici.Dispatcher,
  request: HttpClientRequest.HttpClientRequest,
  deadline: number | undefined,
  read: "text" | "bytes",
  onAnswer: (answer: WholeAnswer) => A,
  onFailure: (failure: Failure) => E
): Effect.Effect<A, E> => {
  const { origin, path } = splitUrl(request.url)
  const start = (outgoing: Outgoing) =>
    Effect.async<A, E>((resume) => {
      let settled = false
      let abort: ((reason: Error) => void) | undefined
      let aborted: Error | undefined
      let status = 0
      let headers: Headers.Headers | undefined
      let chunks: Array<Buffer> = []
      let length = 0
      const stopListening = outgoing.listen?.()
      const cancel = (reason: Error) => {
        aborted ??= reason
        if (abort !== undefined) abort(reason)
      }
      const finish = () => {
        clearTimeout(timer)
        stopListening?.()
      }
      const timer = startDeadline(deadline, () => {
        if (settled) return
        settled = true
        finish()
        cancel(new Expired({ _tag: "Deadline" }))
        resume(Effect.fail(onFailure({ _tag: "Deadline" })))
      })
      const handler: Undici.Dispatcher.DispatchHandler = {
        onConnect: (abortRequest) => {
          abort = abortRequest
          if (aborted !== undefined) abortRequest(aborted)
        },
        onHeaders: (statusCode, rawHeaders) => {
          // an informational answer (1xx) is not the answer
          if (statusCode < 200) return true
          status = statusCode
          headers = headersOfRaw(rawHeaders as unknown as ReadonlyArray<Buffer>)
          return true
        },
        onData: (chunk) => {
          chunks.push(chunk)
          length += chunk.length
          return true
        },
        onComplete: () => {
          if (settled) return
          settled = true
          finish()
          const answerHeaders = headers ?? Headers.empty
          if (read === "bytes") {
            // a buffer of its own: undici's chunks are views into larger ones
            const bytes = new Uint8Array(length)
            let offset = 0
            for (const chunk of chunks) {
              bytes.set(chunk, offset)
              offset += chunk.length
            }
            chunks = []
            resume(Effect.succeed(onAnswer({ status, headers: answerHeaders, bytes })))
          } else {
            const text = concat(chunks, length).toString("utf8")
            chunks = []
            resume(
              Effect.succeed(
                onAnswer({ status, headers: answerHeaders, text: text.charCodeAt(0) === BOM ? text.slice(1) : text })
              )
            )
          }
        },
        onError: (cause) => {
          if (settled) return
          settled = true
          finish()
          resume(Effect.fail(onFailure({ _tag: "Cause", cause })))
        }
      }
      dispatcher.dispatch(
        {
          origin,
          path: withQuery(path, request.urlParams),
          method: request.method as Undici.Dispatcher.HttpMethod,
          headers: outgoing.headers,
          // an AsyncIterable body is supported (and documented) but missing from undici's types
          body: outgoing.body as Exclude<Undici.Dispatcher.RequestOptions["body"], undefined>
        },
        handler
      )
      // interrupted before the answer: abort the request (and its connection)
      return Effect.sync(() => {
        if (settled) return
        settled = true
        finish()
        cancel(new Interrupted())
      })
    })
  // only a streamed body needs the fiber (to run its stream)
  return request.body._tag === "Stream"
    ? Effect.withFiberRuntime<A, E>((fiber, status) => start(outgoingOf(request, () => runtimeOf(fiber, status))))
    : start(outgoingOf(request, undefined))
}

/**
 * Reads `body` whole before the deadline (epoch ms, if any); past it the body is destroyed. Interruption destroys the
 * body (and its connection). One async step.
 */
export const readWhole = <A, E>(
  body: Body,
  deadline: number | undefined,
  read: () => Promise<A>,
  onFailure: (failure: Failure) => E
): Effect.Effect<A, E> =>
  Effect.async<A, E>((resume) => {
    const timer = startDeadline(deadline, () => body.destroy(new Expired({ _tag: "Deadline" })))
    read()
      .finally(() => clearTimeout(timer))
      .then(
        (value) => resume(Effect.succeed(value)),
        (cause: unknown) => resume(Effect.fail(onFailure(failureOf(cause))))
      )
    return Effect.sync(() => {
      clearTimeout(timer)
      body.destroy()
    })
  })

/**
 * `body` as a stream of whatever the socket delivered since the last read, one chunk per read; the body stops
 * reading the socket while nobody reads it (backpressure). With an idle timeout (ms), a read that waits longer for
 * bytes destroys the body; the timer runs only while a read waits. Ending early (interruption, `[DONE]`) closes the
 * connection, never leaving it half-read.
 */
export const readStream = <E>(
  body: Body,
  idleTimeout: number | undefined,
  onFailure: (failure: Failure) => E
): Stream.Stream<Uint8Array, E> =>
  Stream.suspend(() => {
    let ended = false
    let failure: unknown
    let waiting: (() => void) | undefined
    let idleTimer: ReturnType<typeof setTimeout> | undefined
    const wake = () => {
      const resume = waiting
      waiting = undefined
      resume?.()
    }
    body.on("readable", wake)
    body.once("end", () => {
      ended = true
      wake()
    })
    body.once("error", (cause) => {
      failure ??= cause
      wake()
    })
    const timed = idleTimeout !== undefined && Number.isFinite(idleTimeout)
    const read = Effect.async<Chunk.Chunk<Uint8Array>, Option.Option<E>>((resume) => {
      const attempt = (): void => {
        if (failure !== undefined) {
          resume(Effect.fail(Option.some(onFailure(failureOf(failure)))))
          return
        }
        const chunk: Uint8Array | null = body.read()
        if (chunk !== null) {
          if (idleTimer !== undefined) {
            clearTimeout(idleTimer)
            idleTimer = undefined
          }
          resume(Effect.succeed(Chunk.of(chunk)))
        } else if (ended) {
          resume(Effect.fail(Option.none()))
        } else {
          waiting = attempt
          if (timed && idleTimer === undefined) {
            idleTimer = setTimeout(() => body.destroy(new Expired({ _tag: "Idle" })), idleTimeout)
          }
        }
      }
      attempt()
    })
    return Stream.ensuring(
      Stream.repeatEffectChunkOption(read),
      Effect.sync(() => {
        if (idleTimer !== undefined) clearTimeout(idleTimer)
        body.destroy()
      })
    )
  })
