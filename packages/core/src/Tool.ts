/**
 * Function tools declared once: a name, a description, a parameters `Schema` (sent to the model as JSON Schema) and
 * a handler Effect. `ConversationRunner` runs them in the function-calling loop.
 *
 * @since 0.1.0
 */
import type * as Effect from "effect/Effect"
import * as JSONSchema from "effect/JSONSchema"
import type * as Schema from "effect/Schema"
import type * as Components from "./generated/components.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Tool<A, out E = never, out R = never> {
  readonly name: string
  readonly description: string | undefined
  readonly parameters: Schema.Schema<A, unknown>
  readonly handler: (args: A) => Effect.Effect<unknown, E, R>
  /** Ask the runner's `confirm` decision before every call. */
  readonly requiresConfirmation: boolean
}

/**
 * Any tool, for collections of tools with different parameter types.
 *
 * @since 0.1.0
 * @category models
 */
export interface Any {
  readonly name: string
  readonly description: string | undefined
  readonly parameters: Schema.Schema.AnyNoContext
  readonly handler: (args: never) => Effect.Effect<unknown, unknown, unknown>
  readonly requiresConfirmation: boolean
}

/**
 * The error type of a collection of tools.
 *
 * @since 0.1.0
 * @category models
 */
export type Error<T extends Any> = T extends {
  readonly handler: (args: never) => Effect.Effect<unknown, infer E, unknown>
}
  ? E
  : never

/**
 * The requirements of a collection of tools.
 *
 * @since 0.1.0
 * @category models
 */
export type Context<T extends Any> = T extends {
  readonly handler: (args: never) => Effect.Effect<unknown, unknown, infer R>
}
  ? R
  : never

/**
 * Declares a tool. The handler's answer is sent back as the `function.result`: a string as it is, anything else as
 * JSON.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = <A, I, E = never, R = never>(
  name: string,
  options: {
    readonly description?: string | undefined
    readonly parameters: Schema.Schema<A, I>
    readonly handler: (args: A) => Effect.Effect<unknown, E, R>
    readonly requiresConfirmation?: boolean | undefined
  }
): Tool<A, E, R> => ({
  name,
  description: options.description,
  parameters: options.parameters as Schema.Schema<A, unknown>,
  handler: options.handler,
  requiresConfirmation: options.requiresConfirmation ?? false
})

/**
 * The tool as the API declares it: `{ type: "function", function: { name, description, parameters } }`, the
 * parameters as JSON Schema.
 *
 * @since 0.1.0
 * @category conversions
 */
export const toFunctionTool = (tool: Any): Components.FunctionTool => {
  const { $schema: _, ...parameters } = JSONSchema.make(tool.parameters) as unknown as Record<string, unknown>
  return {
    type: "function",
    function: {
      name: tool.name,
      ...(tool.description === undefined ? {} : { description: tool.description }),
      parameters
    }
  }
}

/**
 * The text sent back for a handler's answer.
 *
 * @since 0.1.0
 * @category conversions
 */
export const resultText = (value: unknown): string => {
  if (typeof value === "string") return value
  if (value === undefined) return "null"
  return JSON.stringify(value)
}
