/**
 * The one place where `MistralError`s are built: from an answer's status, a transport failure, a request that does
 * not encode, an answer or an event that does not decode, a stream that breaks off or reports an error. Text that
 * comes from outside (bodies, details, schema issues) goes through the client's `scrub`, so the key never shows.
 */
import * as Duration from "effect/Duration"
import * as ParseResult from "effect/ParseResult"
import * as MistralError from "../MistralError.js"
import type * as MistralTransport from "../MistralTransport.js"

/** Removes the API key from a text that may quote it. */
export type Scrub = (text: string) => string

/** The API key only ever leaves through the `authorization` header: any text that quotes it is scrubbed. */
export const scrubberOf = (secret: string | undefined): Scrub =>
  secret === undefined || secret.length === 0
    ? (text: string) => text
    : (text: string) => (text.includes(secret) ? text.split(secret).join("<redacted>") : text)

/** Where a failure happened, with the status once an answer's head arrived. */
export type StatusContext = MistralError.RequestContext & { readonly status: number }

const RAW_LIMIT = 4 * 1024

/** Reads the request id of an answer from its headers (lower-cased names, as `Headers` keeps them). */
export const requestIdOf = (headers: Readonly<Record<string, string | undefined>>): string | undefined =>
  headers["x-request-id"] ?? headers["mistral-correlation-id"]

/**
 * `Retry-After` in seconds (integer or decimal) or as an HTTP date, relative to `now` (epoch ms).
 * Also understands `retry-after-ms`, which some gateways send.
 */
export const parseRetryAfter = (
  headers: Readonly<Record<string, string | undefined>>,
  now: number
): Duration.Duration | undefined => {
  const ms = headers["retry-after-ms"]
  if (ms !== undefined) {
    const value = Number(ms)
    if (Number.isFinite(value) && value >= 0) return Duration.millis(value)
  }
  const raw = headers["retry-after"]
  if (raw === undefined) return undefined
  const trimmed = raw.trim()
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Duration.millis(Math.round(Number(trimmed) * 1000))
  const date = Date.parse(trimmed)
  if (Number.isNaN(date)) return undefined
  return Duration.millis(Math.max(0, date - now))
}

const asString = (u: unknown): string | undefined =>
  typeof u === "string" ? u : typeof u === "number" ? String(u) : undefined

const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

/** Decodes an error body leniently: any shape is accepted, the known fields are picked when present. */
export const parseApiErrorBody = (text: string): ApiErrorParts => {
  const json = parseJson(text)
  const raw = text.length > RAW_LIMIT ? `${text.slice(0, RAW_LIMIT)}…` : text
  if (typeof json !== "object" || json === null) {
    return { body: text.length === 0 ? {} : { raw }, issues: [] }
  }
  const record = json as Record<string, unknown>
  const nested =
    typeof record.error === "object" && record.error !== null ? (record.error as Record<string, unknown>) : record
  const detail = record.detail
  const issues: Array<MistralError.ValidationIssue> = []
  let detailMessage: string | undefined
  if (Array.isArray(detail)) {
    for (const item of detail) {
      if (typeof item !== "object" || item === null) continue
      const entry = item as Record<string, unknown>
      const loc = Array.isArray(entry.loc)
        ? entry.loc.filter((part): part is string | number => typeof part === "string" || typeof part === "number")
        : []
      const msg = Array.isArray(entry.msg)
        ? entry.msg.map((part) => (typeof part === "string" ? part : JSON.stringify(part))).join("; ")
        : (asString(entry.msg) ?? "")
      issues.push({ loc, msg, type: asString(entry.type) ?? "" })
    }
  } else if (typeof detail === "string") {
    detailMessage = detail
  }
  const message = asString(nested.message) ?? detailMessage
  const type = asString(nested.type)
  const code = asString(nested.code)
  return {
    body: {
      ...(message === undefined ? {} : { message }),
      ...(type === undefined ? {} : { type }),
      ...(code === undefined ? {} : { code }),
      raw
    },
    issues
  }
}

interface ApiErrorParts {
  readonly body: MistralError.ApiErrorBody
  readonly issues: ReadonlyArray<MistralError.ValidationIssue>
}

/** Maps a non-success answer to its error. */
export const fromStatus = (
  context: MistralError.RequestContext,
  status: number,
  headers: Readonly<Record<string, string | undefined>>,
  text: string,
  now: number
): MistralError.MistralError => {
  const { body, issues } = parseApiErrorBody(text)
  switch (status) {
    case 401:
      return new MistralError.AuthenticationError({ ...context, status, body })
    case 403:
      return new MistralError.PermissionDenied({ ...context, status, body })
    case 404:
      return new MistralError.NotFound({ ...context, status, body })
    case 422:
      return new MistralError.ValidationError({ ...context, status, issues, body })
    case 429:
      return new MistralError.RateLimited({ ...context, status, retryAfter: parseRetryAfter(headers, now), body })
  }
  if (status >= 500) {
    return new MistralError.ServerError({ ...context, status, retryAfter: parseRetryAfter(headers, now), body })
  }
  return new MistralError.HttpStatusError({ ...context, status, body })
}

