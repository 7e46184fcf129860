/**
 * Request body checks answering the API's 422 `{"detail":[{loc,msg,type}]}`,
 * with the request schemas generated from the API document. Those unions are
 * tolerant (an unknown entry `type` decodes); a server is not, so unknown
 * entry types are refused here.
 */
import * as Agents from "@effect-mistral/core/generated/agents"
import * as Batch from "@effect-mistral/core/generated/batch"
import * as Chat from "@effect-mistral/core/generated/chat"
import * as Classifiers from "@effect-mistral/core/generated/classifiers"
import * as Conversations from "@effect-mistral/core/generated/conversations"
import * as Embeddings from "@effect-mistral/core/generated/embeddings"
import * as Fim from "@effect-mistral/core/generated/fim"
import * as Models from "@effect-mistral/core/generated/models"
import * as Ocr from "@effect-mistral/core/generated/ocr"
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"

export interface ValidationDetail {
  readonly loc: ReadonlyArray<string | number>
  readonly msg: string
  readonly type: string
}

const issueType: Record<string, string> = {
  Missing: "missing",
  Unexpected: "extra_forbidden",
  Type: "type_error",
  Refinement: "value_error",
  Forbidden: "value_error",
  Transformation: "value_error",
  Composite: "value_error",
  Pointer: "value_error"
}

/** Checks `value` against `schema`; problems are reported under `loc`. */
export const check = <A, I>(
  schema: Schema.Schema<A, I>,
  value: unknown,
  loc: ReadonlyArray<string | number>
): Array<ValidationDetail> => {
  const result = Schema.decodeUnknownEither(schema, { errors: "all" })(value)
  if (Either.isRight(result)) return []
  return ParseResult.ArrayFormatter.formatErrorSync(result.left).map((issue) => ({
    loc: [...loc, ...issue.path.map((key) => (typeof key === "number" ? key : String(key)))],
    msg: issue._tag === "Missing" ? "Field required" : issue.message,
    type: issueType[issue._tag] ?? "value_error"
  }))
}

const entryTypes = new Set([
  "message.input",
  "message.output",
  "function.call",
  "function.result",
  "tool.execution",
  "agent.handoff"
])

const checkEntryTypes = (inputs: unknown): Array<ValidationDetail> => {
  if (!Array.isArray(inputs)) return []
  return inputs.flatMap((entry, index) => {
    if (typeof entry !== "object" || entry === null) return []
    const type = (entry as { readonly type?: unknown }).type
    return typeof type === "string" && !entryTypes.has(type)
      ? [
          {
            loc: ["body", "inputs", index, "type"],
            msg: `Input tag '${type}' does not match any of the expected tags`,
            type: "union_tag_invalid"
          }
        ]
      : []
  })
}

const body = (value: unknown, schema: Schema.Schema<unknown, unknown>): Array<ValidationDetail> => {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return [{ loc: ["body"], msg: "Input should be a valid dictionary", type: "model_attributes_type" }]
  }
  const issues = check(schema, value, ["body"])
  return issues.length > 0 ? issues : checkEntryTypes((value as { readonly inputs?: unknown }).inputs)
}

const streams = (value: unknown) =>
  typeof value === "object" && value !== null && (value as { readonly stream?: unknown }).stream === true

type AnySchema = Schema.Schema<unknown, unknown>

const startSchemas = [Conversations.ConversationRequest, Conversations.ConversationStreamRequest] as const
const appendSchemas = [Conversations.ConversationAppendRequest, Conversations.ConversationAppendStreamRequest] as const
const restartSchemas = [
  Conversations.ConversationRestartRequest,
  Conversations.ConversationRestartStreamRequest
] as const

const pick = (schemas: readonly [unknown, unknown], value: unknown) =>
  (streams(value) ? schemas[1] : schemas[0]) as AnySchema

export const checkStart = (value: unknown) => body(value, pick(startSchemas, value))
export const checkAppend = (value: unknown) => body(value, pick(appendSchemas, value))
export const checkRestart = (value: unknown) => body(value, pick(restartSchemas, value))
export const checkCreateAgent = (value: unknown) => body(value, Agents.CreateAgentRequest as unknown as AnySchema)
export const checkUpdateAgent = (value: unknown) => body(value, Agents.UpdateAgentRequest as unknown as AnySchema)

const roles = new Set(["system", "user", "assistant", "tool"])

/** Messages whose `role` the document does not know decode as unknown members; a server refuses them. */
const checkRoles = (messages: unknown, loc: ReadonlyArray<string | number>): Array<ValidationDetail> => {
  if (!Array.isArray(messages)) return []
  return messages.flatMap((message, index) => {
    if (typeof message !== "object" || message === null) return []
    const role = (message as { readonly role?: unknown }).role
    return typeof role === "string" && !roles.has(role)
      ? [
          {
            loc: [...loc, index, "role"],
            msg: `Input tag '${role}' does not match any of the expected tags: 'system', 'user', 'assistant', 'tool'`,
            type: "union_tag_invalid"
          }
        ]
      : []
  })
}

const withRoles =
  (schema: AnySchema, messagesOf: (value: Record<string, unknown>) => Array<[unknown, Array<string | number>]>) =>
  (value: unknown): Array<ValidationDetail> => {
    const issues = body(value, schema)
    if (issues.length > 0) return issues
    return messagesOf(value as Record<string, unknown>).flatMap(([messages, loc]) => checkRoles(messages, loc))
  }

export const checkChat = (value: unknown): Array<ValidationDetail> => {
  const issues = withRoles(Chat.ChatCompletionRequest as unknown as AnySchema, (v) => [
    [v.messages, ["body", "messages"]]
  ])(value)
  if (issues.length > 0) return issues
  const messages = (value as { readonly messages: ReadonlyArray<unknown> }).messages
  return messages.length === 0
    ? [
        {
          loc: ["body", "messages"],
          msg: "List should have at least 1 item after validation, not 0",
          type: "too_short"
        }
      ]
    : []
}
export const checkFim = (value: unknown) => body(value, Fim.FIMCompletionRequest as unknown as AnySchema)
export const checkEmbeddings = (value: unknown) => body(value, Embeddings.EmbeddingRequest as unknown as AnySchema)
export const checkOcr = (value: unknown) => body(value, Ocr.OCRRequest as unknown as AnySchema)
export const checkClassification = (value: unknown) =>
  body(value, Classifiers.ClassificationRequest as unknown as AnySchema)
export const checkChatModeration = withRoles(Classifiers.ChatModerationRequest as unknown as AnySchema, (v) =>
  Array.isArray(v.input)
    ? v.input.every(Array.isArray)
      ? v.input.map((conversation, i): [unknown, Array<string | number>] => [conversation, ["body", "input", i]])
      : [[v.input, ["body", "input"]]]
    : []
)
export const checkChatClassification = withRoles(Classifiers.ChatClassificationRequest as unknown as AnySchema, (v) =>
  Array.isArray(v.input)
    ? v.input.map((request, i): [unknown, Array<string | number>] => [
        (request as { readonly messages?: unknown }).messages,
        ["body", "input", i, "messages"]
      ])
    : [[(v.input as { readonly messages?: unknown }).messages, ["body", "input", "messages"]]]
)
export const checkUpdateModel = (value: unknown) => body(value, Models.UpdateModelRequest as unknown as AnySchema)
export const checkCreateBatch = (value: unknown) => body(value, Batch.CreateBatchJobRequest as unknown as AnySchema)
