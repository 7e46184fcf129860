/** What every route needs from a request: bodies checked into 422s, path and query parameters, SSE answers. */
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { apiError, validation } from "./errors.js"
import type { ServerSentEvent } from "./replies.js"
import type * as Validation from "./validation.js"

export type Body = Record<string, unknown>

const encoder = new TextEncoder()

/** One `Uint8Array` per event, so faults can count and cut events. */
export const encodeEvent = (event: ServerSentEvent): Uint8Array =>
  encoder.encode(`event: ${event.event}\ndata: ${JSON.stringify(event.data)}\n\n`)

export const sseResponse = (events: ReadonlyArray<ServerSentEvent>) =>
  HttpServerResponse.stream(Stream.fromIterable(events.map(encodeEvent)), {
    contentType: "text/event-stream",
    headers: { "cache-control": "no-cache" }
  })

export const nowIso = Effect.map(Clock.currentTimeMillis, (millis) => new Date(millis).toISOString())

export const readBody = Effect.gen(function* () {
  const request = yield* HttpServerRequest.HttpServerRequest
  const text = yield* Effect.mapError(request.text, () => apiError(400, "Could not read the request body"))
  if (text.trim() === "") {
    return yield* Effect.fail(validation([{ loc: ["body"], msg: "Field required", type: "missing" }]))
  }
  try {
    return JSON.parse(text) as unknown
  } catch {
    return yield* Effect.fail(validation([{ loc: ["body", 0], msg: "JSON decode error", type: "json_invalid" }]))
  }
})

export const validBody = (check: (body: unknown) => ReadonlyArray<Validation.ValidationDetail>) =>
  Effect.flatMap(readBody, (body) => {
    const detail = check(body)
    return detail.length > 0 ? Effect.fail(validation(detail)) : Effect.succeed(body as Body)
  })

export const pathParam = (name: string) => Effect.map(HttpRouter.params, (params) => params[name] ?? "")

export const queryParam = (name: string) =>
  Effect.map(HttpServerRequest.ParsedSearchParams, (params) => {
    const value = params[name]
    return Array.isArray(value) ? value[0] : value
  })

export const integerQuery = (name: string, fallback: number, minimum: number) =>
  Effect.flatMap(queryParam(name), (value) => {
    if (value === undefined || value === "") return Effect.succeed(fallback)
    const n = Number(value)
    if (!Number.isInteger(n)) {
      return Effect.fail(
        validation([
          {
            loc: ["query", name],
            msg: "Input should be a valid integer, unable to parse string as an integer",
            type: "int_parsing"
          }
        ])
      )
    }
    if (n < minimum) {
      return Effect.fail(
        validation([
          {
            loc: ["query", name],
            msg: `Input should be greater than or equal to ${minimum}`,
            type: "greater_than_equal"
          }
        ])
      )
    }
    return Effect.succeed(n)
  })

export const metadataQuery = Effect.flatMap(queryParam("metadata"), (value) => {
  if (value === undefined || value === "") return Effect.succeed(undefined)
  try {
    const parsed: unknown = JSON.parse(value)
    if (parsed === null) return Effect.succeed(undefined)
    if (typeof parsed === "object" && !Array.isArray(parsed)) return Effect.succeed(parsed as Record<string, unknown>)
  } catch {
    // reported below
  }
  return Effect.fail(validation([{ loc: ["query", "metadata"], msg: "JSON decode error", type: "json_invalid" }]))
})

export const matchesMetadata = (
  metadata: Record<string, unknown> | null,
  filter: Record<string, unknown> | undefined
) =>
  filter === undefined ||
  Object.entries(filter).every(
    ([key, value]) => metadata !== null && key in metadata && JSON.stringify(metadata[key]) === JSON.stringify(value)
  )

export const page = <A>(items: ReadonlyArray<A>, pageIndex: number, pageSize: number) =>
  items.slice(pageIndex * pageSize, (pageIndex + 1) * pageSize)

export const orNull = <A>(value: A | undefined | null): A | null => (value === undefined ? null : value)

/** The current time in whole seconds, as the completion and file APIs count it. */
export const nowSeconds = Effect.map(Clock.currentTimeMillis, (millis) => Math.floor(millis / 1000))

/** Frames of a chat completion stream: `data: <json>` without an event name, then `data: [DONE]`. */
export const dataStreamResponse = (chunks: ReadonlyArray<unknown>) =>
  HttpServerResponse.stream(
    Stream.fromIterable([...chunks.map((chunk) => `data: ${JSON.stringify(chunk)}\n\n`), "data: [DONE]\n\n"]).pipe(
      Stream.map((frame) => encoder.encode(frame))
    ),
    { contentType: "text/event-stream", headers: { "cache-control": "no-cache" } }
  )

/** Repeated query parameters (`?status=A&status=B`) as an array. */
export const queryParams = (name: string) =>
  Effect.map(HttpServerRequest.ParsedSearchParams, (params): ReadonlyArray<string> => {
    const value = params[name]
    return value === undefined ? [] : Array.isArray(value) ? value : [value as string]
  })

export const booleanQuery = (name: string, fallback: boolean) =>
  Effect.flatMap(queryParam(name), (value) => {
    if (value === undefined || value === "") return Effect.succeed(fallback)
    if (value === "true" || value === "1") return Effect.succeed(true)
    if (value === "false" || value === "0") return Effect.succeed(false)
    return Effect.fail(
      validation([{ loc: ["query", name], msg: "Input should be a valid boolean", type: "bool_parsing" }])
    )
  })
