/**
 * effect-mistral through `MistralNode.layer`, driven from promise code: one `runtime.runPromise` per request, as an
 * HTTP handler calls it (streams are one run each either way).
 */
import * as MistralNode from "@effect-mistral/node/MistralNode"
import type { MakeClient } from "../BenchClient.js"
import { fromLayer, options } from "./effect.js"

export const make: MakeClient = (baseUrl) => fromLayer(MistralNode.layer(options(baseUrl)), "promise")
