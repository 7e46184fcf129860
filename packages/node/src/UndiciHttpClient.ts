/**
 * A lean `HttpClient` for Node, directly over `undici.request` with keep-alive.
 *
 * It implements the `@effect/platform` `HttpClient` interface, so anything written against that interface works
 * with it, but it skips what the stock client pays for on every request and this library does not need: a `URL`
 * object, an `AbortController` registered for finalization, a cached body reader and a span of its own (the Mistral
 * client opens one span per operation). Interrupting a request or its body stream destroys the connection.
 * `FormData` bodies are encoded here, with a known length; a file from `NodeFiles.uploadFromPath` is read from disk
 * into a few reused buffers. The Mistral client itself sends through `UndiciTransport`, which shares this code and
 * also keeps the request's limits.
 *
 * @since 0.1.0
 */
import * as Cookies from "@effect/platform/Cookies"
import * as Headers from "@effect/platform/Headers"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as HttpIncomingMessage from "@effect/platform/HttpIncomingMessage"
import * as UrlParams from "@effect/platform/UrlParams"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Inspectable from "effect/Inspectable"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as Stream from "effect/Stream"
import type * as Undici from "undici"
import * as Internal from "./internal/undici.js"
import * as UndiciParts from "./internal/undiciParts.js"

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
  /**
   * A forward proxy for every request (`http://user:pass@proxy:3128`; HTTPS targets go through `CONNECT`). Default:
   * the environment's `HTTPS_PROXY` / `HTTP_PROXY` (either case), with `NO_PROXY` honoured, through undici's
   * `EnvHttpProxyAgent`; `false` ignores the environment.
   */
  readonly proxy?: string | false | undefined
}

const proxyVariables = ["HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"] as const

/** Whether the environment names a proxy (only then is the proxy-aware agent used: the plain one is cheaper). */
const environmentProxy = (): boolean => proxyVariables.some((name) => (process.env[name] ?? "").trim() !== "")

/**
 * The dispatcher the options ask for: a `ProxyAgent` for an explicit proxy, an `EnvHttpProxyAgent` when the
 * environment names one, else a plain keep-alive `Agent`.
 *
 * @since 0.2.0
 * @category constructors
 */
export const makeDispatcher = (options: AgentOptions = {}): Undici.Dispatcher => {
  const agentOptions = {
    keepAliveTimeout: options.keepAliveTimeout ?? 30_000,
    ...(options.connections === undefined ? {} : { connections: options.connections })
  }
  if (typeof options.proxy === "string")
    return new (UndiciParts.full().ProxyAgent)({ ...agentOptions, uri: options.proxy })
  if (options.proxy !== false && environmentProxy()) return new (UndiciParts.full().EnvHttpProxyAgent)(agentOptions)
  return new (UndiciParts.Agent())(agentOptions)
}

/**
 * A keep-alive agent (through a proxy when `proxy` or the environment names one, see `AgentOptions.proxy`), closed
 * with the layer.
 *
 * @since 0.1.0
 * @category layers
 */
export const dispatcherLayer = (options: AgentOptions = {}): Layer.Layer<Dispatcher> =>
  Layer.scoped(
    Dispatcher,
    Effect.acquireRelease(
      Effect.sync(() => makeDispatcher(options)),
      (agent) => Effect.promise(() => agent.destroy())
    )
  )

/** The cause a platform error carries for a failure underneath. */
const causeOf = (failure: Internal.Failure): unknown => (failure._tag === "Cause" ? failure.cause : failure)

class UndiciResponse extends Inspectable.Class implements HttpClientResponse.HttpClientResponse {
  readonly [HttpIncomingMessage.TypeId]: HttpIncomingMessage.TypeId = HttpIncomingMessage.TypeId
  readonly [HttpClientResponse.TypeId]: HttpClientResponse.TypeId = HttpClientResponse.TypeId
  readonly status: number
  readonly headers: Headers.Headers
  private readonly body: Internal.Body
  private cachedText: Promise<string> | undefined
  private cachedCookies: Cookies.Cookies | undefined
  private readonly setCookie: ReadonlyArray<string>

  constructor(
    readonly request: HttpClientRequest.HttpClientRequest,
    data: Undici.Dispatcher.ResponseData
  ) {
    super()
    this.status = data.statusCode
    this.headers = Headers.fromInput(data.headers as Record<string, string | ReadonlyArray<string>>)
    this.body = data.body
    const setCookie = data.headers["set-cookie"]
    this.setCookie = setCookie === undefined ? [] : typeof setCookie === "string" ? [setCookie] : setCookie
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

  private readonly decodeError = (failure: Internal.Failure) =>
    new HttpClientError.ResponseError({
      request: this.request,
      response: this,
      reason: "Decode",
      cause: causeOf(failure)
    })

  get text(): Effect.Effect<string, HttpClientError.ResponseError> {
    return Internal.readWhole(this.body, undefined, () => (this.cachedText ??= this.body.text()), this.decodeError)
  }

  get json(): Effect.Effect<unknown, HttpClientError.ResponseError> {
    return Effect.flatMap(this.text, (text) =>
      Effect.try({
        try: () => (text === "" ? null : JSON.parse(text)),
        catch: (cause) => this.decodeError({ _tag: "Cause", cause })
      })
    )
  }

  get arrayBuffer(): Effect.Effect<ArrayBuffer, HttpClientError.ResponseError> {
    return Internal.readWhole(this.body, undefined, () => this.body.arrayBuffer(), this.decodeError)
  }

  get urlParamsBody(): Effect.Effect<UrlParams.UrlParams, HttpClientError.ResponseError> {
    return Effect.map(this.text, (text) => UrlParams.fromInput(new URLSearchParams(text)))
  }

  get formData(): Effect.Effect<FormData, HttpClientError.ResponseError> {
    return Effect.tryPromise({
      try: () => new Response(this.body as unknown as ReadableStream, { headers: this.headers }).formData(),
      catch: (cause) => this.decodeError({ _tag: "Cause", cause })
    })
  }

  get stream(): Stream.Stream<Uint8Array, HttpClientError.ResponseError> {
    return Internal.readStream(this.body, undefined, this.decodeError)
  }
}

/**
 * An `HttpClient` over the given undici dispatcher.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (dispatcher: Undici.Dispatcher): HttpClient.HttpClient =>
  HttpClient.makeWith<never, never, HttpClientError.HttpClientError, never>(
    (requestEffect) =>
      Effect.flatMap(requestEffect, (request) =>
        Internal.send(
          dispatcher,
          request,
          {},
          (answer): HttpClientResponse.HttpClientResponse => new UndiciResponse(request, answer.data),
          (failure) => new HttpClientError.RequestError({ request, reason: "Transport", cause: causeOf(failure) })
        )
      ),
    Effect.succeed
  )

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
