// Stand-ins for the Node built-ins that browser-loaded modules import but never call in the page.
const unavailable = (name) => () => { throw new Error(`${name} is not available in the browser`); };
export const existsSync = unavailable("fs.existsSync");
export const readFileSync = unavailable("fs.readFileSync");
export const join = (...parts) => parts.join("/");
