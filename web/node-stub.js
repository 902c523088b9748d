// Stand-ins for the Node built-ins (node:fs, node:fs/promises, node:path, node:os) that modules loaded by the
// page import but never call there (reading and writing files on disk). The page's test fails if a module
// imports a name this file lacks (the browser refuses to link it).
const unavailable = (name) => () => { throw new Error(`${name} is not available in the browser`); };
export const closeSync = unavailable("fs.closeSync");
export const copyFileSync = unavailable("fs.copyFileSync");
export const existsSync = unavailable("fs.existsSync");
export const fstatSync = unavailable("fs.fstatSync");
export const mkdirSync = unavailable("fs.mkdirSync");
export const openSync = unavailable("fs.openSync");
export const readFileSync = unavailable("fs.readFileSync");
export const readSync = unavailable("fs.readSync");
export const readdirSync = unavailable("fs.readdirSync");
export const renameSync = unavailable("fs.renameSync");
export const rmSync = unavailable("fs.rmSync");
export const statSync = unavailable("fs.statSync");
export const writeSync = unavailable("fs.writeSync");
export const readFile = unavailable("fs.promises.readFile");
export const readdir = unavailable("fs.promises.readdir");
export const stat = unavailable("fs.promises.stat");
export const sep = "/";
export const join = (...parts) => parts.join("/");
export const basename = (path) => path.slice(path.lastIndexOf("/") + 1);
export const resolve = unavailable("path.resolve");
// The page runs the CPU kernels on its own thread.
export const availableParallelism = () => 1;
