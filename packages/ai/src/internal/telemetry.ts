/**
 * The GenAI span attributes (`gen_ai.*`) through `@effect/ai`'s `Telemetry` module.
 */
import type * as Response from "@effect/ai/Response"
import * as Telemetry from "@effect/ai/Telemetry"
import type * as ChatApi from "@effect-mistral/core/generated/chat"
import type * as Components from "@effect-mistral/core/generated/components"
import type { Span } from "effect/Tracer"

/**
 * `gen_ai.system`: the value the OpenTelemetry GenAI conventions (and `@effect/ai`'s `WellKnownSystem`) give for
 * Mistral AI.
 */
export const system = "mistral_ai"

const nullToUndefined = <A>(value: A | null | undefined): A | undefined => (value === null ? undefined : value)

const stopSequences = (stop: string | ReadonlyArray<string> | null | undefined): ReadonlyArray<string> | undefined =>
  stop === null || stop === undefined ? undefined : typeof stop === "string" ? [stop] : stop

export const annotateChatRequest = (span: Span, request: ChatApi.ChatCompletionRequest): void =>
  Telemetry.addGenAIAnnotations(span, {
    system,
    operation: { name: "chat" },
    request: {
      model: request.model,
      temperature: nullToUndefined(request.temperature),
      topP: nullToUndefined(request.top_p),
      maxTokens: nullToUndefined(request.max_tokens),
      stopSequences: stopSequences(request.stop),
      frequencyPenalty: nullToUndefined(request.frequency_penalty),
      presencePenalty: nullToUndefined(request.presence_penalty),
      seed: nullToUndefined(request.random_seed)
    }
  })

export const annotateChatResponse = (span: Span, response: Components.ChatCompletionResponse): void => {
  const finishReasons = response.choices.map((choice) => choice.finish_reason)
  Telemetry.addGenAIAnnotations(span, {
    response: {
      id: response.id,
      model: response.model,
      finishReasons: finishReasons.length === 0 ? undefined : finishReasons
    },
    usage: { inputTokens: response.usage.prompt_tokens, outputTokens: response.usage.completion_tokens }
  })
}

export const annotateStreamPart = (span: Span, part: Response.StreamPartEncoded): void => {
  if (part.type === "response-metadata") {
    Telemetry.addGenAIAnnotations(span, { response: { id: part.id, model: part.modelId } })
  } else if (part.type === "finish") {
    Telemetry.addGenAIAnnotations(span, {
      response: { finishReasons: [part.reason] },
      usage: { inputTokens: part.usage.inputTokens, outputTokens: part.usage.outputTokens }
    })
  }
}

export const annotateEmbeddingRequest = (span: Span, model: string): void =>
  Telemetry.addGenAIAnnotations(span, { system, operation: { name: "embeddings" }, request: { model } })

export const annotateEmbeddingResponse = (
  span: Span,
  response: { readonly model: string; readonly usage: Components.UsageInfo }
): void =>
  Telemetry.addGenAIAnnotations(span, {
    response: { model: response.model },
    usage: { inputTokens: response.usage.prompt_tokens }
  })
