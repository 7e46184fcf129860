/**
 * What every measuring child process of the bench shares: the peak RSS sampled while it runs, and its one message
 * to the parent (the measurement, or the error) before it exits.
 */

/** Samples the RSS every 5 ms from now; `stop` answers the growth of its peak over the RSS at the start, in bytes. */
export const sampleRss = (): { readonly stop: () => number } => {
  const baseline = process.memoryUsage.rss()
  let peak = baseline
  const sampler = setInterval(() => {
    const rss = process.memoryUsage.rss()
    if (rss > peak) peak = rss
  }, 5)
  return {
    stop: () => {
      clearInterval(sampler)
      return Math.max(peak, process.memoryUsage.rss()) - baseline
    }
  }
}

/** Sends the measurement (or the error) to the parent, then exits. */
export const reportToParent = <A>(measurement: Promise<A>): void => {
  measurement.then(
    (value) => {
      process.send?.({ measurement: value }, () => process.exit(0))
    },
    (error: unknown) => {
      process.send?.({ error: error instanceof Error ? (error.stack ?? error.message) : String(error) }, () =>
        process.exit(1)
      )
    }
  )
}
