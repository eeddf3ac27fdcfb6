/** Thresholds above which the linter calls a duration "huge". One day: longer than any traffic rule needs. */
export const MAX_SESSION_GAP_MS = 24 * 60 * 60 * 1000;
export const MAX_ALLOWED_LATENESS_MS = 24 * 60 * 60 * 1000;
