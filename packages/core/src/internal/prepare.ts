/**
 * The prepare stage: an operation and its input become the request to send, or a `RequestEncodeError` and nothing
 * is sent. Path parameters, query and headers are encoded through their schemas, the body through its schema as JSON
 * or `multipart/form-data`, and the `stream` flag is set here, and only here.
 */
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Either from "effect/Either"
import type * as SchemaAST from "effect/SchemaAST"
import type * as MistralConfig from "../MistralConfig.js"
import type * as MistralError from "../MistralError.js"
import type * as Operation from "../Operation.js"
import * as Errors from "./errors.js"
import * as FastParse from "./fastParse.js"
import * as Multipart from "./multipart.js"

/** What `call`, `stream` and `bytes` ask of an operation: its JSON answer, its events, or its bytes as they come. */
export type Mode = "call" | "stream" | "bytes"

/** The input of any operation, before its schemas have checked it. */
export interface RawInput {
  readonly path?: unknown
  readonly query?: unknown
  readonly headers?: unknown
  readonly body?: unknown
}

/** What every request of one client shares. */
export interface Defaults {
  readonly baseUrl: string
  /** `user-agent`, `authorization` and the configured headers, with lower-cased names. */
  readonly headers: Readonly<Record<string, string>>
  readonly scrub: Errors.Scrub
}

/** A request ready to send, and where errors about it happened. */
export interface Prepared {
  readonly request: HttpClientRequest.HttpClientRequest
  readonly context: MistralError.RequestContext
}

const streamFields = new WeakMap<Operation.Operation, boolean>()

/** Whether the wire form of `ast` has a field `name` (in any member of a union). */
const hasField = (ast: SchemaAST.AST, name: string): boolean => {
  switch (ast._tag) {
    case "TypeLiteral":
      return ast.propertySignatures.some((signature) => signature.name === name)
    case "Transformation":
    case "Refinement":
      return hasField(ast.from, name)
    case "Suspend":
      return hasField(ast.f(), name)
    case "Union":
      return ast.types.some((member) => hasField(member, name))
    default:
      return false
  }
}

/**
 * The stream flag rule: on an operation whose body has a `stream` field, `stream` sends `stream: true`, and `call`
 * sends `stream: false` whenever the caller wrote a `stream` (and leaves the field out otherwise, as the API's
 * default is not to stream); other bodies are sent as they are.
 */
const streamFlag = (operation: Operation.Operation, mode: Mode): boolean | undefined => {
  const body = operation.body
  if (body === undefined || mode === "bytes") return undefined
  let has = streamFields.get(operation)
  if (has === undefined) {
    has = hasField(body.schema.ast, "stream")
    streamFields.set(operation, has)
  }
  return has ? mode === "stream" : undefined
}

const withStreamFlag = (body: unknown, stream: boolean | undefined): unknown => {
  if (stream === undefined || typeof body !== "object" || body === null || Array.isArray(body)) return body
  const record = body as Record<string, unknown>
  if (stream) return { ...record, stream: true }
  return record.stream === undefined || record.stream === false ? record : { ...record, stream: false }
}

const acceptOf = (operation: Operation.Operation, mode: Mode): string =>
  mode === "call" ? "application/json" : mode === "stream" ? "text/event-stream" : (operation.successMediaType ?? "*/*")

const appendFormValue = (form: FormData, key: string, value: unknown): void => {
  if (value === undefined || value === null) return
  if (typeof File !== "undefined" && value instanceof File) {
    // as it is: a new name would wrap it in another File, and a transport may know this one (NodeFiles)
    form.append(key, value)
  } else if (typeof Blob !== "undefined" && value instanceof Blob) {
    form.append(key, value, key)
  } else if (value instanceof Uint8Array) {
    form.append(key, new Blob([value as Uint8Array<ArrayBuffer>]), key)
  } else if (Array.isArray(value)) {
    for (const item of value) appendFormValue(form, key, item)
  } else if (typeof value === "object") {
    form.append(key, JSON.stringify(value))
  } else {
    form.append(key, String(value))
  }
}

type Encoded<A> = Either.Either<A, MistralError.RequestEncodeError>

/** The path with its parameters encoded through their schema, each percent-encoded into its own segment. */
const encodePath = (
  defaults: Defaults,
  operation: Operation.Operation,
  input: RawInput,
  context: MistralError.RequestContext
): Encoded<string> => {
  if (operation.pathParameters === undefined) return Either.right(operation.path)
  const encoded = FastParse.encoderFor(operation.pathParameters)(input.path ?? {})
  if (encoded._tag === "Left")
    return Either.left(Errors.requestEncodeParse(context, encoded.left, "path", defaults.scrub))
  const values = encoded.right as Record<string, unknown>
  let invalid: { readonly name: string; readonly issue: string } | undefined
  const path = operation.path.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const value = values[name]
    const text = value === undefined || value === null ? "" : String(value)
    if (text.length === 0) invalid ??= { name, issue: "must be a non-empty string" }
    // no encoding makes a dot segment safe: URL normalisers read %2E as "." too
    else if (text === "." || text === "..") invalid ??= { name, issue: 'must not be "." or ".."' }
    else if (!isWellFormed(text)) invalid ??= { name, issue: "is not well-formed Unicode (a lone surrogate)" }
    return invalid === undefined ? encodeURIComponent(text) : ""
  })
  return invalid === undefined
    ? Either.right(path)
    : Either.left(Errors.requestEncode(context, `path.${invalid.name}`, invalid.issue))
}

