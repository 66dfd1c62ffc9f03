import { z } from "npm:zod@4";
import { celsiusToFahrenheit, type Reading } from "./_lib/units.ts";

/** Arguments that select the station. */
export const WeatherArgs = z.object({
  city: z.string().min(1),
  units: z.enum(["metric", "imperial"]).default("metric"),
});

/** A weather station model: reads current conditions and a short forecast. */
export const model = {
  type: "@examples/weather-station",
  version: "2026.11.01.1",
  arguments: WeatherArgs,
  methods: {
    /** Current conditions for the configured city. */
    current: {
      description: "Read the current conditions",
      execute: (args: z.infer<typeof WeatherArgs>, readings: Reading[]): Reading | undefined => {
        const latest = readings.at(-1);
        if (latest === undefined || args.units === "metric") {
          return latest;
        }
        return { ...latest, temperature: celsiusToFahrenheit(latest.temperature) };
      },
    },
  },
};
