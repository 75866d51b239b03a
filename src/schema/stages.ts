/** The stages a transaction's latency is split into, in the order it passes them. */
export const STAGES = ['generatorLag', 'put', 'propagation', 'scoring', 'actions', 'collection'] as const
export type Stage = (typeof STAGES)[number]
