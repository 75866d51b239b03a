/**
 * The features the engine computes, in the order of a feature row. A model card lists the names
 * its model reads, in its input's order; the scorer builds each input row from this vocabulary.
 * Renaming or reordering a feature changes FEATURE_ENGINE_VERSION's meaning: bump it.
 */
export const FEATURE_NAMES = [
  // The transaction itself.
  'amount',
  'type_payment',
  'type_transfer',
  'type_cash_out',
  'type_cash_in',
  'type_debit',
  'type_purchase',
  'type_account_update',
  'channel_mobile',
  'channel_web',
  'channel_pos',
  'channel_atm',
  'channel_branch',
  'card_present',
  'hour_of_day',
  'auth_declined',
  // PaySim-style balances.
  'balance_error_origin',
  'balance_error_destination',
  'origin_before_zero',
  'origin_after_zero',
  'destination_before_zero',
  'destination_after_zero',
  'empties_account',
  'share_of_balance',
  // The account (the paying side).
  'account_age_days',
  'account_count_10m',
  'account_count_1h',
  'account_count_24h',
  'account_amount_10m',
  'account_amount_1h',
  'account_amount_24h',
  'account_distinct_merchants_1h',
  'account_distinct_devices_24h',
  'account_distinct_ips_24h',
  'account_declines_1h',
  'account_seconds_since_previous',
  'account_history_count',
  'account_amount_vs_mean',
  'account_new_device',
  'account_new_ip',
  'account_device_age_hours',
  'account_ip_age_hours',
  'account_new_payee',
  'account_seconds_since_update',
  'account_amount_vs_inbound_24h',
  'geo_speed_card_present_kmh',
  'geo_km_from_previous',
  'geo_km_from_usual',
  'geo_max_speed_24h_kmh',
  // The receiving party of a non-card transaction.
  'counterparty_count_1h',
  'counterparty_count_24h',
  'counterparty_amount_24h',
  'counterparty_history_count',
  // The card.
  'card_count_10m',
  'card_count_1h',
  'card_distinct_merchants_1h',
  'card_declines_1h',
  // The device.
  'device_count_1h',
  'device_distinct_accounts_24h',
  'device_accounts_seen',
  // The merchant of a card transaction.
  'merchant_count_1h',
  'merchant_amount_vs_mean',
] as const

/**
 * Features keyed by something other than the account: with records partitioned by account, a
 * consumer that reads only some shards sees only part of their history.
 */
export const CROSS_PARTITION_FEATURE_PREFIXES = ['counterparty_', 'device_', 'merchant_'] as const

export type FeatureName = (typeof FEATURE_NAMES)[number]
export const FEATURE_COUNT = FEATURE_NAMES.length
export const FEATURE_ENGINE_VERSION = 'features-v2'

/** Column index of each feature, by name. */
export const F = Object.fromEntries(FEATURE_NAMES.map((name, index) => [name, index])) as { readonly [K in FeatureName]: number }
