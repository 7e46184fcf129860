/**
 * Message content as streams build it: a string, or chunks whose adjacent text pieces are merged.
 */

interface Chunk {
  readonly type?: string | undefined
}

const isText = (chunk: Chunk): chunk is Chunk & { readonly type: "text"; readonly text: string } =>
  chunk.type === "text" && typeof (chunk as { readonly text?: unknown }).text === "string"

/**
 * Appends a delta to content: strings concatenate; as soon as either side has chunks the result is chunks, with a
 * text delta merged into a preceding text chunk. `textChunk` builds the text chunk of the caller's chunk type.
 */
export const appendContent = <C extends Chunk>(
  current: string | ReadonlyArray<C> | null | undefined,
  delta: string | C | ReadonlyArray<C>,
  textChunk: (text: string) => C
): string | ReadonlyArray<C> => {
  if ((current === null || current === undefined || typeof current === "string") && typeof delta === "string") {
    return (current ?? "") + delta
  }
  const chunks: Array<C> =
    current === null || current === undefined || current === ""
      ? []
      : typeof current === "string"
        ? [textChunk(current)]
        : [...current]
  const next: ReadonlyArray<C> =
    typeof delta === "string" ? [textChunk(delta)] : Array.isArray(delta) ? delta : [delta as C]
  for (const item of next) {
    const last = chunks[chunks.length - 1]
    if (last !== undefined && isText(last) && isText(item)) {
      chunks[chunks.length - 1] = { ...last, text: last.text + item.text }
    } else {
      chunks.push(item)
    }
  }
  return chunks
}
