import { haversineKm, type LatLon } from '../util/haversine.js'

export { haversineKm, type LatLon }

/** Cruising speed used to decide what a traveller can do; anything faster is impossible travel. */
export const PLANE_SPEED_KMH = 900

export interface City extends LatLon {
  name: string
  weight: number
}

export const DEFAULT_CITIES: City[] = [
  { name: 'London', lat: 51.5072, lon: -0.1276, weight: 3 },
  { name: 'Paris', lat: 48.8566, lon: 2.3522, weight: 2 },
  { name: 'Berlin', lat: 52.52, lon: 13.405, weight: 2 },
  { name: 'Madrid', lat: 40.4168, lon: -3.7038, weight: 2 },
  { name: 'New York', lat: 40.7128, lon: -74.006, weight: 3 },
  { name: 'Chicago', lat: 41.8781, lon: -87.6298, weight: 2 },
  { name: 'Sao Paulo', lat: -23.5505, lon: -46.6333, weight: 2 },
  { name: 'Lagos', lat: 6.5244, lon: 3.3792, weight: 2 },
  { name: 'Nairobi', lat: -1.2921, lon: 36.8219, weight: 1 },
  { name: 'Mumbai', lat: 19.076, lon: 72.8777, weight: 3 },
  { name: 'Singapore', lat: 1.3521, lon: 103.8198, weight: 1 },
  { name: 'Tokyo', lat: 35.6762, lon: 139.6503, weight: 2 },
  { name: 'Sydney', lat: -33.8688, lon: 151.2093, weight: 1 },
  { name: 'Mexico City', lat: 19.4326, lon: -99.1332, weight: 2 },
]
