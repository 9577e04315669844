// The browser's storage, where it is allowed: private windows and strict settings
// refuse it, and the pages work on without it.
// No dependencies and no build step: the server serves these files as they are.

export function safeGet(key) {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}

export function safeSet(key, value) {
  try {
    if (value === null) localStorage.removeItem(key);
    else localStorage.setItem(key, value);
  } catch {
    /* private mode: the page still works, it just forgets */
  }
}
