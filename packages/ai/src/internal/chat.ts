/**
 * Mapping between `@effect/ai` (Prompt, tools, Response parts) and the Mistral chat completions wire format.
 */
import * as AiError from "@effect/ai/AiError"
import * as IdGenerator from "@effect/ai/IdGenerator"
import type * as LanguageModel from "@effect/ai/LanguageModel"
import type * as Prompt from "@effect/ai/Prompt"
import type * as Response from "@effect/ai/Response"
import * as Tool from "@effect/ai/Tool"
import type * as ChatApi from "@effect-mistral/core/generated/chat"
import * as Content from "@effect-mistral/core/Content"
import type * as Components from "@effect-mistral/core/generated/components"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Encoding from "effect/Encoding"

const moduleName = "MistralLanguageModel"

/**
 * A message of a chat completion request.
 */
export type Message =
  | Components.SystemMessage
  | Components.UserMessage
  | Components.AssistantMessage
  | Components.ToolMessage

type UserChunk = Components.TextChunk | Components.ImageURLChunk | Components.DocumentURLChunk

type AssistantChunk = Components.TextChunk | Components.ThinkChunk

// =============================================================================
// Prompt → messages
// =============================================================================

const dataUrl = (mediaType: string, data: string | Uint8Array): string =>
  `data:${mediaType};base64,${typeof data === "string" ? data : Encoding.encodeBase64(data)}`

/** A string is base64 data unless it already is a URL (an `http(s):` or `data:` address). */
const fileUrl = (mediaType: string, data: string | Uint8Array | URL): string => {
  if (data instanceof URL) return data.toString()
  if (typeof data === "string" && /^(https?:|data:)/i.test(data)) return data
  return dataUrl(mediaType, data)
}

const userChunk = (part: Prompt.UserMessagePart): Effect.Effect<UserChunk, AiError.MalformedInput> => {
  switch (part.type) {
    case "text":
      return Effect.succeed({ type: "text", text: part.text })
    case "file": {
      if (part.mediaType.startsWith("image/")) {
        const mediaType = part.mediaType === "image/*" ? "image/jpeg" : part.mediaType
        return Effect.succeed({ type: "image_url", image_url: fileUrl(mediaType, part.data) })
      }
      if (part.mediaType === "application/pdf") {
        const chunk: Components.DocumentURLChunk =
          part.fileName === undefined
            ? { type: "document_url", document_url: fileUrl(part.mediaType, part.data) }
            : { type: "document_url", document_url: fileUrl(part.mediaType, part.data), document_name: part.fileName }
        return Effect.succeed(chunk)
      }
      return Effect.fail(
        new AiError.MalformedInput({
          module: moduleName,
          method: "prepareMessages",
          description: `Mistral chat completions take images and PDF documents, not '${part.mediaType}' files`
        })
      )
    }
  }
}

/**
 * The messages of a chat completion request for a prompt. A user message with text only is sent as a string;
 * reasoning parts of assistant messages go back as `thinking` chunks; tool results are `tool` messages whose
 * content is the JSON of the result.
 */
export const prepareMessages = (prompt: Prompt.Prompt): Effect.Effect<Array<Message>, AiError.AiError> =>
  Effect.gen(function* () {
    const messages: Array<Message> = []
    for (const message of prompt.content) {
      switch (message.role) {
        case "system": {
          messages.push({ role: "system", content: message.content })
          break
        }
        case "user": {
          const textOnly = message.content.every((part) => part.type === "text")
          if (textOnly) {
            messages.push({
              role: "user",
              content: message.content.map((part) => (part.type === "text" ? part.text : "")).join("")
            })
          } else {
            const content: Array<UserChunk> = []
            for (const part of message.content) content.push(yield* userChunk(part))
            messages.push({ role: "user", content })
          }
          break
        }
        case "assistant": {
          const chunks: Array<AssistantChunk> = []
          const toolCalls: Array<Components.ToolCall> = []
          let hasReasoning = false
          for (const part of message.content) {
            switch (part.type) {
              case "text": {
                chunks.push({ type: "text", text: part.text })
                break
              }
              case "reasoning": {
                hasReasoning = true
                chunks.push({ type: "thinking", thinking: [{ type: "text", text: part.text }] })
                break
              }
              case "tool-call": {
                if (!part.providerExecuted) {
                  toolCalls.push({
                    id: part.id,
                    type: "function",
                    function: { name: part.name, arguments: JSON.stringify(part.params ?? {}) }
                  })
                }
                break
              }
              case "tool-result":
              case "file":
                // results of provider-executed tools and generated files have no place in a chat message
                break
            }
          }
          const text = Content.text(chunks)
          const content: string | Array<AssistantChunk> = hasReasoning ? chunks : text
          messages.push(
            toolCalls.length > 0
              ? { role: "assistant", content, tool_calls: toolCalls }
              : { role: "assistant", content }
          )
          break
        }
        case "tool": {
          for (const part of message.content) {
            messages.push({
              role: "tool",
              tool_call_id: part.id,
              name: part.name,
              content: JSON.stringify(part.result ?? null)
            })
          }
          break
        }
      }
    }
    return messages
  })