/** A safe description of a transport failure: its message and its cause's, never the request. */
export const describeCause = (cause: unknown): string => {
  const parts: Array<string> = []
  let current: unknown = cause
  for (let depth = 0; depth < 4 && current !== undefined && current !== null; depth++) {
    if (typeof current === "object") {
      const record = current as { readonly message?: unknown; readonly code?: unknown; readonly cause?: unknown }
      const code = typeof record.code === "string" ? `${record.code} ` : ""
      if (typeof record.message === "string" && record.message.length > 0) parts.push(`${code}${record.message}`)
      current = record.cause
    } else {
      parts.push(String(current))
      break
    }
  }
  return parts.length === 0 ? "unknown failure" : [...new Set(parts)].join(": ")
}

/** The path of the first issue of a parse error, and its readable explanation. */
export const describeParseError = (error: ParseResult.ParseError, prefix: string): { field: string; issue: string } => {
  const issues = ParseResult.ArrayFormatter.formatErrorSync(error)
  const first = issues[0]
  const field = [prefix, ...(first?.path ?? []).map(String)].filter((part) => part.length > 0).join(".")
  return {
    field: field.length === 0 ? prefix : field,
    issue: first === undefined ? ParseResult.TreeFormatter.formatErrorSync(error) : first.message
  }
}

/** Truncates a body kept in an error. */
export const truncateBody = (text: string, limit = 64 * 1024): string =>
  text.length > limit ? `${text.slice(0, limit)}…` : text

/** A request whose input does not encode: nothing is sent. */
export const requestEncode = (
  context: MistralError.RequestContext,
  field: string,
  issue: string
): MistralError.RequestEncodeError => new MistralError.RequestEncodeError({ ...context, field, issue })

/** A request whose input fails its schema at `prefix` (`body`, `query`, …). */
export const requestEncodeParse = (
  context: MistralError.RequestContext,
  error: ParseResult.ParseError,
  prefix: string,
  scrub: Scrub
): MistralError.RequestEncodeError => {
  const { field, issue } = describeParseError(error, prefix)
  return requestEncode(context, field, scrub(issue))
}

/** An answer (or an event, a line of a batch file) that is not what the operation declares. */
export const responseDecode = (
  context: StatusContext,
  body: string,
  issue: string,
  scrub: Scrub
): MistralError.ResponseDecodeError =>
  new MistralError.ResponseDecodeError({ ...context, body: scrub(truncateBody(body)), issue: scrub(issue) })

/** An answer whose decoded value fails its schema at `prefix`. */
export const responseDecodeParse = (
  context: StatusContext,
  body: string,
  error: ParseResult.ParseError,
  prefix: string,
  scrub: Scrub
): MistralError.ResponseDecodeError => {
  const { field, issue } = describeParseError(error, prefix)
  return responseDecode(context, body, `${field}: ${issue}`, scrub)
}

/** No answer within the request timeout. */
export const requestTimeout = (
  context: MistralError.RequestContext,
  timeout: Duration.Duration
): MistralError.RequestTimeout => new MistralError.RequestTimeout({ ...context, timeout })

/** A stream that ended before its end. */
export const streamBroken = (
  context: StatusContext,
  detail: string,
  eventsReceived: number
): MistralError.StreamBroken => new MistralError.StreamBroken({ ...context, detail, eventsReceived })

/** A stream that sent nothing for longer than its idle timeout. */
export const streamIdleTimeout = (
  context: StatusContext,
  timeout: Duration.Duration,
  eventsReceived: number
): MistralError.StreamIdleTimeout => new MistralError.StreamIdleTimeout({ ...context, timeout, eventsReceived })

/** A stream in which the server reported an error. */
export const streamEvent = (
  context: StatusContext,
  detail: string,
  code: string | number | undefined,
  eventsReceived: number
): MistralError.StreamEventError => new MistralError.StreamEventError({ ...context, detail, code, eventsReceived })

/** What the limits of a failed exchange were, to say which one passed. */
export interface Limits {
  readonly timeout: Duration.Duration
  readonly idleTimeout?: Duration.Duration | undefined
}

/** A transport failure before the answer's head (or while a body was read whole). */
export const fromTransport = (
  context: MistralError.RequestContext,
  failure: MistralTransport.TransportFailure,
  limits: Limits,
  scrub: Scrub
): MistralError.MistralError =>
  failure.reason === "Timeout"
    ? requestTimeout(context, limits.timeout)
    : new MistralError.TransportError({ ...context, detail: scrub(failure.detail) })

/** A transport failure while a stream's body was read. */
export const fromStreamTransport = (
  context: StatusContext,
  failure: MistralTransport.TransportFailure,
  limits: Limits,
  eventsReceived: number,
  scrub: Scrub
): MistralError.MistralError =>
  failure.reason === "IdleTimeout"
    ? new MistralError.StreamIdleTimeout({
        ...context,
        timeout: limits.idleTimeout ?? Duration.infinity,
        eventsReceived
      })
    : streamBroken(context, scrub(failure.detail), eventsReceived)

/** A connection that could not be made or used (a WebSocket handshake that failed, a socket that closed at once). */
export const transport = (
  context: MistralError.RequestContext,
  detail: string,
  scrub: Scrub
): MistralError.TransportError => new MistralError.TransportError({ ...context, detail: scrub(detail) })

/** A request that may not wait as long as the shared budget asks. */
export const budgetExhausted = (
  context: MistralError.RequestContext,
  budget: "requests" | "tokens",
  wait: Duration.Duration
): MistralError.BudgetExhausted => new MistralError.BudgetExhausted({ ...context, budget, wait })
