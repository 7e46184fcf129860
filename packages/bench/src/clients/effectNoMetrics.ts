/** effect-mistral through `MistralNode.layer` with `metrics: false`: what recording the metrics costs. */
import * as MistralNode from "@effect-mistral/node/MistralNode"
import type { MakeClient } from "../BenchClient.js"
import { fromLayer, options } from "./effect.js"

export const make: MakeClient = (baseUrl) => fromLayer(MistralNode.layer({ ...options(baseUrl), metrics: false }))
