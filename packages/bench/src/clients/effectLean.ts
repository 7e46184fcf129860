/** effect-mistral through `MistralNode.layer`: its default lean undici transport. */
import * as MistralNode from "@effect-mistral/node/MistralNode"
import type { MakeClient } from "../BenchClient.js"
import { fromLayer, options } from "./effect.js"

export const make: MakeClient = (baseUrl) => fromLayer(MistralNode.layer(options(baseUrl)))
