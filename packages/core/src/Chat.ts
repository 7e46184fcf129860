/**
 * The Chat Completions API: a completion, plain or streamed (the stream ends at `data: [DONE]`), and helpers over
 * the streamed chunks.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Schema from "effect/Schema"
import type * as Stream from "effect/Stream"
import * as Content from "./Content.js"
import type * as Components from "./generated/components.js"
import * as Operations from "./generated/chat.js"
import * as Completions from "./internal/completions.js"
import { accessors, type Body } from "./internal/services.js"
import * as MistralClient from "./MistralClient.js"
import type * as MistralError from "./MistralError.js"
import * as StructuredOutput from "./StructuredOutput.js"

/**
 * @since 0.1.0
 * @category models
 */
export type CompletionRequest = Body<typeof Operations.chat_completion_v1_chat_completions_post>

/**
 * The request of a streamed completion; the runtime sets `stream: true` itself.
 *
 * @since 0.1.0
 * @category models
 */
export type StreamRequest = Omit<CompletionRequest, "stream">

/**
 * @since 0.1.0
 * @category models
 */
export type ChatCompletionResponse = Components.ChatCompletionResponse

/**
 * One chunk of a streamed completion.
 *
 * @since 0.1.0
 * @category models
 */
export type CompletionChunk = Components.CompletionChunk

/**
 * @since 0.1.0
 * @category models
 */
export interface Service {
  readonly complete: (request: CompletionRequest) => Effect.Effect<ChatCompletionResponse, MistralError.MistralError>
  readonly stream: (request: StreamRequest) => Stream.Stream<CompletionChunk, MistralError.MistralError>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class Chat extends Context.Tag("@effect-mistral/core/Chat")<Chat, Service>() {}

/**
 * Builds the service on a client.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromClient = (client: MistralClient.Service): Service => ({
  complete: (request) => client.call(Operations.chat_completion_v1_chat_completions_post, { body: request }),
  stream: (request) => client.stream(Operations.chat_completion_v1_chat_completions_post, { body: request })
})

/**
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<Service, never, MistralClient.MistralClient> = Effect.map(
  MistralClient.MistralClient,
  fromClient
)

/**
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<Chat, never, MistralClient.MistralClient> = Layer.effect(Chat, make)

/**
 * The text of the first choice as it arrives (thinking and tool calls are skipped).
 *
 * @since 0.1.0
 * @category streams
 */
export const textDeltas: <E, R>(chunks: Stream.Stream<CompletionChunk, E, R>) => Stream.Stream<string, E, R> =
  Completions.textDeltas

/**
 * Folds a streamed completion into the value the plain call returns: the same id, model, choices (content joined,
 * tool calls merged, finish reason) and usage.
 *
 * @since 0.1.0
 * @category streams
 */
export const collect: <E, R>(
  chunks: Stream.Stream<CompletionChunk, E, R>
) => Effect.Effect<ChatCompletionResponse, E, R> = Completions.collect

/**
 * The text of the first choice's message (text chunks joined; thinking skipped).
 *
 * @since 0.1.0
 * @category getters
 */
export const outputText = (response: ChatCompletionResponse): string =>
  Content.text(response.choices.find((choice) => choice.index === 0)?.message?.content)

/**
 * A completion whose reply is a value of `schema`: the schema goes out as a strict `json_schema` `response_format`
 * (see `StructuredOutput.responseFormat`), the first choice's text comes back decoded. A reply that does not decode
 * is a `StructuredOutputError` carrying the raw text.
 *
 * @since 0.2.0
 * @category structured output
 */
export const completeStructured = <A, I>(
  request: Omit<CompletionRequest, "response_format">,
  schema: Schema.Schema<A, I, never>,
  options?: StructuredOutput.Options
): Effect.Effect<A, MistralError.MistralError | MistralError.StructuredOutputError, Chat> =>
  Effect.flatMap(
    complete({ ...request, response_format: StructuredOutput.responseFormat(schema, options) }),
    (response) => StructuredOutput.decodeText(schema, outputText(response), options)
  )

/**
 * `completeStructured` streamed: every chunk as it arrives, then the decoded value as the last element.
 *
 * @since 0.2.0
 * @category structured output
 */
export const streamStructured = <A, I>(
  request: Omit<StreamRequest, "response_format">,
  schema: Schema.Schema<A, I, never>,
  options?: StructuredOutput.Options
): Stream.Stream<
  StructuredOutput.Streamed<A, CompletionChunk>,
  MistralError.MistralError | MistralError.StructuredOutputError,
  Chat
> =>
  StructuredOutput.streamed(
    stream({ ...request, response_format: StructuredOutput.responseFormat(schema, options) }),
    schema,
    firstChoiceText,
    options
  )

const firstChoiceText = (chunk: CompletionChunk): string => {
  for (const choice of chunk.choices) if (choice.index === 0) return Content.text(choice.delta.content)
  return ""
}

// =============================================================================
// Accessors
// =============================================================================

const methods = accessors(Chat, { effects: ["complete"], streams: ["stream"] })

/**
 * Calls `complete` on the service in context.
 *
 * @since 0.1.0
 * @category accessors
 */
export const complete = methods.complete

/**
 * Calls `stream` on the service in context.
 *
 * @since 0.1.0
 * @category accessors
 */
export const stream = methods.stream
