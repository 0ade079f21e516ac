/** `iso` plus `seconds`, as an ISO timestamp (the worker's clocks are ISO strings). */
export function plusSeconds(iso: string, seconds: number): string {
  return new Date(Date.parse(iso) + seconds * 1000).toISOString();
}