/** The query parameters: arrays repeat the key, objects and `content: application/json` parameters are JSON. */
const encodeQuery = (
  defaults: Defaults,
  operation: Operation.Operation,
  input: RawInput,
  context: MistralError.RequestContext
): Encoded<Array<[string, string]>> => {
  const urlParams: Array<[string, string]> = []
  if (operation.query === undefined) return Either.right(urlParams)
  const encoded = FastParse.encoderFor(operation.query)(input.query ?? {})
  if (encoded._tag === "Left")
    return Either.left(Errors.requestEncodeParse(context, encoded.left, "query", defaults.scrub))
  const json = operation.queryJson
  for (const [key, value] of Object.entries(encoded.right as Record<string, unknown>)) {
    if (value === undefined) continue
    if (json?.includes(key)) {
      urlParams.push([key, JSON.stringify(value)])
    } else if (Array.isArray(value)) {
      for (const item of value) urlParams.push([key, typeof item === "object" ? JSON.stringify(item) : String(item)])
    } else if (value !== null) {
      urlParams.push([key, typeof value === "object" ? JSON.stringify(value) : String(value)])
    }
  }
  const bad = urlParams.find(([, value]) => !isWellFormed(value))
  return bad === undefined
    ? Either.right(urlParams)
    : Either.left(Errors.requestEncode(context, `query.${bad[0]}`, "is not well-formed Unicode (a lone surrogate)"))
}

/** The client's headers, then the operation's (through their schema), then the per-call ones. */
const encodeHeaders = (
  defaults: Defaults,
  operation: Operation.Operation,
  input: RawInput,
  settings: MistralConfig.CallSettings,
  mode: Mode,
  context: MistralError.RequestContext
): Encoded<Record<string, string>> => {
  const headers: Record<string, string> = { ...defaults.headers, accept: acceptOf(operation, mode) }
  if (operation.headers !== undefined) {
    const encoded = FastParse.encoderFor(operation.headers)(input.headers ?? {})
    if (encoded._tag === "Left") {
      return Either.left(Errors.requestEncodeParse(context, encoded.left, "headers", defaults.scrub))
    }
    for (const [key, value] of Object.entries(encoded.right as Record<string, unknown>)) {
      if (value !== undefined && value !== null) headers[key.toLowerCase()] = String(value)
    }
  }
  if (settings.headers !== undefined) Object.assign(headers, lowerCaseKeys(settings.headers))
  return Either.right(headers)
}

/** The body through its schema, as JSON or a form, with the stream flag of `mode`. */
const encodeBody = (
  defaults: Defaults,
  operation: Operation.Operation,
  input: RawInput,
  mode: Mode,
  context: MistralError.RequestContext,
  request: HttpClientRequest.HttpClientRequest
): Encoded<HttpClientRequest.HttpClientRequest> => {
  const body = operation.body
  if (body === undefined) return Either.right(request)
  if (input.body === undefined) {
    return body.required ? Either.left(Errors.requestEncode(context, "body", "is missing")) : Either.right(request)
  }
  const encoded = FastParse.encoderFor(body.schema)(input.body)
  if (encoded._tag === "Left")
    return Either.left(Errors.requestEncodeParse(context, encoded.left, "body", defaults.scrub))
  const value = withStreamFlag(encoded.right, streamFlag(operation, mode))
  if (body.mediaType !== "multipart/form-data") {
    return Either.right(HttpClientRequest.bodyText(request, JSON.stringify(value), "application/json"))
  }
  const fields = value as Record<string, unknown>
  if (Multipart.hasStreamedFile(fields)) {
    // written as the transport pulls it: the file is never held whole
    const form = Multipart.streamedForm(fields)
    return Either.right(
      HttpClientRequest.bodyStream(request, form.stream, {
        contentType: form.contentType,
        contentLength: form.contentLength
      })
    )
  }
  const form = new FormData()
  for (const [key, item] of Object.entries(fields)) appendFormValue(form, key, item)
  return Either.right(HttpClientRequest.bodyFormData(request, form))
}

/**
 * The request for `operation` with `input`: URL (path parameters, query), headers and body; or the error that says
 * which field does not encode.
 */
export const prepare = (
  defaults: Defaults,
  operation: Operation.Operation,
  input: RawInput,
  settings: MistralConfig.CallSettings,
  mode: Mode
): Encoded<Prepared> => {
  const base = { operationId: operation.operationId, method: operation.method, path: operation.path }
  const path = encodePath(defaults, operation, input, base)
  if (path._tag === "Left") return Either.left(path.left)
  const context: MistralError.RequestContext =
    operation.pathParameters === undefined ? base : { ...base, path: path.right }
  const urlParams = encodeQuery(defaults, operation, input, context)
  if (urlParams._tag === "Left") return Either.left(urlParams.left)
  const headers = encodeHeaders(defaults, operation, input, settings, mode, context)
  if (headers._tag === "Left") return Either.left(headers.left)
  const request = HttpClientRequest.make(operation.method)(defaults.baseUrl + path.right, {
    urlParams: urlParams.right,
    headers: headers.right
  })
  return Either.map(encodeBody(defaults, operation, input, mode, context, request), (request) => ({ request, context }))
}

const isWellFormed = (text: string): boolean => !/\p{Surrogate}/u.test(text)

/** The headers with lower-cased names, as `Headers` keeps them. */
export const lowerCaseKeys = (headers: Readonly<Record<string, string>>): Record<string, string> => {
  const out: Record<string, string> = {}
  for (const [key, value] of Object.entries(headers)) out[key.toLowerCase()] = value
  return out
}
