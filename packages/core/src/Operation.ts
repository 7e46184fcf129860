/**
 * Operation descriptors: the facts of one API operation (method, path, parameters, body, answers) as data.
 *
 * The generator writes one descriptor per operation of the OpenAPI document (see `generated/`); the runtime
 * (`MistralClient`) executes any of them with one generic executor.
 *
 * @since 0.1.0
 */
import type * as Schema from "effect/Schema"

/**
 * @since 0.1.0
 * @category models
 */
export type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE"

/**
 * How the success answer comes back.
 *
 * - `json`: a JSON body decoded with `success`
 * - `empty`: no body (204 and friends)
 * - `bytes`: raw bytes (file downloads, audio)
 * - `sse`: server-sent events only, each decoded with `event`
 * - `json-or-sse`: JSON by default, server-sent events when the body says `"stream": true`
 *
 * @since 0.1.0
 * @category models
 */
export type ResponseKind = "json" | "empty" | "bytes" | "sse" | "json-or-sse"

/**
 * @since 0.1.0
 * @category models
 */
export type BodyMediaType = "application/json" | "multipart/form-data"

/**
 * A schema with no context requirement, as every generated schema is.
 *
 * @since 0.1.0
 * @category models
 */
export type AnySchema = Schema.Schema.AnyNoContext

/**
 * @since 0.1.0
 * @category models
 */
export interface RequestBody<S extends AnySchema = AnySchema> {
  readonly mediaType: BodyMediaType
  readonly required: boolean
  readonly schema: S
}

/**
 * The descriptor of one operation.
 *
 * `path`, `query` and `headers` are structs keyed by the parameters' wire names. Query parameters listed in
 * `queryJson` are sent JSON-encoded (the document declares them with `content: application/json`).
 *
 * @since 0.1.0
 * @category models
 */
export interface Operation {
  readonly operationId: string
  readonly method: Method
  /** The path template, with `{name}` placeholders and without any `#fragment`. */
  readonly path: string
  readonly tags: ReadonlyArray<string>
  readonly deprecated: boolean
  readonly pathParameters?: AnySchema | undefined
  readonly query?: AnySchema | undefined
  readonly queryJson?: ReadonlyArray<string> | undefined
  readonly headers?: AnySchema | undefined
  readonly body?: RequestBody | undefined
  readonly response: ResponseKind
  readonly successStatus: number
  /** The media type of the success answer (`application/json`, `text/event-stream`, `application/octet-stream`…). */
  readonly successMediaType?: string | undefined
  readonly success?: AnySchema | undefined
  /** The schema of one server-sent event's `data`. */
  readonly event?: AnySchema | undefined
  /** The `data` that ends the stream (`[DONE]` for completions); a stream that ends before it broke off. */
  readonly streamTerminator?: string | undefined
  /** Error bodies by HTTP status, as documented. */
  readonly errors: { readonly [status: number]: AnySchema }
}

/**
 * Declares a descriptor, keeping its precise type.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = <const O extends Operation>(operation: O): O => operation

type TypeOf<S> = S extends Schema.Schema<infer A, infer _I, infer _R> ? A : never

type IsOptionalObject<A> = {} extends A ? true : false

type Field<Key extends string, A, Required extends boolean> = [A] extends [never]
  ? {}
  : Required extends true
    ? { readonly [K in Key]: A }
    : { readonly [K in Key]?: A | undefined }

/**
 * What a caller passes to execute an operation: `path`, `query`, `headers` and `body`, each present only when the
 * operation has it, and optional when nothing in it is required.
 *
 * @since 0.1.0
 * @category models
 */
export type Input<O extends Operation> = Field<
  "path",
  TypeOf<O["pathParameters"]>,
  IsOptionalObject<TypeOf<O["pathParameters"]>> extends true ? false : true
> &
  Field<"query", TypeOf<O["query"]>, IsOptionalObject<TypeOf<O["query"]>> extends true ? false : true> &
  Field<"headers", TypeOf<O["headers"]>, IsOptionalObject<TypeOf<O["headers"]>> extends true ? false : true> &
  Field<
    "body",
    O["body"] extends RequestBody<infer S> ? TypeOf<S> : never,
    O["body"] extends { readonly required: true } ? true : false
  >

/**
 * The decoded success value of a plain (non-streamed) call.
 *
 * @since 0.1.0
 * @category models
 */
export type Success<O extends Operation> = O["response"] extends "empty"
  ? void
  : O["response"] extends "bytes"
    ? Uint8Array
    : TypeOf<O["success"]>

/**
 * One decoded server-sent event of a streamed call.
 *
 * @since 0.1.0
 * @category models
 */
export type Event<O extends Operation> = TypeOf<O["event"]>

/**
 * Operations that can be called for a single answer.
 *
 * @since 0.1.0
 * @category models
 */
export type Callable = Operation & { readonly response: "json" | "empty" | "bytes" | "json-or-sse" }

/**
 * Operations that answer with server-sent events.
 *
 * @since 0.1.0
 * @category models
 */
export type Streamable = Operation & { readonly response: "sse" | "json-or-sse"; readonly event: AnySchema }