// =============================================================================
// Tools and response format
// =============================================================================

/** The `tools` and `tool_choice` fields of a request; both absent when no tool is offered. */
export interface PreparedTools {
  readonly tools?: ReadonlyArray<Components.Tool> | undefined
  readonly tool_choice?: Components.ToolChoice | Components.ToolChoiceEnum | undefined
}

/**
 * Function tools for the user-defined tools of a toolkit. `@effect/ai`'s `required` is Mistral's `any`; a named
 * tool is `{type: "function", function: {name}}`; `oneOf` restricts the tools sent.
 */
export const prepareTools = (
  options: LanguageModel.ProviderOptions,
  strict: boolean
): Effect.Effect<PreparedTools, AiError.AiError> =>
  Effect.gen(function* () {
    if (options.tools.length === 0) return {}
    let allowed = options.tools
    let toolChoice: Components.ToolChoice | Components.ToolChoiceEnum | undefined
    const choice = options.toolChoice
    if (typeof choice === "object" && "oneOf" in choice) {
      const names = new Set<string>(choice.oneOf)
      allowed = options.tools.filter((tool) => names.has(tool.name))
      toolChoice = choice.mode === "required" ? "any" : "auto"
    } else if (typeof choice === "object" && "tool" in choice) {
      toolChoice = { type: "function", function: { name: String(choice.tool) } }
    } else if (choice === "required") {
      toolChoice = "any"
    } else if (choice === "auto" || choice === "none") {
      toolChoice = choice
    }
    const tools: Array<Components.Tool> = []
    for (const tool of allowed) {
      if (Tool.isProviderDefined(tool)) {
        return yield* new AiError.MalformedInput({
          module: moduleName,
          method: "prepareTools",
          description: `Mistral chat completions take function tools only, not the provider-defined tool '${tool.name}'`
        })
      }
      if (Tool.isUserDefined(tool)) {
        // what `Tool.getDescription` and `Tool.getJsonSchema` read, for a tool of any requirements
        const description = tool.description ?? Tool.getDescriptionFromSchemaAst(tool.parametersSchema.ast)
        const fn: Components.Function = {
          name: tool.name,
          parameters: { ...Tool.getJsonSchemaFromSchemaAst(tool.parametersSchema.ast) },
          strict
        }
        tools.push({ type: "function", function: description === undefined ? fn : { ...fn, description } })
      }
    }
    return { tools, tool_choice: toolChoice }
  })

/**
 * `{type: "json_schema", json_schema: {name, schema, strict}}` when an object is asked for; otherwise the format
 * of the configuration, if any.
 */
export const prepareResponseFormat = (
  options: LanguageModel.ProviderOptions,
  strict: boolean,
  configured: Components.ResponseFormat | undefined
): Components.ResponseFormat | undefined => {
  if (options.responseFormat.type !== "json") return configured
  const { objectName, schema } = options.responseFormat
  const description = Tool.getDescriptionFromSchemaAst(schema.ast)
  const jsonSchema: Components.JsonSchema = {
    name: objectName,
    schema: { ...Tool.getJsonSchemaFromSchemaAst(schema.ast) },
    strict
  }
  return { type: "json_schema", json_schema: description === undefined ? jsonSchema : { ...jsonSchema, description } }
}

// =============================================================================
// Response → parts
// =============================================================================

const finishReasons: Readonly<Record<string, Response.FinishReason>> = {
  stop: "stop",
  length: "length",
  model_length: "length",
  error: "error",
  tool_calls: "tool-calls"
}

/** Mistral's finish reason as `@effect/ai`'s; an absent or unknown one is `tool-calls` when the model called any. */
export const resolveFinishReason = (
  reason: string | null | undefined,
  hasToolCalls: boolean
): Response.FinishReason => {
  const known = reason === null || reason === undefined ? undefined : finishReasons[reason]
  if (known !== undefined) return known
  if (hasToolCalls) return "tool-calls"
  return reason === null || reason === undefined ? "stop" : "unknown"
}

