/**
 * What the product may know of the sandbox without starting it (deps.ts imports only this file).
 * A --sandbox store is kept under the seed, the org size and the data version, so a restart finds
 * its exports again while data made by another version never mixes with this one's: bump the
 * version whenever a change makes the same seed give other numbers.
 */
export const SANDBOX_DATA_VERSION = 2;
/** The seed `--sandbox` runs with (startSandbox's own default). */
export const SANDBOX_SEED = 42;
/** The sandbox org's Forecast Tab ids (forecast-data.ts's tabs; a test holds them equal). */
export const SANDBOX_FORECAST_TABS: readonly string[] = ["net_bookings", "net_arr", "renewals"];
