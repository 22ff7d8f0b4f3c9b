// Preact with htm: JSX-like templates in tagged strings, no build step.
import { h, render } from '../vendor/preact.mjs';
import htm from '../vendor/htm.mjs';

export const html = htm.bind(h);
export { render };
export { useCallback, useEffect, useMemo, useRef, useState } from '../vendor/hooks.mjs';
