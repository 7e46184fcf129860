/**
 * Structured output from an Effect `Schema`: the schema is sent as a strict, named `json_schema` response format
 * (`response_format` of a chat completion, `completion_args.response_format` of a conversation turn) and the reply's
 * text is decoded with it. A reply that does not decode is a `StructuredOutputError` that keeps the raw text.
 *
 * `Chat.completeStructured`, `Chat.streamStructured` and the `…Structured` functions of `Conversations` are built on
 * this module; its pieces serve any other call.
 *
 * @since 0.2.0
 */
import * as Effect from "effect/Effect"
import * as JSONSchema from "effect/JSONSchema"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import * as SchemaAST from "effect/SchemaAST"
import * as Stream from "effect/Stream"
import type * as Components from "./generated/components.js"
import * as MistralError from "./MistralError.js"

/**
 * How the schema is described to the model.
 *
 * @since 0.2.0
 * @category models
 */
export interface Options {
  /** The name sent in `json_schema.name`. Default: the schema's `identifier` or `title` annotation, else `output`. */
  readonly name?: string | undefined
  /** Sent as `json_schema.description`. Default: the schema's `description` annotation, if any. */
  readonly description?: string | undefined
  /** Sent as `json_schema.strict`. Default `true`. */
  readonly strict?: boolean | undefined
}

/**
 * A schema whose value can be decoded with no context (the reply is JSON text).
 *
 * @since 0.2.0
 * @category models
 */
export type Decodable<A, I = unknown> = Schema.Schema<A, I, never>

const nameOf = (ast: SchemaAST.AST, options: Options): string => {
  if (options.name !== undefined) return options.name
  const annotated =
    SchemaAST.getIdentifierAnnotation(ast).pipe((option) => (option._tag === "Some" ? option.value : undefined)) ??
    SchemaAST.getTitleAnnotation(ast).pipe((option) => (option._tag === "Some" ? option.value : undefined))
  // the API takes names of letters, digits, `_` and `-`
  const name = annotated?.replace(/[^A-Za-z0-9_-]+/g, "_")
  return name === undefined || name.length === 0 ? "output" : name
}

/**
 * The JSON Schema of a schema, with its definitions under `$defs` (no `$schema` key, no top-level `$ref`).
 *
 * @since 0.2.0
 * @category constructors
 */
export const jsonSchema = <A, I>(schema: Decodable<A, I>): { readonly [key: string]: unknown } => {
  const $defs: Record<string, JSONSchema.JsonSchema7> = {}
  const json: Record<string, unknown> = {
    ...JSONSchema.fromAST(schema.ast, { definitions: $defs, topLevelReferenceStrategy: "skip" })
  }
  if (Object.keys($defs).length > 0) json.$defs = $defs
  return json
}

/**
 * The `response_format` that asks for a value of the schema: `{type: "json_schema", json_schema: {name, schema,
 * strict: true}}`.
 *
 * @since 0.2.0
 * @category constructors
 */
export const responseFormat = <A, I>(schema: Decodable<A, I>, options: Options = {}): Components.ResponseFormat => {
  const description =
    options.description ??
    SchemaAST.getDescriptionAnnotation(schema.ast).pipe((option) => (option._tag === "Some" ? option.value : undefined))
  const format: Components.JsonSchema = {
    name: nameOf(schema.ast, options),
    schema: jsonSchema(schema),
    strict: options.strict ?? true
  }
  return { type: "json_schema", json_schema: description === undefined ? format : { ...format, description } }
}

/**
 * Decodes a reply's text with the schema: JSON first, then the schema.
 *
 * @since 0.2.0
 * @category decoding
 */
export const decodeText = <A, I>(
  schema: Decodable<A, I>,
  text: string,
  options: Options = {}
): Effect.Effect<A, MistralError.StructuredOutputError> => {
  const fail = (issue: string) =>
    Effect.fail(new MistralError.StructuredOutputError({ name: nameOf(schema.ast, options), text, issue }))
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (cause) {
    return fail(`not JSON (${cause instanceof Error ? cause.message : String(cause)})`)
  }
  return Schema.decodeUnknown(schema)(json).pipe(
    Effect.catchTag("ParseError", (error) => fail(ParseResult.TreeFormatter.formatErrorSync(error)))
  )
}

/**
 * One element of a streamed structured reply: each event as it arrives, then (once the stream has ended) the
 * decoded value.
 *
 * @since 0.2.0
 * @category models
 */
export type Streamed<A, Event> =
  | { readonly _tag: "Event"; readonly event: Event }
  | { readonly _tag: "Value"; readonly value: A }

/**
 * Passes a stream's events on and, when it ends, decodes the text they carried (`textOf` each event) with the
 * schema: the last element is the value.
 *
 * @since 0.2.0
 * @category streams
 */
export const streamed = <A, I, Event, E, R>(
  events: Stream.Stream<Event, E, R>,
  schema: Decodable<A, I>,
  textOf: (event: Event) => string,
  options: Options = {}
): Stream.Stream<Streamed<A, Event>, E | MistralError.StructuredOutputError, R> =>
  Stream.suspend(() => {
    let text = ""
    return Stream.concat(
      Stream.map(events, (event): Streamed<A, Event> => {
        text += textOf(event)
        return { _tag: "Event", event }
      }),
      Stream.fromEffect(
        Effect.suspend(() => decodeText(schema, text, options)).pipe(
          Effect.map((value): Streamed<A, Event> => ({ _tag: "Value", value }))
        )
      )
    )
  })

/**
 * The decoded value of a streamed structured reply: the stream run to its end.
 *
 * @since 0.2.0
 * @category streams
 */
export const value = <A, Event, E, R>(stream: Stream.Stream<Streamed<A, Event>, E, R>): Effect.Effect<A, E, R> =>
  Effect.map(
    Stream.runFold(stream, undefined as A | undefined, (last, element) =>
      element._tag === "Value" ? element.value : last
    ),
    (last) => last as A
  )
