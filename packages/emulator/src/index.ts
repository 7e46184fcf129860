/**
 * @since 0.1.0
 */

/**
 * Faults the emulator can be told to produce.
 *
 * @since 0.1.0
 */
export * as Fault from "./Fault.js"

/**
 * The emulator: a local, stateful Mistral API server.
 *
 * @since 0.1.0
 */
export * as MistralEmulator from "./MistralEmulator.js"
