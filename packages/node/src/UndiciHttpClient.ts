/**
 * A lean `HttpClient` for Node, directly over `undici.request` with keep-alive.
 *
 * It implements the `@effect/platform` `HttpClient` interface, so anything written against that interface works
 * with it, but it skips what the stock client pays for on every request and this library does not need: a `URL`
 * object, an `AbortController` registered for finalization, a cached body reader and a span of its own (the Mistral
 * client opens one span per operation). Interrupting a request or its body stream destroys the connection.
 * `FormData` bodies are encoded here, with a known length; a file from `NodeFiles.uploadFromPath` is read from disk
 * into a few reused buffers.
 *
 * @since 0.1.0
 */
import { Readable } from "node:stream"
import * as Cookies from "@effect/platform/Cookies"
import * as Headers from "@effect/platform/Headers"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as HttpIncomingMessage from "@effect/platform/HttpIncomingMessage"
import * as UrlParams from "@effect/platform/UrlParams"
import * as Chunk from "effect/Chunk"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import type * as Fiber from "effect/Fiber"
import type * as FiberStatus from "effect/FiberStatus"
import * as Inspectable from "effect/Inspectable"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Runtime from "effect/Runtime"
import * as Stream from "effect/Stream"
import * as HttpDeadline from "@effect-mistral/core/HttpDeadline"
import * as Undici from "undici"
import * as Multipart from "./internal/multipart.js"

/**
 * The undici dispatcher requests go through.
 *
 * @since 0.1.0
 * @category tags
 */
export class Dispatcher extends Context.Tag("@effect-mistral/node/UndiciHttpClient/Dispatcher")<
  Dispatcher,
  Undici.Dispatcher
>() {}

/**
 * @since 0.1.0
 * @category models
 */
export interface AgentOptions {
  /** How long an idle keep-alive socket is kept. Default 30 s. */
  readonly keepAliveTimeout?: number | undefined
  /** The most sockets per origin. Default unlimited. */
  readonly connections?: number | undefined
}

/**
 * A keep-alive agent, closed with the layer.
 *
 * @since 0.1.0
 * @category layers
 */
export const dispatcherLayer = (options: AgentOptions = {}): Layer.Layer<Dispatcher> =>
  Layer.scoped(
    Dispatcher,
    Effect.acquireRelease(
      Effect.sync(
        () =>
          new Undici.Agent({
            keepAliveTimeout: options.keepAliveTimeout ?? 30_000,
            ...(options.connections === undefined ? {} : { connections: options.connections })
          })
      ),
      (agent) => Effect.promise(() => agent.destroy())
    )
  )

const noop = () => {}

/** A timer for a deadline (epoch ms), or none when there is no finite deadline. */
const startDeadline = (
  deadline: number | undefined,
  onExpiry: () => void
): ReturnType<typeof setTimeout> | undefined =>
  deadline === undefined || !Number.isFinite(deadline)
    ? undefined
    : setTimeout(onExpiry, Math.max(0, deadline - Date.now()))

/** Settles `promise`, or destroys `body` with `DeadlineExceeded` when the deadline passes first. */
const beforeDeadline = <A>(
  deadline: number | undefined,
  body: { destroy: (error?: Error) => unknown },
  promise: () => Promise<A>
): Promise<A> => {
  const timer = startDeadline(deadline, () => body.destroy(new HttpDeadline.DeadlineExceeded()))
  if (timer === undefined) return promise()
  return promise().finally(() => clearTimeout(timer))
}

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
  fiber: Fiber.RuntimeFiber<unknown, unknown>,
  status: FiberStatus.Running
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
      const runtime = Runtime.make({
        context: fiber.currentContext,
        runtimeFlags: status.runtimeFlags,
        fiberRefs: fiber.getFiberRefs()
      })
      return {
        headers,
        body: Readable.from(Stream.toAsyncIterableRuntime(runtime)(body.stream as Stream.Stream<Uint8Array, unknown>))
      }
    }
  }
}

const textEncoder = new TextEncoder()