/** `@effect/ai`'s usage for Mistral's. */
export const usageOf = (usage: Components.UsageInfo | undefined): typeof Response.Usage.Encoded => ({
  inputTokens: usage?.prompt_tokens,
  outputTokens: usage?.completion_tokens,
  totalTokens: usage?.total_tokens
})

const timestampOf = (created: number | undefined): string | undefined =>
  created === undefined ? undefined : new Date(created * 1000).toISOString()

/** The content of a message as an ordered list of text and reasoning pieces. */
const contentPieces = (
  content: string | ReadonlyArray<Components.ContentChunk> | null | undefined
): Array<{ readonly kind: "text" | "reasoning"; readonly text: string }> => {
  if (content === null || content === undefined) return []
  if (typeof content === "string") return content.length === 0 ? [] : [{ kind: "text", text: content }]
  const pieces: Array<{ readonly kind: "text" | "reasoning"; readonly text: string }> = []
  for (const chunk of content) {
    if (Content.isTextChunk(chunk)) {
      if (chunk.text.length > 0) pieces.push({ kind: "text", text: chunk.text })
    } else if (Content.isThinkChunk(chunk)) {
      pieces.push({ kind: "reasoning", text: Content.thinkingText(chunk) })
    }
  }
  return pieces
}

const parseArguments = (
  name: string,
  args: Content.Arguments,
  method: string
): Effect.Effect<unknown, AiError.MalformedOutput> =>
  Either.match(Content.parseArguments(args), {
    onRight: Effect.succeed,
    onLeft: (error) =>
      new AiError.MalformedOutput({
        module: moduleName,
        method,
        description: `The arguments of the call to tool '${name}' are not usable (${error.message}): ${Content.argumentsText(args)}`,
        cause: error
      })
  })

/**
 * The parts of a chat completion: response metadata, the first choice's text, reasoning and tool calls, then the
 * finish part with the usage.
 */
export const makeResponse = (
  response: Components.ChatCompletionResponse
): Effect.Effect<Array<Response.PartEncoded>, AiError.AiError, IdGenerator.IdGenerator> =>
  Effect.gen(function* () {
    const parts: Array<Response.PartEncoded> = []
    const timestamp = timestampOf(response.created)
    parts.push(
      timestamp === undefined
        ? { type: "response-metadata", id: response.id, modelId: response.model }
        : { type: "response-metadata", id: response.id, modelId: response.model, timestamp }
    )
    const choice = response.choices[0]
    if (choice === undefined) {
      return yield* new AiError.MalformedOutput({
        module: moduleName,
        method: "generateText",
        description: `The chat completion ${response.id} has no choices`
      })
    }
    const message = choice.message
    for (const piece of contentPieces(message?.content)) parts.push({ type: piece.kind, text: piece.text })
    const toolCalls = message?.tool_calls ?? []
    for (const call of toolCalls) {
      const params = yield* parseArguments(call.function.name, call.function.arguments, "generateText")
      const id = Content.fragmentId(call) ?? (yield* (yield* IdGenerator.IdGenerator).generateId())
      parts.push({ type: "tool-call", id, name: call.function.name, params })
    }
    parts.push({
      type: "finish",
      reason: resolveFinishReason(choice.finish_reason, toolCalls.length > 0),
      usage: usageOf(response.usage)
    })
    return parts
  })

// =============================================================================
// Stream chunks → stream parts
// =============================================================================

interface ActiveToolCall extends Content.ToolCallFragment {
  /** The id of the parts: the call's own, or a generated one. */
  readonly callId: string
  readonly name: string
  arguments: string
}

/**
 * The state of one streamed answer: which text or reasoning part is open, the tool calls whose arguments are
 * still arriving (fragments merged by `Content.findToolCall`), the finish reason and the usage. One per stream run.
 */
export class StreamState {
  private text: string | undefined = undefined
  private reasoning: string | undefined = undefined
  private readonly toolCalls: Array<ActiveToolCall> = []
  private metadataSent = false
  private finishReason: string | null | undefined = undefined
  private hasToolCalls = false
  private usage: Components.UsageInfo | undefined = undefined
  private finished = false

  constructor(private readonly idGenerator: IdGenerator.Service) {}

  private closeText(parts: Array<Response.StreamPartEncoded>): void {
    if (this.text !== undefined) parts.push({ type: "text-end", id: this.text })
    this.text = undefined
  }

  private closeReasoning(parts: Array<Response.StreamPartEncoded>): void {
    if (this.reasoning !== undefined) parts.push({ type: "reasoning-end", id: this.reasoning })
    this.reasoning = undefined
  }

