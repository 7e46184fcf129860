/**
 * Stream semantics shared by every service and the `@effect/ai` provider: the text of a content value, appending
 * streamed content, merging streamed tool-call fragments, and parsing tool arguments. One rule each, so that one wire
 * stream folds the same way in `Chat.collect`, `Conversations.collect` and `@effect/ai`'s `streamText`.
 *
 * @since 0.1.0
 */
import * as Data from "effect/Data"
import * as Either from "effect/Either"
import type * as Components from "./generated/components.js"

// =============================================================================
// Text
// =============================================================================

/**
 * A text chunk: a chunk whose `type` is `"text"` or absent (the API makes it optional), with a string `text`.
 *
 * @since 0.1.0
 * @category guards
 */
export const isTextChunk = (chunk: unknown): chunk is Components.TextChunk =>
  typeof chunk === "object" &&
  chunk !== null &&
  typeof (chunk as { readonly text?: unknown }).text === "string" &&
  ((chunk as { readonly type?: unknown }).type === undefined || (chunk as { readonly type?: unknown }).type === "text")

/**
 * A thinking chunk: `type` `"thinking"` or absent, with an array of inner chunks.
 *
 * @since 0.1.0
 * @category guards
 */
export const isThinkChunk = (chunk: unknown): chunk is Components.ThinkChunk =>
  typeof chunk === "object" &&
  chunk !== null &&
  Array.isArray((chunk as { readonly thinking?: unknown }).thinking) &&
  ((chunk as { readonly type?: unknown }).type === undefined ||
    (chunk as { readonly type?: unknown }).type === "thinking")

/**
 * The text of a content value, as a person would read it: a string is itself; a chunk or an array of chunks gives
 * the text of its text chunks (see `isTextChunk`), joined; thinking and every other kind of chunk are skipped;
 * `null` and `undefined` are empty.
 *
 * @since 0.1.0
 * @category text
 */
export const text = (content: unknown): string => {
  if (typeof content === "string") return content
  if (Array.isArray(content)) {
    let joined = ""
    for (const chunk of content) if (isTextChunk(chunk)) joined += chunk.text
    return joined
  }
  return isTextChunk(content) ? content.text : ""
}

/**
 * The text of a thinking chunk: its inner text chunks, joined.
 *
 * @since 0.1.0
 * @category text
 */
export const thinkingText = (chunk: Components.ThinkChunk): string => text(chunk.thinking)

// =============================================================================
// Appending streamed content
// =============================================================================

/**
 * Appends a streamed delta to content: strings concatenate; as soon as either side has chunks the result is chunks,
 * and a text delta is merged into a preceding text chunk. `textChunk` builds the text chunk of the caller's chunk
 * type.
 *
 * @since 0.1.0
 * @category appending
 */
export const append = <C>(
  current: string | ReadonlyArray<C> | null | undefined,
  delta: string | C | ReadonlyArray<C>,
  textChunk: (text: string) => C
): string | ReadonlyArray<C> => {
  if ((current === null || current === undefined || typeof current === "string") && typeof delta === "string") {
    return (current ?? "") + delta
  }
  const chunks: Array<C> =
    current === null || current === undefined || current === ""
      ? []
      : typeof current === "string"
        ? [textChunk(current)]
        : [...current]
  const next: ReadonlyArray<C> =
    typeof delta === "string" ? [textChunk(delta)] : Array.isArray(delta) ? delta : [delta as C]
  for (const item of next) {
    const last = chunks[chunks.length - 1]
    if (last !== undefined && isTextChunk(last) && isTextChunk(item)) {
      chunks[chunks.length - 1] = { ...last, text: last.text + item.text } as C
    } else {
      chunks.push(item)
    }
  }
  return chunks
}

// =============================================================================
// Streamed tool calls
// =============================================================================

/**
 * What identifies a streamed tool-call fragment: its call id and its index, either of which may be absent.
 *
 * @since 0.1.0
 * @category tool calls
 */
export interface ToolCallFragment {
  readonly id?: string | undefined
  readonly index?: number | undefined
}

/**
 * The arguments of a tool call as the API sends them: a JSON string (streamed in pieces) or an object.
 *
 * @since 0.1.0
 * @category tool calls
 */
export type Arguments = string | { readonly [key: string]: unknown }

/**
 * The id a fragment carries, if any: an empty id and the API's declared default `"null"` count as none.
 *
 * @since 0.1.0
 * @category tool calls
 */
export const fragmentId = (fragment: ToolCallFragment): string | undefined =>
  fragment.id === undefined || fragment.id.length === 0 || fragment.id === "null" ? undefined : fragment.id

