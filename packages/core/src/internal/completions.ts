/**
 * Chat and FIM completion streams (`CompletionChunk`s): text deltas, and a fold into the value the plain call returns.
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import type * as Components from "../generated/components.js"
import * as Content from "../Content.js"

type ContentChunk = Components.ContentChunk
type MessageContent = string | ReadonlyArray<ContentChunk>

/** The text of the first choice of each chunk, as it arrives; thinking and tool calls are skipped. */
export const textDeltas = <E, R>(
  chunks: Stream.Stream<Components.CompletionChunk, E, R>
): Stream.Stream<string, E, R> =>
  Stream.filterMap(chunks, (chunk) => {
    for (const choice of chunk.choices) {
      if (choice.index !== 0) continue
      const text = Content.text(choice.delta.content)
      return text.length === 0 ? Option.none() : Option.some(text)
    }
    return Option.none()
  })

const textChunk = (text: string): ContentChunk => ({ type: "text", text })

interface ChoiceState {
  content: MessageContent | null
  readonly toolCalls: Array<Components.ToolCall>
  finishReason: Components.ChatCompletionChoice["finish_reason"] | null
}

/** Folds completion chunks into the response the plain call returns (same id, model, choices and usage). */
export const collect = <E, R>(
  chunks: Stream.Stream<Components.CompletionChunk, E, R>
): Effect.Effect<Components.ChatCompletionResponse, E, R> =>
  Effect.suspend(() => {
    let id = ""
    let model = ""
    let created = 0
    let usage: Components.UsageInfo = { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 }
    const choices = new Map<number, ChoiceState>()
    return Stream.runForEachChunk(chunks, (chunk) =>
      Effect.sync(() => {
        // a plain loop: folding element by element through a large chunk can overflow the stack
        for (const event of chunk) {
          if (id.length === 0) id = event.id
          if (model.length === 0) model = event.model
          if (created === 0 && event.created !== undefined) created = event.created
          if (event.usage !== undefined) usage = event.usage
          for (const choice of event.choices) {
            let state = choices.get(choice.index)
            if (state === undefined) {
              state = { content: null, toolCalls: [], finishReason: null }
              choices.set(choice.index, state)
            }
            const content = choice.delta.content
            if (content !== null && content !== undefined)
              state.content = Content.append(state.content, content, textChunk)
            for (const call of choice.delta.tool_calls ?? []) Content.mergeToolCall(state.toolCalls, call)
            if (choice.finish_reason !== null) state.finishReason = choice.finish_reason
          }
        }
      })
    ).pipe(
      Effect.map(
        (): Components.ChatCompletionResponse => ({
          id,
          object: "chat.completion",
          model,
          usage,
          created,
          choices: [...choices.entries()]
            .sort(([a], [b]) => a - b)
            .map(([index, state]) => ({
              index,
              message: {
                role: "assistant",
                content: state.content ?? "",
                ...(state.toolCalls.length === 0 ? {} : { tool_calls: state.toolCalls })
              },
              // a stream that ends without a reason ended normally: the runtime fails broken streams
              finish_reason: state.finishReason ?? "stop"
            }))
        })
      )
    )
  })
