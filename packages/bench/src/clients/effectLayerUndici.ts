/** effect-mistral over the stock `@effect/platform-node` `NodeHttpClient.layerUndici`. */
import * as MistralNode from "@effect-mistral/node/MistralNode"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as Layer from "effect/Layer"
import type { MakeClient } from "../BenchClient.js"
import { fromLayer, options } from "./effect.js"

export const make: MakeClient = (baseUrl) =>
  fromLayer(MistralNode.layerWithoutHttpClient(options(baseUrl)).pipe(Layer.provide(NodeHttpClient.layerUndici)))
