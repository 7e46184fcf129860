/**
 * Function tools whose answers and failures persist: a core `Tool` (declared as with `Tool.make`) plus a `Schema`
 * for the handler's success and one for its error, so that a finished call is stored by the workflow engine and read
 * back, instead of run again, when a durable run resumes.
 *
 * @since 0.1.0
 */
import * as Tool from "@effect-mistral/core/Tool"
import type * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"

/**
 * @since 0.1.0
 * @category models
 */
export interface DurableTool<A, S extends Schema.Schema.AnyNoContext, F extends Schema.Schema.All, R>
  extends Tool.Tool<A, F["Type"], R> {
  readonly handler: (args: A) => Effect.Effect<S["Type"], F["Type"], R>
  readonly success: S
  readonly error: F
}

/**
 * Any durable tool, for collections of tools with different types.
 *
 * @since 0.1.0
 * @category models
 */
export interface Any extends Tool.Any {
  readonly success: Schema.Schema.Any
  readonly error: Schema.Schema.All
}

/**
 * The requirements of a collection of durable tools.
 *
 * @since 0.1.0
 * @category models
 */
export type Context<T extends Any> = Tool.Context<T>

/**
 * Declares a durable tool. `success` and `error` default to `Schema.Unknown` and `Schema.Never`: a handler whose
 * answer is plain JSON needs no schema, but a richer one (a `Date`, a class) needs its own to come back unchanged.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = <
  A,
  I,
  R = never,
  S extends Schema.Schema.AnyNoContext = typeof Schema.Unknown,
  F extends Schema.Schema.All = typeof Schema.Never
>(
  name: string,
  options: {
    readonly description?: string | undefined
    readonly parameters: Schema.Schema<A, I>
    readonly success?: S | undefined
    readonly error?: F | undefined
    readonly handler: (args: A) => Effect.Effect<S["Type"], F["Type"], R>
    readonly requiresConfirmation?: boolean | undefined
  }
): DurableTool<A, S, F, R> => ({
  ...Tool.make(name, options),
  handler: options.handler,
  success: (options.success ?? Schema.Unknown) as S,
  error: (options.error ?? Schema.Never) as F
})
