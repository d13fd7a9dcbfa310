/**
 * Longitude intervals on the circle: grids use -180..180 or 0..360 and a query may cross the
 * antimeridian (west > east), so every overlap test goes through here. Allocation-free: the
 * exact row filter calls it once per row.
 */

/** Whether [a, b] (degrees, a <= b) meets the query span from west to east (west > east wraps). */
export function lonOverlaps(a: number, b: number, west: number, east: number): boolean {
  if (east - west >= 360) return true;
  if (west <= east) return meets(a, b, west, east);
  return meets(a, b, west, 180) || meets(a, b, -180, east);
}

function meets(a: number, b: number, w: number, e: number): boolean {
  return (b - 360 >= w && a - 360 <= e) || (b >= w && a <= e) || (b + 360 >= w && a + 360 <= e);
}
