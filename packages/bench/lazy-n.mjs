const out = []; let last = performance.now()
const lap = (l) => { const n = performance.now(); out.push(`${l}=${(n - last).toFixed(1)}`); last = n }
await import("effect"); await import("@effect/platform/HttpClient"); lap("base")
await import("@effect-mistral/core"); lap("core")
await import("undici"); lap("undici")
await import("@effect/platform-node/NodeSink"); lap("nodesink")
await import("@effect/platform/Socket"); lap("socket")
await import("@effect-mistral/node"); lap("node")
console.log(out.join(" "))
