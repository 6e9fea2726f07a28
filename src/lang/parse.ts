export { parse } from "./parser.js";
