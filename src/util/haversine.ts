const EARTH_RADIUS_KM = 6_371.0088

export interface LatLon {
  lat: number
  lon: number
}

/** Great-circle distance in kilometres. */
export function haversineKm(a: LatLon, b: LatLon): number {
  return haversineKmOf(a.lat, a.lon, b.lat, b.lon)
}

/** The same distance from plain numbers, for hot paths that keep coordinates unboxed. */
export function haversineKmOf(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const toRad = Math.PI / 180
  const dLat = (lat2 - lat1) * toRad
  const dLon = (lon2 - lon1) * toRad
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * toRad) * Math.cos(lat2 * toRad) * Math.sin(dLon / 2) ** 2
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)))
}
