/**
 * The emulator's HTTP app: the request log, authentication and faults wrapped
 * around the API routes.
 */
import * as NodeHttpServerRequest from "@effect/platform-node/NodeHttpServerRequest"
import type * as HttpApp from "@effect/platform/HttpApp"
import type * as HttpBody from "@effect/platform/HttpBody"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Stream from "effect/Stream"
import * as Fault from "../Fault.js"
import { type ApiError, apiError, toResponse } from "./errors.js"
import { operationOf } from "./operations.js"
import * as RateLimits from "./rateLimits.js"
import { realtimePath, serveRealtime } from "./realtime.js"
import { makeRouter } from "./routes.js"
import type { FaultMatch, State } from "./state.js"
import type { RecordedRequest, TraceContext } from "../MistralEmulator.js"

type Mutable<A> = { -readonly [K in keyof A]: A[K] }

const matches = (match: FaultMatch | undefined, method: string, path: string, operation: string | undefined) => {
  if (match === undefined) return true
  if (match.method !== undefined && match.method.toUpperCase() !== method) return false
  if (match.operation !== undefined && match.operation !== operation && `${match.operation}_stream` !== operation) {
    return false
  }
  if (match.path !== undefined) {
    if (typeof match.path === "string" ? match.path !== path : !match.path.test(path)) return false
  }
  return true
}

/** The fault for this request: the header's while it lasts, else the first injected one that matches. */
const takeFault = (
  state: State,
  header: string | undefined,
  method: string,
  path: string,
  operation: string | undefined
): Either.Either<Fault.Fault | undefined, ApiError> => {
  if (header !== undefined && header !== "") {
    const parsed = Fault.parseHeader(header)
    if (Either.isLeft(parsed)) return Either.left(apiError(400, `Invalid ${Fault.headerName} header: ${parsed.left}`))
    const used = state.headerFaultCounts.get(header) ?? 0
    if (parsed.right.times === undefined || used < parsed.right.times) {
      state.headerFaultCounts.set(header, used + 1)
      return Either.right(parsed.right.fault)
    }
  }
  const injected = state.faults.find((candidate) => matches(candidate.match, method, path, operation))
  if (injected === undefined) return Either.right(undefined)
  injected.remaining -= 1
  if (injected.remaining <= 0) state.faults = state.faults.filter((candidate) => candidate !== injected)
  return Either.right(injected.fault)
}

/** A long-running emulator keeps only the most recent requests. */
const maxRecordedRequests = 10_000

/** The bearer token of a request, if it has one. */
const tokenOf = (header: string | undefined): string | undefined => {
  const match = header === undefined ? null : /^Bearer\s+(\S.*)$/i.exec(header.trim())
  return match === null ? undefined : match[1].trim()
}

const authorized = (state: State, token: string | undefined): boolean =>
  token !== undefined && (state.apiKey === undefined || token === state.apiKey)

/** The 429 of the emulator's own limits: `Retry-After` in whole seconds (rounded up) and `retry-after-ms`. */
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/

/** The W3C trace context of a request (`traceparent`, `tracestate`); an all-zero id is invalid and ignored. */
const traceContextOf = (headers: Readonly<Record<string, string | undefined>>): TraceContext | undefined => {
  const match = TRACEPARENT.exec(headers.traceparent?.trim().toLowerCase() ?? "")
  if (match === null || match[1] === "ff" || /^0+$/.test(match[2]) || /^0+$/.test(match[3])) return undefined
  const traceState = headers.tracestate
  return {
    traceId: match[2],
    parentSpanId: match[3],
    sampled: (Number.parseInt(match[4], 16) & 1) === 1,
    ...(traceState === undefined || traceState === "" ? {} : { traceState })
  }
}

const rateLimitedResponse = (waitMs: number): HttpServerResponse.HttpServerResponse =>
  toResponse(
    apiError(429, "Requests rate limit exceeded", {
      "retry-after": String(Math.max(1, Math.ceil(waitMs / 1000))),
      "retry-after-ms": String(Math.ceil(waitMs))
    })
  )

