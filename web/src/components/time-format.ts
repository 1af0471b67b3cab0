/** A duration in whole seconds as the API measures it ("0 s" means under a second). */
export function seconds(value: number): string {
  return value < 60 ? `${value} s` : `${Math.floor(value / 60)} min ${value % 60} s`;
}

export function clock(unixSeconds: number): string {
  return new Date(unixSeconds * 1000).toLocaleTimeString();
}
