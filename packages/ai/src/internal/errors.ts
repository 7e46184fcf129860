/**
 * The one place where `MistralError`s become `@effect/ai` `AiError`s. The original error always travels along as
 * the `cause`, so callers can still `catchTag` on it after unwrapping.
 */
import * as AiError from "@effect/ai/AiError"
import type * as MistralError from "@effect-mistral/core/MistralError"
import * as Option from "effect/Option"

type HttpMethod = typeof AiError.HttpRequestDetails.Type.method

const methods: ReadonlySet<string> = new Set(["GET", "POST", "PATCH", "PUT", "DELETE", "HEAD", "OPTIONS"])

const httpMethod = (method: string): HttpMethod => (methods.has(method) ? (method as HttpMethod) : "POST")

const requestDetails = (baseUrl: string, error: MistralError.MistralError): typeof AiError.HttpRequestDetails.Type => ({
  method: httpMethod(error.method),
  url: `${baseUrl}${error.path}`,
  urlParams: [],
  hash: Option.none(),
  // the request's headers hold the API key: none of them is repeated here
  headers: {}
})

const responseHeaders = (error: MistralError.MistralError): Record<string, string> =>
  error.requestId === undefined ? {} : { "x-request-id": error.requestId }

const bodyText = (body: MistralError.ApiErrorBody): string | undefined =>
  body.raw ?? (body.message === undefined ? undefined : JSON.stringify(body))

/**
 * Maps a `MistralError` to the `AiError` the OpenAI provider would give for the same failure: an answer with an
 * error status is an `HttpResponseError`, a transport failure or a request that does not encode an
 * `HttpRequestError`, an answer that does not decode `MalformedOutput`, timeouts, a spent shared budget and broken streams `UnknownError`.
 */
export const toAiError = (
  error: MistralError.MistralError,
  options: { readonly module: string; readonly method: string; readonly baseUrl: string }
): AiError.AiError => {
  const { module, method, baseUrl } = options
  switch (error._tag) {
    case "ValidationError":
    case "AuthenticationError":
    case "PermissionDenied":
    case "NotFound":
    case "RateLimited":
    case "ServerError":
    case "HttpStatusError": {
      // `HttpResponseError` declares no `cause` field: it is passed without validation, as an `Error` cause
      const props = {
        module,
        method,
        reason: "StatusCode" as const,
        description: error.message,
        request: requestDetails(baseUrl, error),
        response: { status: error.status, headers: responseHeaders(error) },
        body: bodyText(error.body),
        cause: error
      }
      return new AiError.HttpResponseError(props, { disableValidation: true })
    }
    case "TransportError":
      return new AiError.HttpRequestError(
        {
          module,
          method,
          reason: "Transport",
          description: error.message,
          request: requestDetails(baseUrl, error),
          cause: error
        },
        { disableValidation: true }
      )
    case "RequestEncodeError":
      return new AiError.HttpRequestError(
        {
          module,
          method,
          reason: "Encode",
          description: error.message,
          request: requestDetails(baseUrl, error),
          cause: error
        },
        { disableValidation: true }
      )
    case "ResponseDecodeError":
      return new AiError.MalformedOutput({ module, method, description: error.message, cause: error })
    case "RequestTimeout":
    case "BudgetExhausted":
    case "StreamIdleTimeout":
    case "StreamEventError":
    case "StreamBroken":
      return new AiError.UnknownError({ module, method, description: error.message, cause: error })
  }
}
