/** One observation from a station. */
export interface Reading {
  city: string;
  temperature: number;
  observedAt: string;
}

/** Convert degrees Celsius to degrees Fahrenheit. */
export function celsiusToFahrenheit(celsius: number): number {
  return Math.round((celsius * 9 / 5 + 32) * 10) / 10;
}