class UndiciResponse extends Inspectable.Class implements HttpClientResponse.HttpClientResponse {
  readonly [HttpIncomingMessage.TypeId]: HttpIncomingMessage.TypeId = HttpIncomingMessage.TypeId
  readonly [HttpClientResponse.TypeId]: HttpClientResponse.TypeId = HttpClientResponse.TypeId
  readonly status: number
  readonly headers: Headers.Headers
  private readonly body: Undici.Dispatcher.ResponseData["body"]
  private cachedText: Promise<string> | undefined
  private cachedCookies: Cookies.Cookies | undefined
  private readonly setCookie: ReadonlyArray<string>

  constructor(
    readonly request: HttpClientRequest.HttpClientRequest,
    data: Undici.Dispatcher.ResponseData,
    /** The request's limits: the deadline bounds reading the whole body too, the idle timeout a streamed body. */
    private readonly limits?: HttpDeadline.Limits | undefined,
    /** The whole body, when it was read with the head (`HttpDeadline.Limits.readsText`). */
    private readonly readText?: string | undefined
  ) {
    super()
    this.status = data.statusCode
    this.headers = Headers.fromInput(data.headers as Record<string, string | ReadonlyArray<string>>)
    this.body = data.body
    const setCookie = data.headers["set-cookie"]
    this.setCookie = setCookie === undefined ? [] : typeof setCookie === "string" ? [setCookie] : setCookie
    // a body dropped early (a chat stream stopped at [DONE]) emits an abort error nobody listens to
    this.body.on("error", noop)
  }

  toJSON(): unknown {
    return { _id: "@effect-mistral/node/UndiciHttpClient/Response", status: this.status, headers: this.headers }
  }

  get remoteAddress(): Option.Option<string> {
    return Option.none()
  }

  get cookies(): Cookies.Cookies {
    if (this.cachedCookies !== undefined) return this.cachedCookies
    this.cachedCookies = Cookies.fromSetCookie(this.setCookie)
    return this.cachedCookies
  }

  private decodeError(cause: unknown) {
    return new HttpClientError.ResponseError({ request: this.request, response: this, reason: "Decode", cause })
  }

  /** Reads the body whole, within the deadline; interruption destroys the body (and its connection). One async step. */
  private readWhole<A>(read: () => Promise<A>): Effect.Effect<A, HttpClientError.ResponseError> {
    return Effect.async<A, HttpClientError.ResponseError>((resume) => {
      read().then(
        (value) => resume(Effect.succeed(value)),
        (cause: unknown) => resume(Effect.fail(this.decodeError(cause)))
      )
      return Effect.sync(() => this.body.destroy())
    })
  }

  get text(): Effect.Effect<string, HttpClientError.ResponseError> {
    if (this.readText !== undefined) return Effect.succeed(this.readText)
    return this.readWhole(
      () => (this.cachedText ??= beforeDeadline(this.limits?.deadline, this.body, () => this.body.text()))
    )
  }

  get json(): Effect.Effect<unknown, HttpClientError.ResponseError> {
    return Effect.flatMap(this.text, (text) =>
      Effect.try({ try: () => (text === "" ? null : JSON.parse(text)), catch: (cause) => this.decodeError(cause) })
    )
  }

  get arrayBuffer(): Effect.Effect<ArrayBuffer, HttpClientError.ResponseError> {
    const text = this.readText
    if (text !== undefined) return Effect.sync(() => textEncoder.encode(text).buffer as ArrayBuffer)
    return this.readWhole(() => beforeDeadline(this.limits?.deadline, this.body, () => this.body.arrayBuffer()))
  }

  get urlParamsBody(): Effect.Effect<UrlParams.UrlParams, HttpClientError.ResponseError> {
    return Effect.map(this.text, (text) => UrlParams.fromInput(new URLSearchParams(text)))
  }

  get formData(): Effect.Effect<FormData, HttpClientError.ResponseError> {
    return Effect.tryPromise({
      try: () =>
        new Response(this.readText ?? (this.body as unknown as ReadableStream), { headers: this.headers }).formData(),
      catch: (cause) => this.decodeError(cause)
    })
  }

