/**
 * Chat and FIM completion streams (`CompletionChunk`s): text deltas, and a fold into the value the plain call returns.
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import type * as Components from "../generated/components.js"
import { appendContent } from "./content.js"

type ContentChunk = Components.ContentChunk
type Content = string | ReadonlyArray<ContentChunk>

const textOf = (content: Content | null | undefined): string => {
  if (content === null || content === undefined) return ""
  if (typeof content === "string") return content
  let text = ""
  for (const chunk of content) {
    if ((chunk.type === "text" || chunk.type === undefined) && "text" in chunk) text += chunk.text
  }
  return text
}

/** The text of the first choice of each chunk, as it arrives; thinking and tool calls are skipped. */
export const textDeltas = <E, R>(
  chunks: Stream.Stream<Components.CompletionChunk, E, R>
): Stream.Stream<string, E, R> =>
  Stream.filterMap(chunks, (chunk) => {
    for (const choice of chunk.choices) {
      if (choice.index !== 0) continue
      const text = textOf(choice.delta.content)
      return text.length === 0 ? Option.none() : Option.some(text)
    }
    return Option.none()
  })

const textChunk = (text: string): ContentChunk => ({ type: "text", text })

interface ChoiceState {
  content: Content | null
  readonly toolCalls: Array<Components.ToolCall>
  finishReason: Components.ChatCompletionChoice["finish_reason"] | null
}

const mergeToolCall = (calls: Array<Components.ToolCall>, delta: Components.ToolCall): void => {
  // a call split over several chunks repeats its index (or id); its arguments arrive as string pieces
  const at = calls.findIndex(
    (call) =>
      (delta.id !== undefined && delta.id.length > 0 && call.id === delta.id) ||
      ((delta.id === undefined || delta.id.length === 0) && delta.index !== undefined && call.index === delta.index)
  )
  if (at === -1) {
    calls.push(delta)
    return
  }
  const current = calls[at]
  const previous = current.function.arguments
  const next = delta.function.arguments
  calls[at] = {
    ...current,
    function: {
      name: current.function.name.length > 0 ? current.function.name : delta.function.name,
      arguments:
        typeof previous === "string" && typeof next === "string"
          ? previous + next
          : typeof next === "string" && next.length === 0
            ? previous
            : next
    }
  }
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
              state.content = appendContent(state.content, content, textChunk)
            for (const call of choice.delta.tool_calls ?? []) mergeToolCall(state.toolCalls, call)
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
