import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Data from "effect/Data"
import type { ValidationDetail } from "./validation.js"

/** An answer other than success, raised by a route and turned into a response once. */
export class ApiError extends Data.TaggedError("ApiError")<{
  readonly status: number
  readonly body: unknown
  readonly headers?: Record<string, string> | undefined
}> {}

const errorTypes: Record<number, string> = {
  400: "invalid_request_error",
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  409: "conflict",
  429: "rate_limited",
  500: "internal_server_error",
  502: "bad_gateway",
  503: "service_unavailable",
  504: "gateway_timeout"
}

export const errorType = (status: number): string =>
  errorTypes[status] ?? (status >= 500 ? "server_error" : "invalid_request_error")

/** The API's error body: `{"object":"error","message","type","code"}`. */
export const errorBody = (status: number, message: string) => ({
  object: "error",
  message,
  type: errorType(status),
  param: null,
  code: status === 429 ? "1300" : String(status)
})

export const defaultMessage = (status: number): string => {
  switch (status) {
    case 401:
      return "Unauthorized"
    case 403:
      return "Forbidden"
    case 404:
      return "Not Found"
    case 429:
      return "Requests rate limit exceeded"
    case 500:
      return "Internal server error"
    case 502:
      return "Bad gateway"
    case 503:
      return "Service unavailable"
    case 504:
      return "Gateway timeout"
    default:
      return status >= 500 ? "Server error" : "Bad request"
  }
}

export const apiError = (status: number, message = defaultMessage(status), headers?: Record<string, string>) =>
  new ApiError({
    status,
    headers,
    body:
      status === 422 ? { detail: [{ loc: ["body"], msg: message, type: "value_error" }] } : errorBody(status, message)
  })

export const notFound = (message: string) => apiError(404, message)

export const validation = (detail: ReadonlyArray<ValidationDetail>) => new ApiError({ status: 422, body: { detail } })

export const toResponse = (error: ApiError): HttpServerResponse.HttpServerResponse =>
  HttpServerResponse.unsafeJson(error.body, { status: error.status, headers: error.headers })