  get stream(): Stream.Stream<Uint8Array, HttpClientError.ResponseError> {
    const text = this.readText
    if (text !== undefined) return Stream.sync(() => textEncoder.encode(text))
    return Stream.suspend(() => {
      const body = this.body
      const idleTimeout = this.limits?.idleTimeout
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
      // Whatever the socket delivered since the last read, as one chunk; the body stops reading the socket while
      // nobody reads it (backpressure). The idle timer runs only while a read waits for bytes.
      const read = Effect.async<Chunk.Chunk<Uint8Array>, Option.Option<HttpClientError.ResponseError>>((resume) => {
        const attempt = (): void => {
          if (failure !== undefined) {
            resume(Effect.fail(Option.some(this.decodeError(failure))))
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
            if (idleTimeout !== undefined && Number.isFinite(idleTimeout) && idleTimer === undefined) {
              idleTimer = setTimeout(() => body.destroy(new HttpDeadline.IdleTimeoutExceeded()), idleTimeout)
            }
          }
        }
        attempt()
      })
      // ending early (interruption, [DONE]) must close the connection, not leave it half-read
      return Stream.ensuring(
        Stream.repeatEffectChunkOption(read),
        Effect.sync(() => {
          if (idleTimer !== undefined) clearTimeout(idleTimer)
          body.destroy()
        })
      )
    })
  }
}

/**
 * An `HttpClient` over the given undici dispatcher.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (dispatcher: Undici.Dispatcher): HttpClient.HttpClient => {
  const client = HttpClient.makeWith<never, never, HttpClientError.HttpClientError, never>(
    (requestEffect) =>
      Effect.flatMap(requestEffect, (request) => {
        const { origin, path } = splitUrl(request.url)
        return Effect.withFiberRuntime<HttpClientResponse.HttpClientResponse, HttpClientError.HttpClientError>(
          (fiber, status) => {
            const { body, headers, listen } = outgoingOf(request, fiber, status)
            const limits = HttpDeadline.get(request)
            return Effect.async<HttpClientResponse.HttpClientResponse, HttpClientError.HttpClientError>((resume) => {
              const signal = new AbortHandle()
              let settled = false
              const timer = startDeadline(limits?.deadline, () => {
                settled = true
                signal.abort()
                resume(
                  Effect.fail(
                    new HttpClientError.RequestError({
                      request,
                      reason: "Transport",
                      cause: new HttpDeadline.DeadlineExceeded()
                    })
                  )
                )
              })
              const stopListening = listen?.()
              const answered = dispatcher.request({
                origin,
                path: withQuery(path, request.urlParams),
                method: request.method as Undici.Dispatcher.HttpMethod,
                headers,
                // an AsyncIterable body is supported (and documented) but missing from undici's types
                body: body as Exclude<Undici.Dispatcher.RequestOptions["body"], undefined>,
                signal
              })
              // a body the caller reads whole as text right away is read in the same wait, under the same deadline
              ;(limits?.readsText === true
                ? answered.then((data) => data.body.text().then((text) => ({ data, text })))
                : answered.then((data) => ({ data, text: undefined }))
              )
                .then(
                  ({ data, text }) => {
                    if (settled) return void data.body.destroy()
                    settled = true
                    resume(Effect.succeed(new UndiciResponse(request, data, limits, text)))
                  },
                  (cause: unknown) => {
                    if (settled) return
                    settled = true
                    resume(Effect.fail(new HttpClientError.RequestError({ request, reason: "Transport", cause })))
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
          }
        )
      }),
    Effect.succeed
  )
  // this client enforces the requests' `HttpDeadline` itself
  return Object.assign(client, { [HttpDeadline.Supported]: true })
}

/**
 * The client over the `Dispatcher` in context.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerWithoutDispatcher: Layer.Layer<HttpClient.HttpClient, never, Dispatcher> = Layer.effect(
  HttpClient.HttpClient,
  Effect.map(Dispatcher, make)
)

/**
 * The client with its own keep-alive agent.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: AgentOptions = {}): Layer.Layer<HttpClient.HttpClient> =>
  Layer.provide(layerWithoutDispatcher, dispatcherLayer(options))
