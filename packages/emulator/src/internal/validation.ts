/**
 * Request body checks answering the API's 422 `{"detail":[{loc,msg,type}]}`,
 * with the request schemas generated from the API document. Those unions are
 * tolerant (an unknown entry `type` decodes); a server is not, so unknown
 * entry types are refused here.
 */
import * as Agents from "@effect-mistral/core/generated/agents"
import * as Conversations from "@effect-mistral/core/generated/conversations"
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
