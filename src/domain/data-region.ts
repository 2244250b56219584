/** Forge's data-residency locations (`remotes[].baseUrl.<region>`), and `default` for the unpinned URL. */
export const DATA_REGIONS = [
  'default',
  'AU',
  'CA',
  'EU',
  'DE',
  'IN',
  'JP',
  'SG',
  'KR',
  'CH',
  'GB',
  'US',
] as const;
export type DataRegion = (typeof DATA_REGIONS)[number];