/** Charges the tokens an answer reports to the key's budget: a JSON answer's usage, or the event that carries it. */
const charged = (
  response: HttpServerResponse.HttpServerResponse,
  charge: (tokens: number) => void
): HttpServerResponse.HttpServerResponse => {
  const body = response.body
  if (body._tag === "Stream") {
    return HttpServerResponse.stream(
      Stream.tap(body.stream as Stream.Stream<Uint8Array>, (frame) =>
        Effect.sync(() => {
          const tokens = RateLimits.tokensIn(decoder.decode(frame))
          if (tokens !== undefined) charge(tokens)
        })
      ),
      { status: response.status, headers: response.headers, contentType: body.contentType }
    )
  }
  const bytes = bodyBytes(body)
  const tokens = bytes === undefined ? undefined : RateLimits.tokensIn(decoder.decode(bytes))
  if (tokens !== undefined) charge(tokens)
  return response
}

const wrongContentTypeBody =
  "<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>" +
  "<body><h1>Bad Gateway</h1><p>Mistral emulator: injected wrong content type.</p></body></html>\n"

const decoder = new TextDecoder()
const encoder = new TextEncoder()

/** Half of a JSON text: never valid JSON. */
const truncate = (json: string): string => (json.length < 2 ? "{" : json.slice(0, Math.ceil(json.length / 2)))

/** Half of the `data:` of one event frame. */
const truncateFrame = (frame: Uint8Array): Uint8Array => {
  const text = decoder.decode(frame)
  const start = text.indexOf("data: ")
  if (start === -1) return frame
  const end = text.indexOf("\n", start)
  const data = text.slice(start + 6, end === -1 ? undefined : end)
  return encoder.encode(`${text.slice(0, start + 6)}${truncate(data)}\n\n`)
}

/**
 * Ends the connection once what was written is flushed, without the last
 * chunk of the chunked body: the client sees a body that breaks off.
 */
const cutConnection = (request: HttpServerRequest.HttpServerRequest): Effect.Effect<never> =>
  Effect.async<never>(() => {
    const response = NodeHttpServerRequest.toServerResponse(request)
    if (!response.headersSent) response.flushHeaders()
    const socket = response.socket ?? NodeHttpServerRequest.toIncomingMessage(request).socket
    socket.end(() => socket.destroy())
  })

const resetConnection = (request: HttpServerRequest.HttpServerRequest): Effect.Effect<never> =>
  Effect.async<never>(() => {
    const socket = NodeHttpServerRequest.toIncomingMessage(request).socket
    if (typeof socket.resetAndDestroy === "function") socket.resetAndDestroy()
    else socket.destroy()
  })

const bodyBytes = (body: HttpBody.HttpBody): Uint8Array | undefined =>
  body._tag === "Uint8Array"
    ? body.body
    : body._tag === "Raw" && typeof body.body === "string"
      ? encoder.encode(body.body)
      : undefined

/** Applies the faults that act on the answer the route produced. */
const afterRoute = (
  request: HttpServerRequest.HttpServerRequest,
  response: HttpServerResponse.HttpServerResponse,
  fault: Fault.Fault | undefined
): HttpServerResponse.HttpServerResponse => {
  if (fault === undefined) return response
  const body = response.body
  const options = { status: response.status, headers: response.headers, contentType: body.contentType }
  switch (fault._tag) {
    case "MalformedJson": {
      if (body._tag === "Stream") {
        return HttpServerResponse.stream(
          Stream.mapAccum(body.stream as Stream.Stream<Uint8Array>, true, (first, frame) => [
            false,
            first ? truncateFrame(frame) : frame
          ]),
          { ...options, status: 200 }
        )
      }
      const bytes = bodyBytes(body)
      const text =
        bytes === undefined || bytes.length === 0 ? '{"object":"conversation.response"}' : decoder.decode(bytes)
      return HttpServerResponse.text(truncate(text), {
        status: 200,
        headers: response.headers,
        contentType: "application/json"
      })
    }
    case "EventDelay": {
      if (body._tag !== "Stream") return response
      return HttpServerResponse.stream(
        (body.stream as Stream.Stream<Uint8Array>).pipe(
          Stream.zipWithIndex,
          Stream.mapEffect(([frame, index]) =>
            index === 0 ? Effect.succeed(frame) : Effect.as(Effect.sleep(fault.delay), frame)
          )
        ),
        options
      )
    }
    case "StreamCut": {
      const bytes = bodyBytes(body)
      const frames: Stream.Stream<Uint8Array> =
        body._tag === "Stream"
          ? Stream.take(body.stream as Stream.Stream<Uint8Array>, fault.afterEvents)
          : Stream.make(bytes === undefined ? new Uint8Array() : bytes.subarray(0, Math.floor(bytes.length / 2)))
      return HttpServerResponse.stream(Stream.concat(frames, Stream.fromEffect(cutConnection(request))), options)
    }
    default:
      return response
  }
}