/**
 * Which call a fragment continues, as a position in `calls` (each call described by its first fragment), or `-1`
 * when it opens a new call.
 *
 * Mistral sends parallel calls that all carry `index: 0` with distinct ids, and continuation fragments with no id,
 * so the id comes first: a fragment with an id continues the call with that id, or opens a new one; a fragment
 * without id continues the last call with the index it sent (a new one if there is none); a fragment with neither
 * continues the last call (a new one if there is none).
 *
 * @since 0.1.0
 * @category tool calls
 */
export const findToolCall = (calls: ReadonlyArray<ToolCallFragment>, fragment: ToolCallFragment): number => {
  const id = fragmentId(fragment)
  if (id !== undefined) {
    for (let at = calls.length - 1; at >= 0; at--) if (fragmentId(calls[at]) === id) return at
    return -1
  }
  if (fragment.index !== undefined) {
    for (let at = calls.length - 1; at >= 0; at--) if (calls[at].index === fragment.index) return at
    return -1
  }
  return calls.length - 1
}

/**
 * Arguments as the JSON text a model sent (an object is written as JSON).
 *
 * @since 0.1.0
 * @category tool calls
 */
export const argumentsText = (args: Arguments): string => (typeof args === "string" ? args : JSON.stringify(args))

/**
 * Appends a streamed arguments fragment: string pieces concatenate; an empty piece keeps what is there; an object
 * is complete arguments and replaces what was there; a string piece after an object continues its JSON text.
 *
 * @since 0.1.0
 * @category tool calls
 */
export const appendArguments = (current: Arguments, next: Arguments): Arguments => {
  if (typeof next !== "string") return next
  if (next.length === 0) return current
  return argumentsText(current) + next
}

/**
 * Merges a streamed tool-call fragment into the calls gathered so far (see `findToolCall`): a continuation keeps the
 * call's id, index and first non-empty name, and appends its arguments (see `appendArguments`). Returns the calls.
 *
 * @since 0.1.0
 * @category tool calls
 */
export const mergeToolCall = (
  calls: Array<Components.ToolCall>,
  delta: Components.ToolCall
): Array<Components.ToolCall> => {
  const at = findToolCall(calls, delta)
  if (at === -1) {
    calls.push(delta)
    return calls
  }
  const current = calls[at]
  calls[at] = {
    ...current,
    function: {
      name: current.function.name.length > 0 ? current.function.name : delta.function.name,
      arguments: appendArguments(current.function.arguments, delta.function.arguments)
    }
  }
  return calls
}

// =============================================================================
// Tool arguments
// =============================================================================

/**
 * Tool arguments that cannot be used: not JSON, or JSON with a key that could reach an object prototype
 * (`__proto__`, or `constructor` holding a `prototype`).
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidArguments extends Data.TaggedError("InvalidArguments")<{
  readonly reason: "NotJson" | "ForbiddenKey"
  readonly text: string
  readonly cause?: unknown
}> {
  override get message(): string {
    return this.reason === "NotJson"
      ? `the arguments are not JSON (${String(this.cause)})`
      : "the arguments hold a forbidden key (__proto__ or constructor.prototype)"
  }
}

const hasForbiddenKey = (value: unknown): boolean => {
  const pending: Array<unknown> = [value]
  while (pending.length > 0) {
    const node = pending.pop()
    if (typeof node !== "object" || node === null) continue
    if (Object.hasOwn(node, "__proto__")) return true
    const ctor = Object.hasOwn(node, "constructor")
      ? (node as { readonly constructor: unknown }).constructor
      : undefined
    if (typeof ctor === "object" && ctor !== null && Object.hasOwn(ctor, "prototype")) return true
    for (const key in node) pending.push((node as Record<string, unknown>)[key])
  }
  return false
}

/**
 * Parses tool arguments: an object is taken as it is, empty text is `{}`, and JSON text is parsed and refused when
 * it holds `__proto__`, or `constructor` with a `prototype` (the checks of `secure-json-parse`, which `@effect/ai`
 * applies as well).
 *
 * @since 0.1.0
 * @category parsing
 */
export const parseArguments = (args: Arguments): Either.Either<unknown, InvalidArguments> => {
  if (typeof args !== "string") {
    return hasForbiddenKey(args)
      ? Either.left(new InvalidArguments({ reason: "ForbiddenKey", text: "" }))
      : Either.right(args)
  }
  if (args.trim().length === 0) return Either.right({})
  let value: unknown
  try {
    value = JSON.parse(args)
  } catch (cause) {
    return Either.left(new InvalidArguments({ reason: "NotJson", text: args, cause }))
  }
  // only text that names a suspect key, or escapes one, needs the walk
  if (
    typeof value === "object" &&
    value !== null &&
    (args.includes("__proto__") || args.includes("constructor") || args.includes("\\u")) &&
    hasForbiddenKey(value)
  ) {
    return Either.left(new InvalidArguments({ reason: "ForbiddenKey", text: args }))
  }
  return Either.right(value)
}
