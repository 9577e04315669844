// Shared by every page, gathered in one place to import from: strings (i18n.js),
// DOM helpers (dom.js), the dialogue model (model.js), the connection
// (connection.js) and the browser's storage (storage.js). No dependencies and no build step: the server serves these
// files as they are.

export * from './i18n.js';
export * from './dom.js';
export * from './model.js';
export * from './connection.js';
export * from './storage.js';