  private textDelta(delta: string, parts: Array<Response.StreamPartEncoded>): Effect.Effect<void> {
    return Effect.gen(this, function* () {
      if (delta.length === 0) return
      this.closeReasoning(parts)
      if (this.text === undefined) {
        this.text = yield* this.idGenerator.generateId()
        parts.push({ type: "text-start", id: this.text })
      }
      parts.push({ type: "text-delta", id: this.text, delta })
    })
  }

  private reasoningDelta(delta: string, parts: Array<Response.StreamPartEncoded>): Effect.Effect<void> {
    return Effect.gen(this, function* () {
      this.closeText(parts)
      if (this.reasoning === undefined) {
        this.reasoning = yield* this.idGenerator.generateId()
        parts.push({ type: "reasoning-start", id: this.reasoning })
      }
      if (delta.length > 0) parts.push({ type: "reasoning-delta", id: this.reasoning, delta })
    })
  }

  private toolCallDelta(call: Components.ToolCall, parts: Array<Response.StreamPartEncoded>): Effect.Effect<void> {
    return Effect.gen(this, function* () {
      const fragment = Content.argumentsText(call.function.arguments)
      const at = Content.findToolCall(this.toolCalls, call)
      let active = at === -1 ? undefined : this.toolCalls[at]
      if (active === undefined) {
        this.hasToolCalls = true
        const id = Content.fragmentId(call)
        active = {
          id,
          index: call.index,
          callId: id ?? (yield* this.idGenerator.generateId()),
          name: call.function.name,
          arguments: ""
        }
        this.toolCalls.push(active)
        parts.push({ type: "tool-params-start", id: active.callId, name: active.name })
      }
      if (fragment.length > 0) {
        active.arguments += fragment
        parts.push({ type: "tool-params-delta", id: active.callId, delta: fragment })
      }
    })
  }

  /** Ends the open parts and hands on the complete tool calls. */
  private flush(parts: Array<Response.StreamPartEncoded>): Effect.Effect<void, AiError.MalformedOutput> {
    return Effect.gen(this, function* () {
      this.closeReasoning(parts)
      this.closeText(parts)
      for (const call of this.toolCalls.splice(0)) {
        parts.push({ type: "tool-params-end", id: call.callId })
        const params = yield* parseArguments(call.name, call.arguments, "streamText")
        parts.push({ type: "tool-call", id: call.callId, name: call.name, params })
      }
    })
  }

  /** The parts for one chunk of the stream (only the first choice is followed). */
  onChunk(chunk: Components.CompletionChunk): Effect.Effect<Array<Response.StreamPartEncoded>, AiError.AiError> {
    return Effect.gen(this, function* () {
      const parts: Array<Response.StreamPartEncoded> = []
      if (!this.metadataSent) {
        this.metadataSent = true
        const timestamp = timestampOf(chunk.created)
        parts.push(
          timestamp === undefined
            ? { type: "response-metadata", id: chunk.id, modelId: chunk.model }
            : { type: "response-metadata", id: chunk.id, modelId: chunk.model, timestamp }
        )
      }
      if (chunk.usage !== undefined) this.usage = chunk.usage
      for (const choice of chunk.choices) {
        if (choice.index !== 0) continue
        const delta = choice.delta
        const content = delta.content
        if (typeof content === "string") {
          yield* this.textDelta(content, parts)
        } else if (content !== null && content !== undefined) {
          for (const piece of content) {
            if (Content.isTextChunk(piece)) yield* this.textDelta(piece.text, parts)
            else if (Content.isThinkChunk(piece)) yield* this.reasoningDelta(Content.thinkingText(piece), parts)
          }
        }
        for (const call of delta.tool_calls ?? []) yield* this.toolCallDelta(call, parts)
        if (choice.finish_reason !== null && choice.finish_reason !== undefined) {
          this.finishReason = choice.finish_reason
          yield* this.flush(parts)
        }
      }
      return parts
    })
  }

  /** The parts after the last chunk: whatever is still open, then the finish part with the usage. */
  onEnd(): Effect.Effect<Array<Response.StreamPartEncoded>, AiError.AiError> {
    return Effect.gen(this, function* () {
      const parts: Array<Response.StreamPartEncoded> = []
      if (this.finished) return parts
      this.finished = true
      yield* this.flush(parts)
      parts.push({
        type: "finish",
        reason: resolveFinishReason(this.finishReason, this.hasToolCalls),
        usage: usageOf(this.usage)
      })
      return parts
    })
  }
}

/** The request body fields a configuration may not set: the provider builds them from the prompt. */
export type Reserved = "messages" | "tools" | "tool_choice" | "stream"

/** A chat completion request. */
export type Request = ChatApi.ChatCompletionRequest
