/**
 * The shapes of Clari's ids, checked before any request is made (path encoding guards again):
 * tool inputs and resource URIs use the same patterns.
 */
export const JOB_ID = /^[A-Za-z0-9_-]{1,64}$/;
export const FORECAST_ID = /^[A-Za-z0-9_.-]{1,100}$/;