export const makeApp = (state: State): HttpApp.Default => {
  const routes = makeRouter(state).pipe(
    Effect.catchTags({
      ApiError: (error) => Effect.succeed(toResponse(error)),
      RouteNotFound: (error) =>
        Effect.succeed(toResponse(apiError(404, `No route for ${error.request.method} ${error.request.url}`)))
    })
  )

  return Effect.gen(function* () {
    const request = yield* HttpServerRequest.HttpServerRequest
    const url = new URL(request.url, "http://emulator.invalid")
    // A multipart body (a file upload, possibly large) is left to the route to stream, and not logged.
    const multipart = (request.headers["content-type"] ?? "").toLowerCase().startsWith("multipart/")
    // a WebSocket upgrade has no body to read
    const realtime = url.pathname === realtimePath && request.method === "GET"
    const body = multipart || realtime ? "" : yield* Effect.orElseSucceed(request.text, () => "")
    const time = new Date(yield* Clock.currentTimeMillis)
    const operation = operationOf(request.method, url.pathname, body)
    const requestId = state.ids.requestId()
    const headers: Record<string, string> = {}
    for (const [key, value] of Object.entries(request.headers)) {
      if (key !== "authorization") headers[key] = value
    }

    const token = tokenOf(request.headers.authorization)
    const model = state.limiter === undefined ? undefined : RateLimits.modelOf(body)
    const now = time.getTime()
    let rateLimited = false
    const selectFault = (): {
      readonly fault: Fault.Fault | undefined
      readonly response: HttpServerResponse.HttpServerResponse | undefined
    } => {
      // Signed file URLs carry their own signature instead of a token.
      const signed = url.pathname.startsWith("/signed/")
      if (!signed && !authorized(state, token)) {
        return { fault: undefined, response: toResponse(apiError(401)) }
      }
      const wait = signed || state.limiter === undefined ? 0 : state.limiter.admit(token ?? "", model, now)
      if (wait > 0) {
        rateLimited = true
        return { fault: undefined, response: rateLimitedResponse(wait) }
      }
      const selected = takeFault(state, request.headers[Fault.headerName], request.method, url.pathname, operation)
      if (Either.isLeft(selected)) return { fault: undefined, response: toResponse(selected.left) }
      return { fault: selected.right, response: undefined }
    }
    const { fault, response: early } = selectFault()
    const record: Mutable<RecordedRequest> = {
      requestId,
      trace: traceContextOf(request.headers),
      method: request.method,
      path: url.pathname,
      query: url.search,
      operation,
      headers,
      body,
      time,
      fault,
      rateLimited
    }
    state.requests.push(record)
    if (state.requests.length > maxRecordedRequests)
      state.requests.splice(0, state.requests.length - maxRecordedRequests)

    const respond = Effect.gen(function* () {
      if (early !== undefined) return early
      switch (fault?._tag) {
        case "Status": {
          const retryAfter =
            fault.retryAfter === undefined ? undefined : { "retry-after": String(Math.ceil(fault.retryAfter)) }
          return toResponse(apiError(fault.status, fault.message, retryAfter))
        }
        case "Reset":
          if (realtime) {
            // `resetAndDestroy` on a socket the server has handed to its `upgrade` event keeps the server from
            // ever closing: the upgrade's connection is destroyed plainly
            NodeHttpServerRequest.toIncomingMessage(request).socket.destroy()
            return HttpServerResponse.empty({ status: 101 })
          }
          return yield* resetConnection(request)
        case "WrongContentType":
          return HttpServerResponse.text(wrongContentTypeBody, { status: 200, contentType: fault.contentType })
        case "Delay":
          yield* Effect.sleep(fault.delay)
          break
      }
      if (realtime) return yield* serveRealtime(state, request, url, requestId, fault)
      return afterRoute(request, yield* routes, fault)
    })
    const limiter = state.limiter
    const answered = yield* respond
    record.status = answered.status
    const response =
      limiter === undefined || rateLimited || limiter.tokenLimit(model) === undefined
        ? answered
        : charged(answered, (tokens) => {
            record.tokens = (record.tokens ?? 0) + tokens
            limiter.charge(token ?? "", model, tokens, Date.now())
          })
    return HttpServerResponse.setHeader(response, "x-request-id", requestId)
  })
}
